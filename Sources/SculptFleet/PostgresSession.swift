#if Fleet
import Foundation
import PostgresNIO

/// One connection to the server, used by one thread at a time (a lock), with blocking calls: the runner's
/// threads and the CLI are synchronous. A lost connection (a server restart, a network cut) is reopened on
/// the next call; with `reconnectSeconds` > 0 (workers) a call that lost its connection is retried, whole,
/// until the server answers again or that many seconds have passed.
final class PostgresSession: @unchecked Sendable {
    let location: PostgresLocation
    /// How long a call keeps retrying a lost connection (0: fail at once, as the CLI's one-shot commands do).
    let reconnectSeconds: Double
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let logger: Logger = {
        var logger = Logger(label: "sculpt.fleet")
        logger.logLevel = .critical
        return logger
    }()
    private static let nextID = LockedCounter()

    /// Connects now, so that a bad address or password fails here with one line.
    init(location: PostgresLocation, reconnectSeconds: Double = 0) throws {
        self.location = location
        self.reconnectSeconds = reconnectSeconds
        lock.lock()
        defer { lock.unlock() }
        connection = try open()
    }

    deinit { _ = try? connection?.close().wait() }

    /// Runs `body` with the connection, under the lock; retries it whole after a lost connection
    /// (when `reconnectSeconds` > 0). `body` must be safe to repeat (a transaction that rolled back).
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(reconnectSeconds)
        var pause = 0.2
        while true {
            do {
                if let stale = self.connection, stale.isClosed { self.connection = nil }
                let connection = try self.connection ?? open()
                self.connection = connection
                return try body(connection)
            } catch {
                let mapped = describe(error)
                guard Self.isConnectionLoss(error) else { throw mapped }
                if let c = connection { _ = try? c.close().wait() }
                connection = nil
                guard Date() < deadline else { throw mapped }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 2)
            }
        }
    }

    /// Runs one statement; the rows it returns.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        try withConnection { try run(query, on: $0) }
    }

    /// Runs `body` in a transaction (BEGIN ... COMMIT; ROLLBACK when it throws), retried whole after a
    /// lost connection.
    func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try withConnection { connection in
            try run("BEGIN", on: connection)
            do {
                let value = try body(connection)
                try run("COMMIT", on: connection)
                return value
            } catch {
                _ = try? run("ROLLBACK", on: connection)
                throw error
            }
        }
    }

    /// How long one statement may take before its connection counts as lost (a connection the server dropped
    /// can leave a query's future unanswered for good: waiting without a deadline would hang the worker).
    static let statementSeconds: Int64 = 30

    /// Runs one statement on `connection` (inside `withConnection` or `transaction`).
    @discardableResult
    func run(_ query: PostgresQuery, on connection: PostgresConnection) throws -> PostgresQueryResult {
        guard !connection.isClosed else { throw ChannelError.alreadyClosed }
        let promise = connection.eventLoop.makePromise(of: PostgresQueryResult.self)
        let timeout = connection.eventLoop.scheduleTask(in: .seconds(Self.statementSeconds)) {
            promise.fail(ChannelError.connectTimeout(.seconds(Self.statementSeconds)))
            let _: EventLoopFuture<Void> = connection.close()
        }
        connection.query(query, logger: logger).cascade(to: promise)
        defer { timeout.cancel() }
        return try promise.futureResult.wait()
    }

    /// Runs `statement` on `connection` (inside `withConnection` or `transaction`) as a named prepared statement:
    /// the server parses and plans it once per connection (postgres-nio prepares it on first use, and again on a
    /// new connection), then only binds and executes it. The same deadline as `run`.
    func runPrepared<S: PostgresPreparedStatement>(_ statement: S, on connection: PostgresConnection) throws -> [S.Row]
    where S.Row: Sendable {
        guard !connection.isClosed else { throw ChannelError.alreadyClosed }
        let outcome = PreparedOutcome<S.Row>()
        let logger = self.logger
        Task {
            do {
                var rows: [S.Row] = []
                for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
                outcome.finish(.success(rows))
            } catch {
                outcome.finish(.failure(error))
            }
        }
        guard let result = outcome.wait(seconds: Double(Self.statementSeconds)) else {
            let _: EventLoopFuture<Void> = connection.close()
            _ = outcome.wait(seconds: 5)  // the closed connection fails the statement; its task then ends
            throw ChannelError.connectTimeout(.seconds(Self.statementSeconds))
        }
        return try result.get()
    }

    private func open() throws -> PostgresConnection {
        let configuration: PostgresConnection.Configuration
        do { configuration = try location.configuration() } catch {
            throw FleetError.badURL(location.description, "cannot set up TLS: \(error)")
        }
        do {
            return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                  configuration: configuration, id: Self.nextID.next(),
                                                  logger: logger).wait()
        } catch {
            throw describe(error)
        }
    }

    /// Whether `error` means the connection is gone (rather than a statement the server rejected).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if let fleet = error as? FleetError, case .unreachable = fleet { return true }
        guard let error = error as? PSQLError else { return error is ChannelError || error is IOError }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P")  // connection exceptions, shutdowns
        default: return false
        }
    }

    /// `error` as one line naming the store (never its password).
    func describe(_ error: any Error) -> any Error {
        if error is FleetError { return error }
        let at = location.description
        guard let error = error as? PSQLError else {
            return Self.isConnectionLoss(error)
                ? FleetError.unreachable(at, Self.reason(error)) : FleetError.server(at, "\(error)")
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return FleetError.unreachable(at, error.underlying.map(Self.reason) ?? "the connection closed")
        case .authMechanismRequiresPassword:
            return FleetError.authentication(at, "the server wants a password and none was given")
        case .sslUnsupported:
            return FleetError.unreachable(at, "the server does not offer TLS, which sslmode="
                + "\(location.tls.rawValue) requires")
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "error \(state)"
            if state.hasPrefix("28") { return FleetError.authentication(at, message) }
            if state.hasPrefix("08") || state.hasPrefix("57P") { return FleetError.unreachable(at, message) }
            return FleetError.server(at, message)
        default:
            return FleetError.server(at, String(reflecting: error).split(separator: "\n").joined(separator: " "))
        }
    }

    /// A short reason for a network error ("connection refused", "timed out").
    private static func reason(_ error: any Error) -> String {
        let text = String(describing: error).lowercased()
        if text.contains("refused") { return "connection refused" }
        if text.contains("timeout") || text.contains("timed out") { return "timed out" }
        if text.contains("dns") || text.contains("resolve") { return "host name not found" }
        return "cannot connect"
    }
}

/// A thread-safe counter (connection ids for postgres-nio's logs).
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

extension PostgresRow {
    /// The value of column `name`, decoded as `T` (a missing or mistyped column is a server error).
    func value<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try makeRandomAccess()[name].decode(T.self)
    }
}
/// The rows of a prepared statement run on a task, handed to the thread that waits for them.
private final class PreparedOutcome<Row: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<[Row], any Error>?

    func finish(_ result: Result<[Row], any Error>) {
        condition.lock()
        self.result = result
        condition.broadcast()
        condition.unlock()
    }

    /// The result, or nil when `seconds` passed without one.
    func wait(seconds: Double) -> Result<[Row], any Error>? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while result == nil, condition.wait(until: deadline) {}
        return result
    }
}
#endif
