#if Dashboard
import Foundation
import Testing
import SculptAnalysis
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import TestSupport
@testable import SculptServe

/// flatten - dense(64->12)-ReLU - dense(12->3), 1x8x8 inputs.
private let serveMLP = Architecture(
    inputShape: [1, 8, 8],
    layers: [
        .flatten, .dense(inputs: 64, outputs: 12, bias: true), .activation(.relu),
        .dense(inputs: 12, outputs: 3, bias: true),
    ])

/// Three classes of 8x8 images: a bright top, middle or bottom third, with noise.
private func thirds(_ n: Int, seed: UInt64) -> TensorDataset {
    var rng = RandomSource(seed: seed)
    let inputs = Tensor(zeros: [n, 1, 8, 8])
    let targets = Tensor(zeros: [n])
    for i in 0..<n {
        let label = i % 3
        for p in 0..<64 { inputs.data[i * 64 + p] = (p / 8) * 3 / 8 == label ? 1 : 0.1 * rng.unitFloat() }
        targets.data[i] = Float(label)
    }
    return TensorDataset(inputs: inputs, targets: targets, classCount: 3)
}

private func makeScheduled(epochs: Int, data: Dataset) throws -> ScheduledTraining {
    var rng = RandomSource(seed: 11)
    let network = try Network(serveMLP, rng: &rng)
    let configuration = TrainingConfiguration(
        optimizer: .sgd(
            learningRate: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0,
            nesterov: false), batchSize: 16, seed: 11)
    let run = try TrainingRun(network: network, configuration: configuration, rng: rng)
    return try ScheduledTraining(
        run: run, schedule: TrainingSchedule(), epochs: epochs, probe: PrefixDataset(data, count: 32))
}

/// Slows the loop down so a test can act while it runs.
private final class Slow: TrainingObserver {
    let seconds: Double
    init(_ seconds: Double) { self.seconds = seconds }
    var wantsNetworkCopies: Bool { false }
    func training(_ event: LiveEvent) { if case .batch = event { Thread.sleep(forTimeInterval: seconds) } }
    func training(networkChanged copy: NetworkCopy) {}
}

private final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}

/// Trains `scheduled` on a thread; `wait()` returns its error, if any.
private func trainInBackground(_ scheduled: ScheduledTraining, _ data: Dataset) -> () -> Error? {
    let done = DispatchSemaphore(value: 0)
    let failure = Box<Error?>(nil)
    let box = Box((scheduled, data))
    Thread.detachNewThread {
        do { try box.value.0.train(box.value.1) } catch { failure.value = error }
        done.signal()
    }
    return {
        done.wait()
        return failure.value
    }
}

private func startServer(_ folder: TemporaryDirectory, data: Dataset) async throws -> (DashboardServer, LiveSource) {
    let source = LiveSource(journal: RequestJournal(path: folder.file("run.journal")))
    let server = DashboardServer(
        hub: DashboardHub(run: "test", source: source, probe: DashboardProbe(data, count: 64, loss: .crossEntropy)),
        configuration: DashboardConfiguration(pushInterval: 0.05))
    try await server.start()
    return (server, source)
}

private func post(_ port: Int, _ body: String, token: String?) async throws -> (status: Int, body: String) {
    try await io { try postBlocking(port, body, token: token) }
}

private func postBlocking(_ port: Int, _ body: String, token: String?) throws -> (status: Int, body: String) {
    let client = try RawClient(port: port)
    client.send(
        "POST /api/request HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
            + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "Content-Length: \(body.utf8.count)\r\n\r\n"
            + body)
    guard let r = client.response() else { return (0, "") }
    return (r.status, r.body)
}

@Suite(.serialized) struct DashboardServerTests {

    @Test(
        "serves the page; refuses requests and sockets without the token, from another origin, too large, malformed"
    )
    func serverRefusesWhatItMust() async throws {
        let folder = TemporaryDirectory("sculpt-serve-gate")
        defer { folder.remove() }
        let data = thirds(48, seed: 1)
        let (server, source) = try await startServer(folder, data: data)
        let port = try #require(server.port)
        let token = server.configuration.token
        #expect(server.configuration.host == "127.0.0.1" && !server.configuration.isPublic)
        let page = try RawClient(port: port)
        page.send("GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n")
        let html = try #require(try await io { page.response() })
        #expect(
            html.status == 200 && html.body.contains("<title>Sculpt live</title>") && !html.body.contains("http://cdn"))

        #expect(try await io { try RawClient(port: port).upgrade(port: port, token: nil) } != 101)
        #expect(
            try await io { try RawClient(port: port).upgrade(port: port, token: String(repeating: "0", count: 32)) }
                != 101)
        #expect(
            try await io { try RawClient(port: port).upgrade(port: port, token: token, origin: "http://evil.example") }
                != 101)
        let ws = try RawClient(port: port)
        #expect(try await io { ws.upgrade(port: port, token: token, origin: "http://127.0.0.1:\(port)") } == 101)
        #expect(try await io { ws.receiveText() }?.contains("\"type\":\"snapshot\"") == true)

        #expect(try await post(port, #"{"type":"control","action":"pause"}"#, token: nil).status == 401)
        #expect(try await post(port, String(repeating: "x", count: 20_000), token: token).status == 413)
        for (body, fragment) in [
            ("{not json", "not JSON"), (#"{"type":"shout"}"#, "unknown type 'shout'"),
            (#"{"type":"control","action":"dance"}"#, "unknown action 'dance'"),
            (#"{"type":"request","text":"expand:fc1:to=20","extra":1}"#, "unknown field 'extra'"),
            (#"{"type":"request","text":"grow:fc1"}"#, "unknown operation 'grow'"),
            (#"{"type":"request","text":"expand:fc1:to=20"}"#, "not published its network yet"), ("[]", "JSON object"),
        ] {
            let r = try await post(port, body, token: token)
            #expect(r.status == 400 && r.body.contains(fragment), "\(body): \(r.body)")
        }
        #expect(source.journal.entries(after: 0).isEmpty)
        let ack = try await post(port, #"{"type":"control","action":"pause"}"#, token: token)
        #expect(ack.status == 200 && ack.body.contains("\"type\":\"ack\""))
        #expect(source.journal.entries(after: 0).map(\.text) == ["pause"])

        // Over the socket: each bad message gets an error reply; the connection stays usable.
        ws.sendText("{\"type\": 1}")
        #expect(try await io { ws.receive(containing: "\"type\":\"error\"") }?.contains("\\\"type\\\" field") == true)
        ws.send(RawClient.frame([0, 1, 2], opcode: 2))
        #expect(try await io { ws.receive(containing: "\"type\":\"error\"") }?.contains("binary") == true)
        ws.sendText(#"{"type":"units","layer":"layers.1"}"#)
        #expect(try await io { ws.receive(containing: "\"type\":\"error\"") }?.contains("not published") == true)
        // Too large: an error reply (or the close the protocol prescribes), never an acknowledgement.
        ws.sendText(#"{"type":"request","text":""# + String(repeating: "a", count: 10_000) + #""}"#)
        let answer = try await io { ws.receiveText() }
        #expect(answer == nil || answer!.contains("\"type\":\"error\""))
        #expect(source.journal.entries(after: 0).count == 1)
        let again = try RawClient(port: port)
        #expect(try await io { again.upgrade(port: port, token: token) } == 101)
        await server.stop()
    }

    @Test(
        "200 clients connect and drop, garbage and oversized frames: the run ends with the numbers of an unwatched one"
    )
    func floodedServerChangesNothing() async throws {
        let folder = TemporaryDirectory("sculpt-serve-flood")
        defer { folder.remove() }
        let data = thirds(96, seed: 2)
        let plain = try makeScheduled(epochs: 12, data: data)
        try plain.train(data)

        let watched = try makeScheduled(epochs: 12, data: data)
        let (server, source) = try await startServer(folder, data: data)
        watched.attach(journal: source.journal)
        watched.observers = [source, Slow(0.002)]
        let wait = trainInBackground(watched, data)
        let port = try #require(server.port)
        let token = server.configuration.token
        try await io {
            DispatchQueue.concurrentPerform(iterations: 200) { i in
                guard let client = try? RawClient(port: port, timeout: 5) else { return }
                switch i % 5 {
                case 0: return  // connect and drop
                case 1: _ = client.upgrade(port: port, token: token)  // handshake and drop
                case 2:
                    _ = client.upgrade(port: port, token: token)  // garbage frames
                    var g = RandomSource(seed: UInt64(i))
                    client.send((0..<300).map { _ in UInt8(truncatingIfNeeded: g.next()) })
                case 3:
                    _ = client.upgrade(port: port, token: token)  // oversized message
                    client.send(RawClient.frame([UInt8](repeating: 65, count: 100_000)))
                default:  // half a request
                    client.send("GET /ws?token=\(token) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n")
                }
            }
        }
        #expect(try await io { wait() } == nil)
        let a = plain.run.network.namedParameters.map { $0.parameter.value.scalars }
        let b = watched.run.network.namedParameters.map { $0.parameter.value.scalars }
        #expect(a == b)
        #expect(plain.run.reports.map(\.loss) == watched.run.reports.map(\.loss))
        let late = try RawClient(port: port)
        #expect(try await io { late.upgrade(port: port, token: token) } == 101)
        #expect(try await io { late.receive(containing: "snapshot") } != nil)
        await server.stop()
    }

    @Test(
        "a page previews an operation, confirms it, and the run applies it between batches; the page sees the new width"
    )
    func pageOperationRunsBetweenBatches() async throws {
        let folder = TemporaryDirectory("sculpt-serve-op")
        defer { folder.remove() }
        let data = thirds(64, seed: 3)
        let scheduled = try makeScheduled(epochs: 200, data: data)
        let (server, source) = try await startServer(folder, data: data)
        scheduled.attach(journal: source.journal)
        scheduled.observers = [source, Slow(0.003)]
        let wait = trainInBackground(scheduled, data)
        let port = try #require(server.port)
        let token = server.configuration.token
        let page = try RawClient(port: port)
        #expect(try await io { page.upgrade(port: port, token: token) } == 101)
        #expect(try await io { page.receive(containing: "\"type\":\"layers\"") } != nil)
        // Then the spectra, analysed off the training thread.
        let analysed = try #require(try await io { page.receive(containing: "\"analysed\":true") })
        #expect(analysed.contains("\"stableRank\"") && analysed.contains("\"spectrum\":["))
        #expect(!analysed.contains("\"analysed\":false"))
        page.sendText(#"{"type":"control","action":"pause"}"#)
        #expect(try await io { page.receive(containing: "\"state\":\"paused\"") } != nil)
        page.sendText(#"{"type":"preview","text":"expand:layers.1:to=16"}"#)
        let preview = try #require(try await io { page.receive(containing: "\"type\":\"preview\"") })
        #expect(preview.contains("\"widthAfter\":16") && preview.contains("\"widthBefore\":12"), "\(preview)")
        page.sendText(#"{"type":"preview","text":"minweight:layers.1:to=40"}"#)
        #expect(try await io { page.receive(containing: "\"type\":\"error\"") }?.contains("rejected") == true)
        page.sendText(#"{"type":"units","layer":"fc1"}"#)
        let units = try #require(try await io { page.receive(containing: "\"type\":\"units\"") })
        #expect(units.contains("\"taylor\"") && units.contains("\"zeroFraction\""))
        #expect(units.contains("\"weights\":{") && units.contains("\"fanIn\":64") && units.contains("\"binSize\":1"))
        page.sendText(#"{"type":"request","text":"expand:layers.1:to=16"}"#)
        #expect(try await io { page.receive(containing: "\"type\":\"ack\"") } != nil)
        let layers = try #require(try await io { page.receive(containing: "\"width\":16") })
        #expect(layers.contains("\"type\":\"layers\""))
        page.sendText(#"{"type":"control","action":"stop"}"#)
        page.sendText(#"{"type":"control","action":"resume"}"#)
        #expect(try await io { wait() } == nil)
        let applied = try #require(scheduled.events.first { $0.text == "expand:layers.1:to=16" })
        #expect(applied.applied && applied.batch != nil && applied.who == "dashboard" && applied.widthAfter == 16)
        #expect(scheduled.run.completedEpochs < 200)
        await server.stop()
    }
}

@Suite struct DashboardAnalysisTests {
    @Test("the layer table's spectral columns are SculptAnalysis's: singular values, stable rank, alpha")
    func spectraAreTheAnalysisModules() throws {
        var rng = RandomSource(seed: 4)
        let weight = Tensor(zeros: [80, 120])
        weight.fillNormal(std: 0.1, using: &rng)
        let conv = Tensor(zeros: [6, 4, 3, 3])
        conv.fillNormal(std: 0.1, using: &rng)
        let spectra = DashboardAnalysis.spectra(of: [weight, conv])
        for (s, w) in zip(spectra, [weight, conv]) {
            let reference = try LayerSpectrum(name: "w", weight: w)
            #expect(s.stableRank == reference.stableRank && s.alpha == reference.powerLaw.alpha)
            #expect(abs(Double(s.spectrum[0]) - reference.spectralNorm) <= 1e-5 * reference.spectralNorm)
            #expect(s.spectrum == s.spectrum.sorted(by: >))
        }
        #expect(spectra[0].alpha != nil && spectra[0].spectrum.count == DashboardAnalysis.spectrumSize)
        // 9 x 4 eigenvalues: too few to fit a power law.
        #expect(spectra[1].alpha == nil && spectra[1].spectrum.count == DashboardAnalysis.spectrumSize)
    }

    @Test("the weight heat map: one row per unit; a wide fan-in binned to its largest-magnitude weights")
    func unitWeightMapBinsWideFanIns() throws {
        var rng = RandomSource(seed: 5)
        let wide = Architecture(inputShape: [200], layers: [.dense(inputs: 200, outputs: 3, bias: true)])
        let network = try Network(wide, rng: &rng)
        let weight = try #require(network.layers[0].parameters.first?.value)
        weight.data[1 * 200 + 6] = -5  // unit 1, input 6: bin 1 of 4 inputs (4...7)
        let map = try DashboardAnalysis.unitWeights(of: "fc1", in: network)
        #expect(map.fanIn == 200 && map.binSize == 4 && map.rows.count == 3 && map.rows.allSatisfy { $0.count == 50 })
        #expect(map.rows[1][1] == -5)
        let expected = (0..<4).map { weight.data[2 * 200 + 8 + $0] }.max { abs($0) < abs($1) }!
        #expect(map.rows[2][2] == expected)
        let small = Architecture(inputShape: [5], layers: [.dense(inputs: 5, outputs: 2, bias: false)])
        let narrow = try DashboardAnalysis.unitWeights(of: "layers.0", in: try Network(small, rng: &rng))
        #expect(narrow.binSize == 1 && narrow.rows.map(\.count) == [5, 5])
    }
}
#endif
