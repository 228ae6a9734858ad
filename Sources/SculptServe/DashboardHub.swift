#if Dashboard
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptSurgery

/// A probe batch the dashboard measures on, owned by the server.
public struct DashboardProbe: @unchecked Sendable {
    public let data: Dataset
    public let loss: LossKind

    /// The first `count` samples of `data`, copied.
    public init(_ data: Dataset, count: Int = 256, loss: LossKind) {
        let n = Swift.min(count, data.count)
        let inputs = Tensor(zeros: [0])
        let targets = Tensor(zeros: [0])
        data.fillBatch(indices: Array(0..<n)[...], inputs: inputs, targets: targets)
        self.data = TensorDataset(inputs: inputs, targets: targets, classCount: data.classCount)
        self.loss = loss
    }
}

/// Everything the page shows, kept by the server and pushed to every connected page: the state
/// the pages see when they connect (`snapshot`) and each change after (`batches`, `epoch`,
/// `operation`, `state`, `length`, `layers`). Slow pages lose messages rather than slow anything.
public actor DashboardHub {
    /// Training curve points kept (older points are thinned, every other one dropped).
    public static let maximumPoints = 4000
    /// Messages queued per page before the oldest are dropped.
    public static let pageBuffer = 256

    struct Point: Codable {
        var x: Double
        var loss: Double
        var accuracy: Double?
    }
    struct Snapshot: Encodable {
        var type = "snapshot"
        var run: String
        var state: LiveRunState
        var epochs: Int
        var points: [Point]
        var reports: [EpochReport]
        var operations: [ScheduleEvent]
        var layers: [LayerSummary]
    }

    /// Weights copied for the analysis task alone.
    struct WeightCopies: @unchecked Sendable {
        let tensors: [Tensor]
    }
    struct UnitsReply: Encodable {
        var units: LayerMeasurement
        var weights: UnitWeightMap
    }

    let run: String
    let probe: DashboardProbe
    let source: DashboardSource
    private var points: [Point] = []
    private var reports: [EpochReport] = []
    private var operations: [ScheduleEvent] = []
    private var state = LiveRunState.training
    private var epochs = 0
    private var layers: [LayerSummary] = []
    private var network: NetworkCopy?
    /// Copies received so far, and the analysis of the newest one.
    private var generation = 0
    private var analysis: Task<Void, Never>?
    private var pages: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextPage = 0

    public init(run: String, source: DashboardSource, probe: DashboardProbe) {
        self.run = run
        self.source = source
        self.probe = probe
    }

    /// Pages connected now.
    public var pageCount: Int { pages.count }

    /// Takes what the source has and pushes it to the pages.
    public func pump() {
        let (events, copy) = source.take()
        var fresh: [Point] = []
        for event in events {
            switch event {
            case .batch(let b):
                fresh.append(
                    Point(
                        x: Double(b.epoch - 1) + Double(b.batch + 1) / Double(Swift.max(b.batches, 1)),
                        loss: b.loss, accuracy: b.accuracy))
            case .epoch(let r):
                reports.append(r)
                broadcast(["type": "epoch"], r)
            case .operation(let o):
                operations.append(o)
                broadcast(["type": "operation"], o)
            case .state(let s):
                state = s
                broadcast(["type": "state", "state": s.rawValue])
            case .length(let n):
                epochs = n
                broadcast(["type": "length", "epochs": "\(n)"])
            }
        }
        if !fresh.isEmpty {
            points += fresh
            if points.count > Self.maximumPoints {
                points = points.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            }
            broadcast(["type": "batches"], ["points": fresh])
        }
        if let copy { publish(copy) }
    }

    /// A new copy of the network: its layer table at once (structure), then its spectra, analysed
    /// on another thread (a newer copy cancels an older analysis).
    private func publish(_ copy: NetworkCopy) {
        network = copy
        epochs = copy.epochs
        layers = DashboardAnalysis.carrying(layers, into: DashboardAnalysis.layers(of: copy.network))
        broadcast(["type": "layers"], ["layers": layers])
        generation += 1
        let weights = WeightCopies(tensors: DashboardAnalysis.weights(of: copy.network))
        let current = generation
        analysis?.cancel()
        analysis = Task.detached(priority: .utility) { [weak self] in
            let spectra = DashboardAnalysis.spectra(of: weights.tensors)
            guard !Task.isCancelled else { return }
            await self?.analysed(spectra, generation: current)
        }
    }

    private func analysed(_ spectra: [LayerSpectralSummary], generation analysedGeneration: Int) {
        guard analysedGeneration == generation, spectra.count == layers.count else { return }
        for (k, s) in spectra.enumerated() {
            (layers[k].spectrum, layers[k].stableRank, layers[k].alpha) = (s.spectrum, s.stableRank, s.alpha)
            layers[k].analysed = true
        }
        broadcast(["type": "layers"], ["layers": layers])
    }

    /// A new page: its stream starts with the snapshot.
    public func connect() -> (id: Int, messages: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(Self.pageBuffer))
        nextPage += 1
        pages[nextPage] = continuation
        let snapshot = Snapshot(
            run: run, state: state, epochs: epochs, points: points, reports: reports,
            operations: operations, layers: layers)
        continuation.yield(Self.text(snapshot))
        return (nextPage, stream)
    }

    public func disconnect(_ id: Int) {
        pages.removeValue(forKey: id)?.finish()
    }

    /// Answers one message: an acknowledgement (journaled, on disk), a preview, a unit table, or an error.
    public func answer(_ bytes: [UInt8]) -> String {
        do {
            switch try ClientMessage(json: bytes) {
            case .request(let operation):
                try currentNetwork().validate(operation)
                return try acknowledge(operation.description)
            case .control(let action): return try acknowledge(action)
            case .preview(let operation):
                let preview = try DashboardAnalysis.preview(
                    operation, on: try currentNetwork(), probe: probe.data,
                    loss: probe.loss.makeLoss())
                return Self.text(["type": "preview"], ["preview": preview])
            case .units(let layer):
                let network = try currentNetwork().network
                let units = try DashboardAnalysis.units(
                    of: layer, in: network, probe: probe.data, loss: probe.loss.makeLoss())
                let weights = try DashboardAnalysis.unitWeights(of: layer, in: network)
                return Self.text(["type": "units"], UnitsReply(units: units, weights: weights))
            }
        } catch let error as DashboardError {
            return Self.error("\(error)")
        } catch let error as ScheduleError {
            return Self.error("\(DashboardError.rejected(error.reason))")
        } catch {
            return Self.error("\(error)")
        }
    }

    private func currentNetwork() throws -> NetworkCopy {
        guard let network else { throw DashboardError.unavailable("the run has not published its network yet") }
        return network
    }

    private func acknowledge(_ text: String) throws -> String {
        let id = try source.journal.append(text, who: "dashboard")
        return Self.text(["type": "ack", "text": text, "id": "\(id)"])
    }

    private func broadcast(_ header: [String: String], _ body: some Encodable = [String: String]()) {
        let text = Self.text(header, body)
        for page in pages.values { page.yield(text) }
    }

    // MARK: - JSON

    static func error(_ message: String) -> String { text(["type": "error", "message": message]) }

    static func text(_ value: some Encodable) -> String {
        (try? LiveEvent.encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{\"type\":\"error\"}"
    }

    /// `header`'s string fields merged into the object `body` encodes to.
    static func text(_ header: [String: String], _ body: some Encodable = [String: String]()) -> String {
        var object = text(body)
        guard object.hasPrefix("{") else { return object }
        let fields = header.keys.sorted().map { "\(text($0)):\(text(header[$0]!))" }.joined(separator: ",")
        object.removeFirst()
        return "{" + fields + (object == "}" ? "}" : "," + object)
    }
}
#endif
