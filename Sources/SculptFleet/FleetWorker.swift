#if Fleet
import Foundation
import SculptCore
import SculptData
import SculptExperiments
import Synchronization

/// How a worker works (`sculpt worker`'s options).
public struct FleetWorkerOptions: Sendable {
    /// Trials running at once (each in its own process with `ProcessExecutor`).
    public var processes = 1
    /// Only these specs: names, or spec files (whose content hash must then match the enqueued run's).
    public var specs: [String] = []
    /// A claim's lease; renewed every third of it while the trial runs.
    public var leaseSeconds = 60.0
    /// Attempts (failures or lost workers) after which a trial is marked failed.
    public var maxAttempts = 3
    /// Keep waiting for new trials when the queue is empty (instead of exiting).
    public var wait = false
    /// How often an idle worker looks for work.
    public var pollSeconds = 1.0
    /// How long a worker keeps retrying a lost connection (a server restart) before it gives up.
    public var reconnectSeconds = 300.0

    public init() {}
}

/// What a worker did.
public struct FleetWorkerSummary: Sendable, Equatable, Encodable {
    public var workerId: String
    /// Trials it recorded as done, and failed attempts it recorded.
    public var done: Int
    public var failed: Int
    /// Results dropped because their lease had expired and another worker had claimed the trial.
    public var leasesLost: Int
    /// Why runs in the database were refused (another spec content hash or trial kind version).
    public var refused: [String]
    /// Mean seconds per trial spent claiming it and recording its result (the queue's overhead).
    public var overheadSecondsPerTrial: Double
    public var seconds: Double
}

/// A worker: claims trials of the accepted runs from a PostgreSQL store, runs each with `executor`, and
/// records each result and marks its trial done in one transaction, renewing its leases meanwhile. It exits
/// when no trial of its runs is open (unless `wait`), or after `requestStop()` once its trials have ended.
public final class FleetWorker: Sendable {
    public let location: PostgresLocation
    public let catalog: TrialKindCatalog
    public let executor: any TrialExecutor
    public let options: FleetWorkerOptions
    /// Where progress lines go (one per refused run and per lost lease).
    public let log: @Sendable (String) -> Void
    public let workerID = "\(TrialRowText.hostName())-\(getpid())-\(randomHex().prefix(8))"

    private static let stopFlag = Atomic<Bool>(false)

    /// Asks every worker in this process to claim nothing more and stop once its trials have ended (safe in a
    /// signal handler).
    public static func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    static var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }

    public init(location: PostgresLocation, catalog: TrialKindCatalog, executor: any TrialExecutor,
                options: FleetWorkerOptions, log: @escaping @Sendable (String) -> Void = { _ in }) {
        precondition(options.processes >= 1 && options.leaseSeconds > 0 && options.maxAttempts >= 1)
        self.location = location
        self.catalog = catalog
        self.executor = executor
        self.options = options
        self.log = log
    }

    /// Works until the accepted runs have no open trial; throws when the store is gone for good, or when
    /// every run with open trials was refused (`FleetError.refusedRun`, all reasons in one line).
    public func run() throws -> FleetWorkerSummary {
        let start = Clock.now()
        let store = try PostgresResultStore(location: location, reconnectSeconds: options.reconnectSeconds)
        let acceptance = FleetAcceptance(catalog: catalog, specs: options.specs)
        let accepted = try acceptance.accepted(from: store.fleetRuns())
        let refusedOpen = try acceptance.refusedRunIDs.isEmpty ? 0 : store.openTrials(runIDs: acceptance.refusedRunIDs)
        for reason in acceptance.reasons { log(reason) }
        if accepted.isEmpty, refusedOpen > 0 { throw FleetError.refusedRun(acceptance.reasons.joined(separator: "; ")) }
        if accepted.isEmpty, !options.specs.isEmpty, !options.wait {
            throw FleetError.refusedRun("--spec: no enqueued spec matches \(options.specs.joined(separator: ", "))")
        }
        try store.registerWorker(id: workerID, processes: options.processes, leaseSeconds: options.leaseSeconds,
                                 pid: Int(getpid()))
        let state = WorkerState(runs: accepted)
        let heartbeat = startHeartbeat(store: store, state: state)
        let group = DispatchGroup()
        for _ in 0..<options.processes {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                do { try work(state: state, acceptance: acceptance) } catch { state.fail(error) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        state.finish()
        heartbeat.wait()
        try? store.heartbeat(workerID: workerID, tokens: [], leaseSeconds: options.leaseSeconds, state: "stopped",
                             counts: state.counts)
        if let error = state.error { throw error }
        return state.summary(workerID: workerID, refused: acceptance.reasons, seconds: Clock.now() - start)
    }

    /// One slot's loop, on its own connection.
    private func work(state: WorkerState, acceptance: FleetAcceptance) throws {
        let store = try PostgresResultStore(location: location, reconnectSeconds: options.reconnectSeconds)
        var lastRefresh = Clock.now()
        while !Self.stopRequested, state.error == nil {
            let runs = state.runs
            let c0 = Clock.now()
            if let claim = try store.claim(workerID: workerID, runIDs: Array(runs.keys),
                                           leaseSeconds: options.leaseSeconds, maxAttempts: options.maxAttempts),
               let run = runs[claim.runID] {
                let claimSeconds = Clock.now() - c0
                state.hold(claim.token)
                let startedAt = TrialRowText.now(), t0 = Clock.now()
                let held = trialFolder(run: run, trial: claim.trial)
                defer { held?.release() }
                let job = TrialJob(kind: run.kind, config: claim.trial.config, seed: claim.trial.seed,
                                   folder: held?.folder)
                let outcome = executor.execute(job)
                if Self.stopRequested, case .failure = outcome {  // likely killed by the same stop signal
                    try store.abandon(claim)
                    state.release(claim.token)
                    continue
                }
                let record = TrialRecord(runID: run.runID, specName: run.specName, kind: run.kind, trial: claim.trial,
                                         outcome: outcome, startedAt: startedAt, seconds: Clock.now() - t0)
                let r0 = Clock.now()
                let completion = try store.complete(claim, record: record, maxAttempts: options.maxAttempts)
                state.release(claim.token, completion: completion, status: record.status,
                              overhead: claimSeconds + Clock.now() - r0)
                held?.finish(trialDone: record.status == .done)
                if completion == .leaseLost {
                    log("\(run.specName) \(claim.trial.variant) #\(claim.trial.index): lease expired meanwhile; "
                        + "another worker has the trial, this result is dropped")
                }
                continue
            }
            try store.failExhausted(runIDs: Array(runs.keys), maxAttempts: options.maxAttempts)
            if !options.wait, try store.openTrials(runIDs: Array(runs.keys)) == 0 { return }
            if options.wait, Clock.now() - lastRefresh > 10 * options.pollSeconds {
                state.update(runs: try acceptance.accepted(from: store.fleetRuns()))
                lastRefresh = Clock.now()
            }
            // Nothing to claim now: wait for the next poll, or less, until a slot of this worker hands its trial
            // back, so that the worker ends as soon as its last trial is recorded (the poll cost up to a second).
            state.waitForRelease(seconds: options.pollSeconds)
        }
    }

    /// The trial's local working folder (for a kind that resumes), where this machine's next attempt of it
    /// resumes, held (locked) while the trial runs and is recorded. No folder when a worker on this machine
    /// whose lease on the trial expired is still running it there (or the folder cannot be locked): this attempt
    /// then runs without one rather than share it.
    private func trialFolder(run: FleetRun, trial: PlannedTrial) -> TrialFolderLock? {
        guard (try? catalog.kind(named: run.kind))?.resumes == true else { return nil }
        let path = TrialFolder.path(root: NSTemporaryDirectory() + "sculpt-trials", runID: run.runID,
                                    variant: trial.variant, index: trial.index)
        let name = "\(run.specName) \(trial.variant) #\(trial.index)"
        do {
            if let held = try TrialFolder.lock(path) { return held }
            log("\(name): its trial folder \(path) is in use by another worker on this machine; running without it")
        } catch {
            log("\(name): \(error); running without a trial folder")
        }
        return nil
    }

    /// Renews the held leases and the heartbeat every third of a lease until the slots finish.
    private func startHeartbeat(store: PostgresResultStore, state: WorkerState) -> DispatchGroup {
        let group = DispatchGroup()
        group.enter()
        let interval = options.leaseSeconds / 3
        let thread = Thread { [self] in
            defer { group.leave() }
            while !state.waitForFinish(seconds: interval) {
                do {
                    try store.heartbeat(workerID: workerID, tokens: state.tokens, leaseSeconds: options.leaseSeconds,
                                        state: Self.stopRequested ? "stopping" : "running", counts: state.counts)
                } catch {
                    log("heartbeat: \(error)")
                }
            }
        }
        thread.start()
        return group
    }
}

/// The worker's slots' shared state, behind a lock.
private final class WorkerState: @unchecked Sendable {
    private let condition = NSCondition()
    private var held: Set<String> = []
    private var finished = false
    private(set) var runs: [String: FleetRun]
    private(set) var error: (any Error)?
    private var done = 0, failed = 0, lost = 0, trials = 0
    private var overhead = 0.0
    /// Counts the trials this worker's slots have handed back (recorded or not).
    private var releases = 0

    init(runs: [FleetRun]) { self.runs = Dictionary(uniqueKeysWithValues: runs.map { ($0.runID, $0) }) }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    var tokens: [String] { locked { Array(held) } }
    /// The trials recorded done and failed so far (the worker's row shows them after each heartbeat).
    var counts: (done: Int, failed: Int) { locked { (done, failed) } }
    func hold(_ token: String) { locked { _ = held.insert(token) } }
    func update(runs new: [FleetRun]) { locked { runs = Dictionary(uniqueKeysWithValues: new.map { ($0.runID, $0) }) } }
    func fail(_ e: any Error) { locked { if error == nil { error = e } } }

    func release(_ token: String) {
        locked {
            held.remove(token)
            releases += 1
            condition.broadcast()
        }
    }

    func release(_ token: String, completion: FleetCompletion, status: TrialStatus, overhead seconds: Double) {
        locked {
            held.remove(token)
            releases += 1
            condition.broadcast()
            trials += 1
            overhead += seconds
            switch (completion, status) {
            case (.leaseLost, _): lost += 1
            case (_, .done): done += 1
            case (_, .failed): failed += 1
            }
        }
    }

    func finish() {
        locked {
            finished = true
            condition.broadcast()
        }
    }

    /// Waits up to `seconds`, or until a slot hands a trial back or the slots finish.
    func waitForRelease(seconds: Double) {
        locked {
            let deadline = Date().addingTimeInterval(seconds), seen = releases
            while !finished, releases == seen, condition.wait(until: deadline) {}
        }
    }

    /// Waits up to `seconds`; whether the slots have finished.
    func waitForFinish(seconds: Double) -> Bool {
        locked {
            let deadline = Date().addingTimeInterval(seconds)
            while !finished, condition.wait(until: deadline) {}
            return finished
        }
    }

    func summary(workerID: String, refused: [String], seconds: Double) -> FleetWorkerSummary {
        locked {
            FleetWorkerSummary(workerId: workerID, done: done, failed: failed, leasesLost: lost, refused: refused,
                               overheadSecondsPerTrial: trials == 0 ? 0 : overhead / Double(trials), seconds: seconds)
        }
    }
}
#endif
