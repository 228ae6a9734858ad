import Foundation
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptVisual

/// One line of a run folder's `metrics.jsonl`: what one epoch of one series measured.
public struct RunLogEntry: Codable, Sendable, Equatable {
    /// Which curve ("train"; "round 2 ticket", "round 1 control" for lottery and restart rounds).
    public var series: String
    /// Epoch within the series, from 1.
    public var epoch: Int
    /// Mean training loss of the epoch.
    public var loss: Double?
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Parameters of the network after the epoch.
    public var parameters: Int?
    /// Units (neurons or filters) of each Dense and Conv2D layer, by path.
    public var widths: [String: Int]?
    /// The operations applied just before this epoch (after the previous one).
    public var operations: [RunLogOperation]?
    /// Wall-clock seconds of the epoch.
    public var seconds: Double?

    public init(series: String = "train", epoch: Int, loss: Double? = nil, accuracy: Double? = nil) {
        self.series = series
        self.epoch = epoch
        self.loss = loss
        self.accuracy = accuracy
    }

    /// The entry of a finished epoch; with `network`, its parameter count and layer widths too.
    public init(
        _ report: EpochReport, series: String = "train", network: Network? = nil,
        operations: [RunLogOperation] = []
    ) {
        self.init(
            series: series, epoch: report.epoch, loss: Double(report.loss), accuracy: report.accuracy.map(Double.init))
        validationLoss = report.validationLoss.map(Double.init)
        validationAccuracy = report.validationAccuracy.map(Double.init)
        seconds = report.seconds
        if let network {
            parameters = network.parameterCount
            var widths: [String: Int] = [:]
            for layer in WeightLayer.all(in: network) {
                switch layer.layer {
                case let dense as Dense: widths[layer.path] = dense.outputFeatures
                case let conv as Conv2D: widths[layer.path] = conv.outputChannels
                default: break
                }
            }
            self.widths = widths
        }
        self.operations = operations.isEmpty ? nil : operations
    }
}

/// A surgery operation between epochs, as the run log keeps it.
public struct RunLogOperation: Codable, Sendable, Equatable {
    /// Applied after this many epochs.
    public var afterEpoch: Int
    public var text: String
    /// Probe loss just after / just before.
    public var lossFactor: Double?

    public init(afterEpoch: Int, text: String, lossFactor: Double?) {
        self.afterEpoch = afterEpoch
        self.text = text
        self.lossFactor = lossFactor
    }

    /// The applied operations of `events` that ran right before epoch `epoch`.
    public static func applied(_ events: [ScheduleEvent], before epoch: Int) -> [RunLogOperation] {
        events.filter { $0.applied && $0.epoch == epoch - 1 }.map {
            RunLogOperation(
                afterEpoch: $0.epoch, text: $0.text, lossFactor: $0.lossFactor.isFinite ? $0.lossFactor : nil)
        }
    }
}

/// A run folder's curves: `metrics.jsonl` (one `RunLogEntry` per line, rewritten atomically
/// after every epoch, so a killed run keeps every epoch it logged) and `curves.svg` (loss,
/// accuracy and, when they change, layer widths against the epoch, operations marked).
///
/// Every training command makes one per run and calls `record` after each epoch. Entries wait
/// in memory until the folder exists (a run's first checkpoint may come after its first
/// epoch); `Checkpoint.save` carries both files over when it replaces the folder.
public final class RunLog {
    public static let metricsFile = Checkpoint.runLogFiles[0]
    public static let curvesFile = Checkpoint.runLogFiles[1]

    /// The run folder (nil: the run keeps no folder, and the log writes nothing).
    public let folder: String?
    private var pending: [RunLogEntry] = []

    public init(folder: String?) {
        self.folder = folder.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// Logs one epoch: appends it to `metrics.jsonl` (replacing that series' lines from this
    /// epoch on, left by an earlier run or a resumed one) and redraws `curves.svg`.
    public func record(_ entry: RunLogEntry) throws {
        pending.append(entry)
        try flush()
    }

    /// Logs a finished epoch of `series`: with `network`, its widths and parameter count; with
    /// `events` (a schedule's), the operations applied just before the epoch.
    public func record(
        _ report: EpochReport, series: String = "train", network: Network? = nil,
        events: [ScheduleEvent] = []
    ) throws {
        try record(
            RunLogEntry(
                report, series: series, network: network,
                operations: RunLogOperation.applied(events, before: report.epoch)))
    }

    /// Writes the waiting entries once the folder exists and is a checkpoint or not empty
    /// (an empty folder may still become a checkpoint, which must find it empty).
    public func flush() throws {
        guard let folder, !pending.isEmpty, FilePaths.isDirectory(folder),
            Checkpoint.exists(at: folder) || !FilePaths.isEmptyDirectory(folder)
        else { return }
        var entries = try Self.read(folder: folder)
        for entry in pending {
            entries.removeAll { $0.series == entry.series && $0.epoch >= entry.epoch }
            entries.append(entry)
        }
        let encoder = JSONEncoder.keepingNonFinite([.sortedKeys])
        var text = ""
        for entry in entries { text += String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n" }
        try writeFileAtomically(Array(text.utf8), to: folder + "/" + Self.metricsFile)
        try writeFileAtomically(Array(RunCurves(entries: entries).svg().utf8), to: folder + "/" + Self.curvesFile)
        pending.removeAll()
    }

    deinit { try? flush() }

    /// The entries of `folder`'s `metrics.jsonl` (none when it has none; unreadable lines are skipped).
    public static func read(folder: String) throws -> [RunLogEntry] {
        guard let bytes = try Checkpoint.attachment(named: metricsFile, in: folder) else { return [] }
        let decoder = JSONDecoder.keepingNonFinite()
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap {
            try? decoder.decode(RunLogEntry.self, from: Data($0))
        }
    }
}
