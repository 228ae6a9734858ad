import Foundation
import SculptCore

/// Where a run stands, reported after every trial.
public struct RunProgress: Sendable, Equatable {
    /// Trials in the plan.
    public var planned: Int
    /// Trials that had finished before this run started (skipped).
    public var skipped: Int
    /// Trials this run finished.
    public var done: Int
    /// Trials this run recorded as failed.
    public var failed: Int
    /// Seconds since this run started.
    public var elapsed: Double
    /// The trial whose end this report marks (nil in a run's summary).
    public var last: FinishedTrial? = nil

    /// Trials left to run.
    public var remaining: Int { planned - skipped - done - failed }

    /// Estimated seconds left (nil before the first trial ends).
    public var estimatedSecondsLeft: Double? {
        let finished = done + failed
        return finished == 0 ? nil : elapsed / Double(finished) * Double(remaining)
    }
}

/// A trial as it ended, for progress reports.
public struct FinishedTrial: Sendable, Equatable {
    public var variant: String
    public var index: Int
    /// Whether it finished (false: recorded as failed).
    public var done: Bool
    /// Its wall-clock seconds.
    public var seconds: Double
}

/// What a run did.
public struct RunSummary: Sendable, Equatable {
    public var runID: String
    public var specName: String
    /// Final counts (`skipped` + `done` + `failed` = `planned`).
    public var progress: RunProgress
    /// The trials that failed in this run, with their errors.
    public var failures: [TrialFailureRecord]
    /// Trials copied from an earlier run of the spec before this one started, over the whole plan (those of
    /// selected variants count in `skipped` too).
    public var adopted: Int = 0
}

/// A failed trial of a run.
public struct TrialFailureRecord: Sendable, Equatable {
    public var variant: String
    public var index: Int
    public var error: String
}

/// Runs a spec's pending trials on parallel workers and records each outcome as soon as it
/// ends. Trials already done in the store are skipped; failed ones run again.
///
/// With `trialFolders`, each trial gets a stable working folder under it
/// (`TrialFolder.path(root:runID:variant:index:)`), created before the trial runs and removed
/// once its row is recorded done; a failed (or killed) trial's folder stays, so a resumable
/// kind's retry continues where the attempt stopped.
public struct ExperimentRunner: Sendable {
    public var spec: ExperimentSpec
    public var store: any ResultStoring
    public var executor: any TrialExecutor
    /// Trials running at once (each on its own thread; with `ProcessExecutor`, its own process).
    public var workers: Int
    /// The root of the trials' working folders (nil: trials run without one and cannot resume).
    public var trialFolders: String?
    /// Only these variants' trials run (nil: all). The run stays the spec's run (same id), so a
    /// later run without the filter resumes the rest.
    public var variants: Set<String>?

    public init(spec: ExperimentSpec, store: any ResultStoring, executor: any TrialExecutor, workers: Int,
                trialFolders: String? = nil, variants: Set<String>? = nil) {
        precondition(workers >= 1, "workers must be at least 1")
        self.spec = spec
        self.store = store
        self.executor = executor
        self.workers = workers
        self.trialFolders = trialFolders
        self.variants = variants
    }

    /// The spec's plan, restricted to `variants`.
    public func selectedPlan() -> [PlannedTrial] {
        guard let variants else { return spec.plan() }
        return spec.plan().filter { variants.contains($0.variant) }
    }

    /// The working folder of `trial` (nil without `trialFolders`).
    public func folder(of trial: PlannedTrial) -> String? {
        trialFolders.map { TrialFolder.path(root: $0, runID: spec.runID, variant: trial.variant, index: trial.index) }
    }

    /// The planned trials not yet done in the store, in plan order.
    public func pendingTrials() throws -> [PlannedTrial] {
        let finished = try store.finishedTrials(runID: spec.runID)
        return selectedPlan().filter { !finished.contains(TrialKey(variant: $0.variant, index: $0.index)) }
    }

    /// Copies into this run every finished trial of an earlier run of the spec (same name and trial kind, other
    /// variants, so another run id) that computed exactly what one of this plan's trials computes: the same
    /// variant name, index, seed and resolved config. Adding a variant to a spec, or removing one, so keeps
    /// the trials of the others; a variant whose config changed runs again. The copy keeps the trial's
    /// metrics, details, series, host and times. Returns how many were copied (the newest run's row first).
    public func adoptEarlierTrials() throws -> Int {
        let earlier = try store.runIDs(specName: spec.name, kind: spec.kind).filter { $0 != spec.runID }
        guard !earlier.isEmpty else { return 0 }
        let finished = try store.finishedTrials(runID: spec.runID)
        var wanted: [TrialKey: PlannedTrial] = [:]
        for trial in spec.plan() where !finished.contains(TrialKey(variant: trial.variant, index: trial.index)) {
            wanted[TrialKey(variant: trial.variant, index: trial.index)] = trial
        }
        var adopted = 0
        for runID in earlier.reversed() where !wanted.isEmpty {
            let matches = try store.trials(runID: runID).filter { row in
                guard row.status == .done, let trial = wanted[TrialKey(variant: row.variant, index: row.index)] else {
                    return false
                }
                return row.seed == trial.seed && row.config.canonicalText == trial.config.canonicalText
            }
            guard !matches.isEmpty else { continue }
            let series = try store.series(runID: runID)
            for var row in matches {
                let key = TrialKey(variant: row.variant, index: row.index)
                row.runID = spec.runID
                row.series = series[key] ?? []
                try store.record(row)
                wanted[key] = nil
                adopted += 1
            }
        }
        return adopted
    }

    /// Runs every pending trial, after adopting an earlier run's matching ones (`adoptEarlierTrials`);
    /// `progress` is called (serialized) after each one.
    public func run(progress report: @escaping @Sendable (RunProgress) -> Void = { _ in }) throws -> RunSummary {
        try store.registerRun(spec)
        let adopted = try adoptEarlierTrials()
        let planned = selectedPlan().count
        let pending = try pendingTrials()
        let state = RunState(
            progress: RunProgress(planned: planned, skipped: planned - pending.count, done: 0, failed: 0, elapsed: 0))
        let start = Clock.now()
        let group = DispatchGroup()
        let runner = self
        for _ in 0..<min(workers, pending.count) {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while let trial = state.next(from: pending) {
                    runner.runOne(trial, state: state, start: start, report: report)
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        group.wait()
        if let root = trialFolders { TrialFolder.removeRootIfEmpty(root) }
        if let error = state.storeError { throw error }
        var final = state.progress
        final.elapsed = Clock.now() - start
        return RunSummary(runID: spec.runID, specName: spec.name, progress: final,
                          failures: state.failures.sorted { ($0.variant, $0.index) < ($1.variant, $1.index) },
                          adopted: adopted)
    }

    private func runOne(_ trial: PlannedTrial, state: RunState, start: Double, report: @Sendable (RunProgress) -> Void)
    {
        let startedAt = Timestamp.now()
        let t0 = Clock.now()
        var held: TrialFolderLock? = nil
        defer { held?.release() }
        let outcome: Result<TrialResult, TrialFailure>
        do {
            // Nil when another process on this machine (a second run on the same database) works in the folder:
            // this attempt then runs without one rather than share it.
            held = try folder(of: trial).flatMap { try TrialFolder.lock($0) }
            if let held { try TrialFolder.create(held.folder) }
            let job = TrialJob(kind: spec.kind, config: trial.config, seed: trial.seed, folder: held?.folder)
            outcome = executor.execute(job)
        } catch {
            outcome = .failure(TrialFailure("\(error)"))
        }
        let seconds = Clock.now() - t0
        let record = TrialRecord(
            runID: spec.runID, specName: spec.name, kind: spec.kind, trial: trial, outcome: outcome,
                                 startedAt: startedAt, seconds: seconds)
        do { try store.record(record) } catch {
            state.fail(with: error)
            return
        }
        held?.finish(trialDone: record.status == .done)
        state.finished(record, elapsed: Clock.now() - start, report: report)
    }
}

extension TrialRecord {
    /// The row of `trial` of a run that just ended with `outcome` on this host (`finishedAt` now).
    public init(runID: String, specName: String, kind: String, trial: PlannedTrial,
                outcome: Result<TrialResult, TrialFailure>, startedAt: String, seconds: Double) {
        self.init(runID: runID, specName: specName, kind: kind, variant: trial.variant, index: trial.index,
                  seed: trial.seed, config: trial.config, metrics: [:], details: nil, status: .done, error: nil,
                  startedAt: startedAt, finishedAt: Timestamp.now(), seconds: seconds, host: Timestamp.hostName())
        switch outcome {
        case .success(let result):
            metrics = result.metrics
            details = result.details
            series = result.series
        case .failure(let failure):
            status = .failed
            error = failure.message
        }
    }
}

/// The runner threads' shared state, behind a lock.
private final class RunState: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private(set) var progress: RunProgress
    private(set) var failures: [TrialFailureRecord] = []
    private(set) var storeError: (any Error)?

    init(progress: RunProgress) { self.progress = progress }

    /// The next trial to run, nil when none is left or the store failed.
    func next(from pending: [PlannedTrial]) -> PlannedTrial? {
        lock.lock()
        defer { lock.unlock() }
        guard storeError == nil, nextIndex < pending.count else { return nil }
        nextIndex += 1
        return pending[nextIndex - 1]
    }

    func finished(_ record: TrialRecord, elapsed: Double, report: (RunProgress) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        if record.status == .done {
            progress.done += 1
        } else {
            progress.failed += 1
            failures.append(TrialFailureRecord(variant: record.variant, index: record.index, error: record.error ?? ""))
        }
        progress.elapsed = elapsed
        var reported = progress
        reported.last = FinishedTrial(variant: record.variant, index: record.index, done: record.status == .done,
                                      seconds: record.seconds)
        report(reported)
    }

    func fail(with error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if storeError == nil { storeError = error }
    }
}
