#if Dashboard
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

/// Where the dashboard's events and network copies come from, and where its requests go.
public protocol DashboardSource: AnyObject, Sendable {
    /// The events since the last call, and the newest network copy if one arrived since.
    func take() -> (events: [LiveEvent], network: NetworkCopy?)
    /// The run's request journal: an acknowledged request is there, on disk.
    var journal: RequestJournal { get }
}

/// The source of a dashboard inside the training process: a `TrainingObserver` whose calls
/// only append under a lock (the training thread never waits for the server).
public final class LiveSource: DashboardSource, TrainingObserver, @unchecked Sendable {
    public let journal: RequestJournal
    private let lock = NSLock()
    private var pending: [LiveEvent] = []
    private var network: NetworkCopy?
    /// Events kept at most between two `take` calls (older batch events are dropped first).
    public var capacity = 100_000

    public init(journal: RequestJournal) { self.journal = journal }

    public var wantsNetworkCopies: Bool { true }

    public func training(_ event: LiveEvent) {
        lock.lock()
        defer { lock.unlock() }
        if pending.count >= capacity,
            let first = pending.firstIndex(where: { if case .batch = $0 { true } else { false } })
        {
            pending.remove(at: first)
        }
        pending.append(event)
    }

    public func training(networkChanged copy: NetworkCopy) {
        lock.lock()
        network = copy
        lock.unlock()
    }

    public func take() -> (events: [LiveEvent], network: NetworkCopy?) {
        lock.lock()
        defer { lock.unlock() }
        let out = (pending, network)
        pending = []
        network = nil
        return out
    }
}

/// The source of `sculpt serve RUN`: follows the event log a `sculpt schedule` process writes
/// beside its run folder (`LiveEventLog`) and reloads the folder's checkpoint when it is saved.
public final class FolderSource: DashboardSource, @unchecked Sendable {
    public let journal: RequestJournal
    public let folder: String
    private let lock = NSLock()
    private var offset = 0
    private var loadedStamp: String?
    private let makeProbe: (Network) throws -> Dataset

    /// Follows `folder`; `probe` gives the samples `ScheduledTraining.load` checks the network against.
    public init(folder: String, probe: @escaping (Network) throws -> Dataset) {
        self.folder = folder
        self.journal = RequestJournal(path: RequestJournal.path(forRun: folder))
        self.makeProbe = probe
    }

    public func take() -> (events: [LiveEvent], network: NetworkCopy?) {
        lock.lock()
        defer { lock.unlock() }
        return (newEvents(), reloadedNetwork())
    }

    private func newEvents() -> [LiveEvent] {
        guard let bytes = try? readFileBytes(LiveEventLog.path(forRun: folder)), bytes.count > offset,
            let end = bytes.lastIndex(of: UInt8(ascii: "\n")), end >= offset
        else { return [] }
        let lines = bytes[offset...end].split(separator: UInt8(ascii: "\n"))
        offset = end + 1
        return lines.compactMap { try? LiveEvent(jsonLine: $0) }
    }

    private func reloadedNetwork() -> NetworkCopy? {
        let file = folder + "/" + ScheduledTraining.attachmentName
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else { return nil }
        let stamp =
            "\(attributes[.modificationDate] ?? "")-\(attributes[.size] ?? "")-\(attributes[.systemFileNumber] ?? "")"
        guard stamp != loadedStamp, let scheduled = try? ScheduledTraining.load(from: folder, probe: makeProbe) else {
            return nil
        }
        loadedStamp = stamp
        let done = scheduled.run.completedEpochs
        return try? NetworkCopy(
            of: scheduled.run.network, completedEpochs: done, epochs: scheduled.epochs,
            laterEntries: scheduled.schedule.entries.filter { $0.epoch > done })
    }
}
#endif
