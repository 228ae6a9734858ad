import SculptCore
import SculptIO
import SculptNN

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One training batch as a live view plots it.
public struct BatchMetrics: Codable, Equatable, Sendable {
    /// The epoch this batch belongs to (1-based, numbered over the run).
    public var epoch: Int
    /// The batch's index within its epoch (0-based) and the epoch's batch count.
    public var batch: Int
    public var batches: Int
    /// Mean training loss and accuracy of the batch (training mode, before the step).
    public var loss: Double
    public var accuracy: Double?
}

/// The state of a run as a live view shows it.
public enum LiveRunState: String, Codable, Sendable {
    case training, paused, stopping, finished
}

/// What a scheduled run tells the people watching it (`TrainingObserver`): batches, epochs,
/// operations with their loss factors, and state changes. Encoded as one JSON object with a `type`.
public enum LiveEvent: Codable, Equatable, Sendable {
    case batch(BatchMetrics)
    case epoch(EpochReport)
    case operation(ScheduleEvent)
    case state(LiveRunState)
    /// The run's length changed (an `epochs N` request).
    case length(epochs: Int)

    private enum CodingKeys: String, CodingKey { case type, state, epochs }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "batch": self = .batch(try BatchMetrics(from: decoder))
        case "epoch": self = .epoch(try EpochReport(from: decoder))
        case "operation": self = .operation(try ScheduleEvent(from: decoder))
        case "state": self = .state(try c.decode(LiveRunState.self, forKey: .state))
        case "length": self = .length(epochs: try c.decode(Int.self, forKey: .epochs))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c, debugDescription: "unknown event type '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .batch(let b):
            try c.encode("batch", forKey: .type)
            try b.encode(to: encoder)
        case .epoch(let e):
            try c.encode("epoch", forKey: .type)
            try e.encode(to: encoder)
        case .operation(let o):
            try c.encode("operation", forKey: .type)
            try o.encode(to: encoder)
        case .state(let s):
            try c.encode("state", forKey: .type)
            try c.encode(s, forKey: .state)
        case .length(let n):
            try c.encode("length", forKey: .type)
            try c.encode(n, forKey: .epochs)
        }
    }

    /// The event as one line of JSON (non-finite numbers as the strings "nan", "inf", "-inf").
    public func jsonLine() throws -> [UInt8] {
        Array(try LiveEvent.encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Reads a line `jsonLine()` wrote.
    public init(jsonLine bytes: some Sequence<UInt8>) throws {
        self = try LiveEvent.decoder.decode(LiveEvent.self, from: Data(bytes))
    }

    /// The encoder of live JSON: sorted keys, non-finite numbers as "nan", "inf", "-inf".
    public static let encoder = JSONEncoder.keepingNonFinite([.sortedKeys])

    static let decoder = JSONDecoder.keepingNonFinite()
}

/// A copy of a run's network that its receiver owns (the training thread keeps training its own),
/// with the schedule entries still to come, so a request can be checked as the run will check it.
public struct NetworkCopy: @unchecked Sendable {
    /// A deep copy: weights, buffers and freeze masks.
    public let network: Network
    /// Epochs whose operations have run, and the run's length.
    public let completedEpochs: Int
    public let epochs: Int
    /// Entries of the schedule after `completedEpochs`.
    public let laterEntries: [ScheduleEntry]

    /// Copies `network` (its architecture, weights, buffers and masks).
    public init(of network: Network, completedEpochs: Int, epochs: Int, laterEntries: [ScheduleEntry]) throws {
        self.network = try Self.deepCopy(network)
        self.completedEpochs = completedEpochs
        self.epochs = epochs
        self.laterEntries = laterEntries
    }

    /// An independent network equal to `network`, masks included.
    public static func deepCopy(_ network: Network) throws -> Network { try network.copied(masks: true) }

    /// Checks `operation` as the run will when it applies it now: against this network and
    /// every later schedule entry (`ScheduledTraining.validateRequest`).
    public func validate(_ operation: ScheduleOperation) throws {
        try ScheduledTraining.validateRequest(
            operation, network: network, laterEntries: laterEntries,
            epoch: completedEpochs, epochs: epochs)
    }
}

/// Receives what a scheduled run does, on the training thread: keep each call short and never
/// wait in it (hand the work to another thread). Training never imports the server that
/// implements this.
public protocol TrainingObserver: AnyObject {
    /// A batch finished, an epoch finished, an operation ran, the state changed.
    func training(_ event: LiveEvent)
    /// The network changed structure or finished an epoch: a copy the observer owns. Asked for
    /// only when `wantsNetworkCopies` is true.
    func training(networkChanged copy: NetworkCopy)
    var wantsNetworkCopies: Bool { get }
}
