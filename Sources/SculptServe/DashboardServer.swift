#if Dashboard
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import SculptRecipes

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLockedValue<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Where the dashboard listens and what it lets in.
public struct DashboardConfiguration: Sendable {
    public var host: String
    /// 0: any free port (see `DashboardServer.port`).
    public var port: Int
    /// Needed by every request that changes anything and by every WebSocket.
    public var token: String
    /// Seconds between two pushes of the run's events to the pages.
    public var pushInterval: Double

    public init(
        host: String = "127.0.0.1", port: Int = 0, token: String = DashboardConfiguration.randomToken(),
        pushInterval: Double = 0.5
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.pushInterval = pushInterval
    }

    /// 32 hex digits from the system's generator.
    public static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Parses `[HOST:]PORT`; throws a clear reason.
    public static func address(_ text: String) throws -> (host: String, port: Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let port = Int(parts.last ?? ""), (0...65535).contains(port) else {
            throw DashboardError.cannotStart(
                "'\(text)' is not [HOST:]PORT with PORT in 0...65535 (e.g. 8080 or 127.0.0.1:8080)")
        }
        let host = parts.count == 2 ? parts[0] : "127.0.0.1"
        guard !host.isEmpty else { throw DashboardError.cannotStart("'\(text)': the host before ':' is empty") }
        return (host, port)
    }

    /// Whether the server listens beyond this machine.
    public var isPublic: Bool { !(host == "127.0.0.1" || host == "localhost" || host == "::1") }
}

/// The live dashboard's web server (Hummingbird 2 with WebSockets): serves the page, pushes the
/// run's events to every connected page and takes requests, which go to the run's journal before
/// they are acknowledged. Runs on its own threads; it may fail or be flooded and training goes on.
public final class DashboardServer: Sendable {
    public let hub: DashboardHub
    public let configuration: DashboardConfiguration
    private let bound = Locked<Int?>(nil)
    private let task = Locked<Task<Void, Never>?>(nil)

    public init(hub: DashboardHub, configuration: DashboardConfiguration) {
        self.hub = hub
        self.configuration = configuration
    }

    /// The port the server listens on, once started.
    public var port: Int? { bound.withLockedValue { $0 } }

    /// The address to open (with the token).
    public func url(host: String? = nil) -> String {
        let shown = host ?? (configuration.host == "0.0.0.0" ? "127.0.0.1" : configuration.host)
        return "http://\(shown):\(port ?? configuration.port)/?token=\(configuration.token)"
    }

    /// Starts serving on background threads and returns once the port is bound (or throws). Blocks
    /// the calling thread: call it from a plain thread (the CLI's), or use `start() async`.
    public func startBlocking(timeout: Double = 30) throws {
        let ready = DispatchSemaphore(value: 0)
        let outcome = Locked<Result<Void, Error>?>(nil)
        Task.detached {
            do {
                try await self.start(timeout: timeout)
                outcome.withLockedValue { $0 = .success(()) }
            } catch {
                outcome.withLockedValue { $0 = .failure(error) }
            }
            ready.signal()
        }
        ready.wait()
        try outcome.withLockedValue { $0 }?.get()
    }

    /// Starts serving and returns once the port is bound (or throws).
    public func start(timeout: Double = 30) async throws {
        let failure = Locked<String?>(nil)
        let application = makeApplication { [bound] port in bound.withLockedValue { $0 = port } }
        let hub = self.hub
        let interval = configuration.pushInterval
        task.withLockedValue {
            $0 = Task.detached {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do { try await application.runService(gracefulShutdownSignals: []) } catch {
                            failure.withLockedValue { $0 = "\(error)" }
                        }
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            await hub.pump()
                            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while port == nil, failure.withLockedValue({ $0 }) == nil, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard port != nil else {
            await stop()
            throw DashboardError.cannotStart(
                failure.withLockedValue { $0 } ?? "the server did not start within \(Int(timeout)) s")
        }
    }

    /// Pushes what is pending, then stops the server.
    public func stop() async {
        let running = task.withLockedValue { t in
            defer { t = nil }
            return t
        }
        guard let running else { return }
        await hub.pump()
        running.cancel()
        _ = await running.value
    }

    /// `stop()` for a plain thread.
    public func stopBlocking() {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await self.stop()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 10)
    }

    private func makeApplication(onPort: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router(context: BasicWebSocketRequestContext.self)
        let hub = self.hub
        let token = configuration.token
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.post("/api/request") { request, _ -> Response in
            var request = request
            guard
                DashboardGate.tokenMatches(
                    request.headers[.authorization].map { String($0.dropFirst("Bearer ".count)) },
                    token)
            else {
                return DashboardGate.reply(
                    .unauthorized, DashboardHub.error("a valid token is needed (Authorization: Bearer TOKEN)"))
            }
            guard let body = try? await request.collectBody(upTo: ClientMessage.maximumBytes) else {
                return DashboardGate.reply(
                    .contentTooLarge, DashboardHub.error("the body is larger than \(ClientMessage.maximumBytes) bytes"))
            }
            let answer = await hub.answer(Array(buffer: body))
            return DashboardGate.reply(DashboardGate.isError(answer) ? .badRequest : .ok, answer)
        }
        router.ws("/ws") { request, _ in
            DashboardGate.allowsUpgrade(request, token: token) ? .upgrade([:]) : .dontUpgrade
        } onUpgrade: { inbound, outbound, _ in
            try await DashboardGate.serve(page: hub, inbound: inbound, outbound: outbound)
        }
        var logger = Logger(label: "sculpt.dashboard")
        logger.logLevel = .critical
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(
                    ws: .init(maxFrameSize: ClientMessage.maximumBytes, autoPing: .enabled(timePeriod: .seconds(20))))),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sculpt"),
            onServerRunning: { channel in onPort(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
#endif

#if Dashboard
extension DashboardServer {
    /// Starts a dashboard for `source` on `address` (`[HOST:]PORT`, 127.0.0.1 unless a host is given).
    public static func start(
        run: String, source: DashboardSource, probe: DashboardProbe, address: String
    ) throws -> DashboardServer {
        let (host, port) = try DashboardConfiguration.address(address)
        let server = DashboardServer(
            hub: DashboardHub(run: run, source: source, probe: probe),
            configuration: DashboardConfiguration(host: host, port: port))
        try server.startBlocking()
        return server
    }

    /// The lines a command prints when the dashboard is up (a warning first when it listens beyond this machine).
    public var banner: [String] {
        var lines: [String] = []
        if configuration.isPublic {
            lines.append(
                "warning: the dashboard listens on \(configuration.host): anyone who can reach this machine "
                    + "and has the token can change the run")
        }
        lines.append("dashboard: \(url())")
        return lines
    }
}
#endif
