#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What happened when a schedule entry or a person's request ran between two epochs.
public struct ScheduleEvent: Codable, Equatable, Sendable {
    /// Where the operation came from.
    public enum Source: String, Codable, Sendable {
        /// An entry of the schedule given when the run started (or was resumed).
        case schedule
        /// A line a person wrote into the run's requests file while it trained.
        case request
    }

    /// Applied after this many epochs.
    public var epoch: Int
    public var source: Source
    /// The entry's index in the schedule (schedule events only).
    public var entry: Int?
    /// The operation as text (`eigenremove:conv10:0.75:rank=0.125`).
    public var text: String
    /// The surgery applied; nil when a request was rejected.
    public var plan: SurgeryPlan?
    /// Why a request was rejected (nil when it was applied).
    public var rejected: String?
    /// The layer's width (units) before and after, when the operation names a layer that still exists.
    public var widthBefore: Int?
    public var widthAfter: Int?
    public var parametersBefore: Int
    public var parametersAfter: Int
    /// Loss and accuracy on the probe set (eval mode) just before and just after the operation.
    public var lossBefore: Double
    public var lossAfter: Double
    public var accuracyBefore: Double?
    public var accuracyAfter: Double?
    /// The training loss of the epoch before the operation and of the epoch after it (the
    /// epoch's running loss, training mode), when those epochs exist.
    public var epochLossBefore: Double?
    public var epochLossAfter: Double?
    /// Wall-clock seconds of the operation itself (not the probe evaluations).
    public var seconds: Double
    /// Batches of epoch `epoch + 1` finished when a request ran between batches (nil: at the epoch's end).
    public var batch: Int? = nil
    /// The request's id in the run's journal and who asked (`RequestJournal`), for journaled requests.
    public var requestID: Int? = nil
    public var who: String? = nil

    /// The immediate loss factor: probe loss just after / just before the operation.
    public var lossFactor: Double { lossAfter / lossBefore }
    /// The epoch loss factor: training loss of the epoch after / of the epoch before (the
    /// operation plus one epoch of recovery), nil until both exist.
    public var epochFactor: Double? {
        guard let a = epochLossAfter, let b = epochLossBefore else { return nil }
        return a / b
    }
    /// Whether the operation was applied.
    public var applied: Bool { plan != nil }
}

/// Training with a schedule of surgery operations applied between epochs (Graham 2019, 4.1.2:
/// EigenRemove, Minimum Weight Selection, WeakExpand, ZeroExpand, restarts, freezing at given
/// epochs on given layers), and with operations a person requests while the run trains.
///
/// Each finished epoch is followed by that epoch's schedule entries (in the order given), then by
/// the lines of `requestsFile`, if a person wrote one: each line an operation as
/// `ScheduleOperation(parsing:)` reads it, `stop` (end the run after this epoch, resumable), or
/// `epochs N` (change the run's length). A request that does not fit the network, or that would
/// make a later schedule entry impossible, is rejected with its reason and training goes on.
/// Every operation records its loss factor on the probe set (just after / just before) and the
/// factor of the training losses of the epochs around it. Entries at epoch 0 run before the first
/// epoch. The whole schedule is validated against the network as it will evolve before any
/// training (`TrainingSchedule.validate`).
///
/// With a save folder the run writes a checkpoint after every epoch's operations (the network
/// with its surgery history, optimizer state, generator, and the schedule state as the
/// `schedule.json` attachment); `load(from:)` continues it, bit for bit as an uninterrupted run
/// (one BLAS thread). Random choices of an entry use its `seed` or one derived from the run's
/// seed and the entry's index, so they do not depend on where the run was interrupted.
///
/// Live: `observers` see every batch, epoch, operation and state change (a dashboard, an event
/// log); with a `RequestJournal` attached, the journal's new requests run **between batches**
/// (validated as above), `pause` / `resume` hold the loop between batches, and the checkpoint
/// records the last journal entry applied, so acknowledged requests run exactly once, across a
/// crash and `load` too (an entry applied within an epoch that was not saved runs again after
/// the resume, at the start of that epoch).
public final class ScheduledTraining {
    /// File name of the schedule state in a checkpoint folder.
    public static let attachmentName = "schedule.json"

    public let run: TrainingRun
    public private(set) var schedule: TrainingSchedule
    /// The run's length in epochs.
    public private(set) var epochs: Int
    /// Every operation applied or rejected so far.
    public private(set) var events: [ScheduleEvent] = []
    /// The last epoch whose operations have run (-1: none yet).
    public private(set) var appliedThrough = -1
    /// The pending entries as validation resolved them when the run was set up (or resumed).
    public private(set) var pendingSteps: [SchedulePreviewStep] = []
    /// Set by a `stop` request; the run ends after the current batch (saving where it stopped in
    /// the epoch, `partialEpoch`) or, when the request is read at an epoch end, after its operations.
    public private(set) var stopRequested = false
    /// Where a `stop` between batches left the current epoch (saved with the checkpoint; `train`
    /// trains the rest of that epoch first); nil at an epoch's end.
    public private(set) var partialEpoch: PartialEpoch?
    private var tally = EpochTally(epochStart: RandomSource(seed: 0))
    private var trainingSamples = 0
    /// Loss factors are measured on these samples (eval mode).
    public let probe: Dataset
    /// A text file a person may write operations into while the run trains (nil: none).
    public var requestsFile: String?
    /// Called after each operation (applied or rejected).
    public var eventProgress: ((ScheduleEvent) -> Void)?
    /// Called after each epoch.
    public var epochProgress: ((EpochReport) -> Void)?
    /// Receive every batch, epoch, operation and state change (see `TrainingObserver`).
    public var observers: [TrainingObserver] = []
    /// The run's request journal: its new entries run between batches (`attach(journal:)`).
    public private(set) var journal: RequestJournal?
    /// The last journal id whose request has run (saved with the checkpoint).
    public private(set) var journalApplied = 0
    /// Set by a `pause` request, cleared by `resume`: the loop waits between batches.
    public private(set) var paused = false
    private var resumed = false
    /// Journal ids up to this one were acknowledged before the resume: their `stop` / `pause` /
    /// `resume` are not replayed (a run that crashed while paused comes back running).
    private var replayedThrough = 0

    /// A run of `epochs` epochs with `schedule`; throws `ScheduleError` before any training when
    /// an entry does not fit the network as it will evolve, or the probe set does not fit.
    public init(run: TrainingRun, schedule: TrainingSchedule, epochs: Int, probe: Dataset) throws {
        self.run = run
        self.schedule = schedule
        self.epochs = epochs
        self.probe = probe
        try check()
        appliedThrough = run.completedEpochs > 0 ? run.completedEpochs : -1
        pendingSteps = try schedule.validate(against: run.network, epochs: epochs, appliedThrough: appliedThrough)
    }

    private init(run: TrainingRun, state: State, probe: Dataset) {
        self.run = run
        self.schedule = state.schedule
        self.epochs = state.epochs
        self.events = state.events
        self.appliedThrough = state.appliedThrough
        self.journalApplied = state.journalApplied ?? 0
        self.partialEpoch = state.partialEpoch
        self.probe = probe
        self.resumed = true
    }

    /// Reads requests from `journal` between batches. A fresh run skips the entries already there
    /// (an earlier run's); a resumed run applies the operations and `epochs N` after the last entry
    /// its checkpoint applied (the `stop`, `pause` and `resume` among them are not replayed).
    public func attach(journal: RequestJournal) {
        self.journal = journal
        let last = journal.entries(after: 0).last?.id ?? 0
        if resumed { replayedThrough = last } else { journalApplied = last }
    }

    private func check() throws {
        guard epochs >= 0 else { throw ScheduleError.invalidConfiguration("epochs must be >= 0, got \(epochs)") }
        guard probe.count > 0 else { throw ScheduleError.invalidConfiguration("the probe set is empty") }
        guard probe.inputShape == run.network.inputShape else {
            throw ScheduleError.invalidConfiguration(
                "the probe samples have shape \(probe.inputShape) but the network takes \(run.network.inputShape)")
        }
    }

    // MARK: - Saving and resuming

    /// The schedule state saved beside the checkpoint.
    struct State: Codable {
        var format = 1
        var schedule: TrainingSchedule
        var epochs: Int
        var appliedThrough: Int
        var events: [ScheduleEvent]
        var journalApplied: Int?
        var partialEpoch: PartialEpoch?
    }

    /// The run as a checkpoint, with the schedule state attached.
    public func checkpoint() throws -> Checkpoint {
        var c = run.checkpoint()
        let encoder = JSONEncoder.keepingNonFinite([.prettyPrinted, .sortedKeys])
        let state = State(schedule: schedule, epochs: epochs, appliedThrough: appliedThrough, events: events,
                          journalApplied: journalApplied, partialEpoch: partialEpoch)
        c.attachments.append((Self.attachmentName, Array(try encoder.encode(state))))
        return c
    }

    /// Continues the scheduled run saved in `directory`. `adding` entries extend its schedule
    /// (they must come after the epochs whose operations already ran); `epochs` changes its
    /// length. The extended schedule is validated before any training.
    public static func load(from directory: String, probe: (Network) throws -> Dataset, adding: [ScheduleEntry] = [],
                            epochs: Int? = nil) throws -> ScheduledTraining {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: directory) } catch {
            throw ScheduleError.cannotResume("\(directory): \(error)")
        }
        let run: TrainingRun
        do { run = try TrainingRun(resuming: checkpoint) } catch {
            throw ScheduleError.cannotResume("\(directory): \(error)")
        }
        return try resume(run, savedIn: directory, probe: try probe(run.network), adding: adding, epochs: epochs)
    }

    /// Continues a scheduled run whose checkpoint in `directory` `run` was resumed from (see `load`).
    public static func resume(
        _ run: TrainingRun, savedIn directory: String, probe: Dataset, adding: [ScheduleEntry] = [],
                              epochs: Int? = nil) throws -> ScheduledTraining {
        let bytes: [UInt8]?
        do { bytes = try Checkpoint.attachment(named: attachmentName, in: directory) } catch {
            throw ScheduleError.cannotResume("\(directory)/\(attachmentName): \(error)")
        }
        guard let bytes else {
            throw ScheduleError.cannotResume("\(directory) holds no \(attachmentName): it is not a scheduled run")
        }
        var state: State
        do {
            state = try JSONDecoder.keepingNonFinite().decode(State.self, from: Data(bytes))
        } catch {
            throw ScheduleError.cannotResume("\(directory)/\(attachmentName) does not decode (\(error))")
        }
        guard state.format == 1 else {
            throw ScheduleError.cannotResume("\(directory)/\(attachmentName) has format \(state.format), expected 1")
        }
        if let partial = state.partialEpoch, partial.epoch != run.completedEpochs + 1 {
            throw ScheduleError.cannotResume(
                "\(directory): stopped within epoch \(partial.epoch), but the checkpoint holds \(run.completedEpochs) epochs"
            )
        }
        guard state.appliedThrough <= run.completedEpochs, state.appliedThrough >= run.completedEpochs - 1 else {
            throw ScheduleError.cannotResume(
                "\(directory): the schedule state (operations through epoch \(state.appliedThrough)) does not match the checkpoint's \(run.completedEpochs) epochs"
            )
        }
        for entry in adding where entry.epoch <= state.appliedThrough {
            throw ScheduleError.invalidConfiguration(
                "entry \(entry): the operations of epoch \(state.appliedThrough) and earlier have already run")
        }
        state.schedule.entries += adding
        if let epochs { state.epochs = epochs }
        let scheduled = ScheduledTraining(run: run, state: state, probe: probe)
        try scheduled.check()
        guard scheduled.epochs >= run.completedEpochs else {
            throw ScheduleError.invalidConfiguration(
                "the run has already trained \(run.completedEpochs) epochs; \(scheduled.epochs) epochs is fewer")
        }
        scheduled.pendingSteps = try scheduled.schedule.validate(against: run.network, epochs: scheduled.epochs,
                                                                 appliedThrough: state.appliedThrough)
        return scheduled
    }

    // MARK: - Training

    /// Trains until `epochs` (or a `stop` request, or `stoppingAfter` epochs, as an interruption
    /// would), running each epoch's operations after it, and saving a checkpoint in `directory`
    /// after each epoch when one is given.
    public func train(_ train: Dataset, validation: Dataset? = nil, augmentation: BatchAugmentation? = nil,
                      saveTo directory: String? = nil, stoppingAfter limit: Int? = nil) throws {
        guard train.inputShape == run.network.inputShape else {
            throw ScheduleError.invalidConfiguration(
                "the training samples have shape \(train.inputShape) but the network takes \(run.network.inputShape)")
        }
        stopRequested = false
        publish(.state(.training))
        publishNetwork()
        if appliedThrough < run.completedEpochs {
            try runOperations()
            if let directory { try checkpoint().save(to: directory) }
        }
        run.trainer.batchEnd = { [unowned self] _, batch, batches, loss, accuracy in
            try self.betweenBatches(batch: batch, batches: batches, loss: loss, accuracy: accuracy)
        }
        defer { run.trainer.batchEnd = nil }
        while run.completedEpochs < Swift.min(epochs, limit ?? epochs), !stopRequested {
            guard let report = try trainEpoch(train, validation: validation, augmentation: augmentation) else {
                if let directory { try checkpoint().save(to: directory) }
                break
            }
            for k in events.indices where events[k].applied && events[k].epoch == report.epoch - 1 {
                events[k].epochLossAfter = Double(report.loss)
            }
            epochProgress?(report)
            publish(.epoch(report))
            try runOperations()
            if let directory { try checkpoint().save(to: directory) }
            publishNetwork()
        }
        publish(.state(.finished))
    }

    /// Trains one epoch, or the rest of the one a stop between batches left (`partialEpoch`);
    /// nil when a `stop` ends it between batches (`partialEpoch` then says where).
    private func trainEpoch(
        _ train: Dataset, validation: Dataset?, augmentation: BatchAugmentation?
    ) throws -> EpochReport? {
        let resuming = partialEpoch
        let shuffle = run.trainer.shuffle
        tally = EpochTally(epochStart: run.rng, resuming: resuming)
        trainingSamples = train.count
        var data = train
        if let resuming {
            let rest = resuming.remainingOrder(count: train.count, batchSize: run.trainer.batchSize, shuffled: shuffle)
            data = ReorderedDataset(base: train, indices: rest)
            run.trainer.shuffle = false
        }
        defer { run.trainer.shuffle = shuffle }
        var report: EpochReport
        do {
            report = try run.runEpoch(train: data, validation: validation, augmentation: augmentation)
        } catch is StopBetweenBatches {
            partialEpoch = tally.partial(epoch: run.completedEpochs + 1)
            return nil
        }
        partialEpoch = nil
        if resuming != nil {
            // The epoch's means over all its batches, summed in the order the trainer sums them.
            report.loss = Float(tally.lossSum / Double(train.count))
            if report.accuracy != nil { report.accuracy = Float(tally.correct / Double(train.count)) }
            run.amendLastReport(report)
        }
        return report
    }

    /// Thrown from the trainer's batch hook to end the epoch where a `stop` request found it.
    private struct StopBetweenBatches: Error {}

    /// After each batch: tells the observers, runs the journal's new requests, waits while paused,
    /// and ends the epoch here when a `stop` arrived (unless this was its last batch).
    private func betweenBatches(batch: Int, batches: Int, loss: Float, accuracy: Float?) throws -> Bool {
        let index = tally.offset + batch, count = tally.offset + batches
        let size = Swift.min(run.trainer.batchSize, trainingSamples - index * run.trainer.batchSize)
        tally.add(loss: loss, accuracy: accuracy, size: size)
        publish(.batch(BatchMetrics(epoch: run.completedEpochs + 1, batch: index, batches: count, loss: Double(loss),
                                    accuracy: accuracy.map(Double.init))))
        var changed = try runJournal(batch: index + 1)
        if changed { publishNetwork() }
        while paused, !stopRequested {
            usleep(50_000)
            if try runJournal(batch: index + 1) {
                changed = true
                publishNetwork()
            }
        }
        if stopRequested, index + 1 < count { throw StopBetweenBatches() }
        return changed
    }

    /// Runs the journal's entries after `journalApplied`; true when one changed the network.
    private func runJournal(batch: Int?) throws -> Bool {
        guard let journal else { return false }
        var changed = false
        var probeScore: (loss: Double, accuracy: Double?)? = nil
        for entry in journal.entries(after: journalApplied) {
            if try handleRequest(entry.text, id: entry.id, who: entry.who, batch: batch, probeScore: &probeScore) {
                changed = true
            }
            journalApplied = entry.id
        }
        return changed
    }

    private func publish(_ event: LiveEvent) {
        for observer in observers { observer.training(event) }
    }

    private func publishNetwork() {
        let wanting = observers.filter(\.wantsNetworkCopies)
        guard !wanting.isEmpty, let copy = try? NetworkCopy(
            of: run.network, completedEpochs: run.completedEpochs, epochs: epochs,
            laterEntries: schedule.entries.filter { $0.epoch > run.completedEpochs }) else { return }
        for observer in wanting { observer.training(networkChanged: copy) }
    }

    private func record(_ event: ScheduleEvent) {
        events.append(event)
        eventProgress?(event)
        publish(.operation(event))
    }

    /// Checks a requested `operation` as the run checks it before applying it after `epoch`
    /// epochs: it must fit `network` now and leave every later schedule entry possible. Throws
    /// `ScheduleError` (`invalidEntry` with index > 0 names the later entry it would break).
    public static func validateRequest(_ operation: ScheduleOperation, network: Network, laterEntries: [ScheduleEntry],
                                       epoch: Int, epochs: Int) throws {
        let later = TrainingSchedule([ScheduleEntry(epoch: epoch, operation: operation)] + laterEntries)
        try later.validate(against: network, epochs: epochs, appliedThrough: epoch - 1)
    }

    /// The seed an entry uses when it names none: a function of the run's seed and the entry.
    func defaultSeed(entry: Int, source: ScheduleEvent.Source) -> UInt64 {
        var g = RandomSource(seed: run.configuration.seed ^ (source == .schedule ? 0x5C4E_D01E : 0x4E9_0E57))
        for _ in 0...entry { _ = g.split() }
        return g.split().state[0]
    }

    /// Runs the operations due after the finished epochs: the schedule's, then the requests.
    private func runOperations() throws {
        let epoch = run.completedEpochs
        var probeScore: (loss: Double, accuracy: Double?)? = nil
        for i in schedule.executionOrder where schedule.entries[i].epoch == epoch {
            let (event, after) = try apply(
                schedule.entries[i].operation, source: .schedule, entry: i, before: probeScore)
            probeScore = after
            record(event)
        }
        let lines = takeRequests()
        if let journal {
            for line in lines { try journal.append(line, who: "requests-file") }
            _ = try runJournal(batch: nil)
        } else {
            for line in lines { try handleRequest(line, id: nil, who: nil, batch: nil, probeScore: &probeScore) }
        }
        appliedThrough = epoch
    }

    /// Runs one request (`stop`, `pause`, `resume`, `epochs N` or an operation) now; a request that
    /// does not fit is recorded as rejected. Returns true when the network changed.
    @discardableResult
    private func handleRequest(_ line: String, id: Int?, who: String?, batch: Int?,
                               probeScore: inout (loss: Double, accuracy: Double?)?) throws -> Bool {
        let epoch = run.completedEpochs
        let words = line.split(separator: " ").map(String.init)
        func reject(_ reason: String) {
            var event = rejection(line, epoch: epoch, reason: reason)
            event.batch = batch; event.requestID = id; event.who = who
            record(event)
        }
        let control = ["stop", "pause", "resume"].contains(line.lowercased())
        if control, let id, id <= replayedThrough { return false }
        switch line.lowercased() {
        case "stop": stopRequested = true; paused = false; publish(.state(.stopping)); return false
        case "pause": paused = true; publish(.state(.paused)); return false
        case "resume": paused = false; publish(.state(.training)); return false
        default: break
        }
        if words.count == 2, words[0].lowercased() == "epochs", let n = Int(words[1]) {
            if n >= epoch, (try? schedule.validate(against: run.network, epochs: n, appliedThrough: epoch)) != nil {
                epochs = n
                publish(.length(epochs: n))
            } else {
                reject("epochs \(n) is before the current epoch \(epoch) or before a scheduled entry")
            }
            return false
        }
        do {
            let operation = try ScheduleOperation(parsing: line)
            var check = operation
            check.seed = operation.seed ?? defaultSeed(entry: events.count, source: .request)
            let later = schedule.entries.filter { $0.epoch > epoch }
            try Self.validateRequest(operation, network: run.network, laterEntries: later, epoch: epoch, epochs: epochs)
            var (event, after) = try apply(check, source: .request, entry: nil, before: probeScore, text: line)
            event.batch = batch; event.requestID = id; event.who = who
            probeScore = after
            record(event)
            return true
        } catch ScheduleError.invalidEntry(let index, let text, let reason) where index > 0 {
            reject("it would make the scheduled entry \(text) impossible: \(reason)")
        } catch {
            reject((error as? ScheduleError)?.reason ?? "\(error)")
        }
        return false
    }

    private func rejection(_ text: String, epoch: Int, reason: String) -> ScheduleEvent {
        let n = run.network.parameterCount
        return ScheduleEvent(epoch: epoch, source: .request, entry: nil, text: text, plan: nil, rejected: reason,
                             widthBefore: nil, widthAfter: nil, parametersBefore: n, parametersAfter: n,
                             lossBefore: .nan, lossAfter: .nan, accuracyBefore: nil, accuracyAfter: nil,
                             epochLossBefore: nil, epochLossAfter: nil, seconds: 0)
    }

    /// Applies one operation, measuring the probe set around it.
    private func apply(_ operation: ScheduleOperation, source: ScheduleEvent.Source, entry: Int?,
                       before known: (loss: Double, accuracy: Double?)?, text: String? = nil)
        throws -> (ScheduleEvent, (loss: Double, accuracy: Double?)) {
        let network = run.network
        let epoch = run.completedEpochs
        let plan = try operation.plan(
            for: network, defaultSeed: operation.seed ?? defaultSeed(entry: entry ?? events.count, source: source))
        let path = try operation.layerPath(in: network)
        func width() -> Int? { path.flatMap { try? UnitGroup(network: network, layer: $0).count } }
        let widthBefore = width()
        let before = known ?? evaluateProbe()
        let parametersBefore = network.parameterCount
        // Aligned before the clock starts: a shrink's alignment repeats its unit selection.
        let initialWeights = try run.initialWeights?.aligned(with: plan, appliedTo: network)
        let start = Clock.now()
        try plan.apply(to: network, history: &run.history, epoch: epoch)
        let seconds = Clock.now() - start
        run.initialWeights = initialWeights
        let after = evaluateProbe()
        let event = ScheduleEvent(
            epoch: epoch, source: source, entry: entry, text: text ?? operation.description, plan: plan,
                                  rejected: nil, widthBefore: widthBefore, widthAfter: width(),
                                  parametersBefore: parametersBefore, parametersAfter: network.parameterCount,
                                  lossBefore: before.loss, lossAfter: after.loss,
                                  accuracyBefore: before.accuracy, accuracyAfter: after.accuracy,
                                  epochLossBefore: epoch >= 1 ? run.reports.last.map { Double($0.loss) } : nil,
                                  epochLossAfter: nil, seconds: seconds)
        return (event, after)
    }

    /// Loss and accuracy on the probe set, eval mode.
    public func evaluateProbe() -> (loss: Double, accuracy: Double?) {
        let r = run.trainer.evaluate(probe, batchSize: 256)
        return (Double(r.loss), r.accuracy.map(Double.init))
    }

    /// Takes the requests file away (renamed first, so lines written meanwhile go to a new
    /// file) and returns its non-empty, non-comment lines.
    private func takeRequests() -> [String] {
        guard let file = requestsFile, FileManager.default.fileExists(atPath: file) else { return [] }
        let taken = file + ".taken"
        try? FileManager.default.removeItem(atPath: taken)
        guard (try? FileManager.default.moveItem(atPath: file, toPath: taken)) != nil,
              let bytes = try? readFileBytes(taken) else { return [] }
        try? FileManager.default.removeItem(atPath: taken)
        return String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmed }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    // MARK: - Summaries

    /// The median of the finite values (mean of the middle two for an even count); nil for none.
    public static func median(_ values: [Double]) -> Double? {
        let v = values.filter(\.isFinite).sorted()
        guard !v.isEmpty else { return nil }
        return v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
    }

    /// The applied events' immediate loss factors, in order.
    public var lossFactors: [Double] { events.filter(\.applied).map(\.lossFactor) }
    /// The applied events' epoch loss factors, in order (nil where the next epoch has not run).
    public var epochFactors: [Double?] { events.filter(\.applied).map(\.epochFactor) }
}
