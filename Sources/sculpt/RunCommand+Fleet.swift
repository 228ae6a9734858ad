import ArgumentParser
import Foundation
import SculptData
import SculptExperiments
#if Fleet
import SculptFleet
#endif

extension RunCommand {
    /// `sculpt run SPEC --db postgres://...`: enqueues the spec's trials (idempotent) and, unless
    /// `--enqueue-only`, works on them with a worker of this build, then prints the tables.
    func runOnServer(_ db: String) throws {
        #if Fleet
        var anyFailed = false
        try Output.guarded {
            if let workers, workers < 1 { throw UsageError("--workers: must be at least 1, found \(workers)") }
            anyFailed = try enqueueAndWork(try PostgresLocation(url: db))
        }
        if anyFailed { throw ExitCode(1) }
        #else
        try Output.guarded { throw UsageError(ResultsDatabase.disabled("--db \(ResultsDatabase.masked(db))")) }
        #endif
    }

    #if Fleet
    /// Whether a trial of the run is marked failed.
    private func enqueueAndWork(_ location: PostgresLocation) throws -> Bool {
        let experiment = try ExperimentSpec.load(path: spec, catalog: .standard)
        let text = String(decoding: try readFileBytes(spec), as: UTF8.self)
        let store = try PostgresResultStore(location: location)
        let kindVersion = try TrialKindCatalog.standard.kind(named: experiment.kind).version
        let enqueued = try store.enqueue(experiment, specText: text, kindVersion: kindVersion)
        var worker: FleetWorkerSummary?
        if !enqueueOnly {
            var options = FleetWorkerOptions()
            options.processes = workers ?? ProcessInfo.processInfo.activeProcessorCount
            options.specs = [spec]
            worker = try WorkerCommand.work(location: location, options: options)
        }
        let run = try store.status(specName: experiment.name).runs.first { $0.runId == experiment.runID }
        let records = try store.trials(runID: experiment.runID)
        let tables = enqueueOnly
            ? [] : experiment.tables.map { ExperimentTable($0, experiment: experiment, records: records) }
        if json {
            try Output.printJSON(FleetRunReport(enqueued: enqueued, run: run, worker: worker, tables: tables))
        } else {
            print("\(experiment.name) (run \(enqueued.runId)) at \(location): \(enqueued.added) of \(enqueued.planned) "
                + "trials enqueued now, \(enqueued.requeued) failed ones requeued")
            if let run { print(StatusCommand.lines(FleetStatus(runs: [run], workers: []))[0]) }
            if let worker { print(WorkerCommand.summaryLine(worker)) }
            for table in tables { print("\n" + table.text, terminator: "") }
        }
        return (run?.failed ?? 0) > 0
    }
    #endif
}

#if Fleet
/// `sculpt run --db postgres://... --json`'s object.
struct FleetRunReport: Encodable {
    var enqueued: EnqueueSummary
    /// The run's trials by state after this command's work.
    var run: FleetStatus.Run?
    /// What this command's own worker did (absent with --enqueue-only).
    var worker: FleetWorkerSummary?
    var tables: [ExperimentTable]
}
#endif
