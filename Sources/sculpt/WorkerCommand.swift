import ArgumentParser
import Foundation
import SculptExperiments
#if Fleet
import SculptFleet
#endif

/// `sculpt worker --db URL`: claims and runs trials from a PostgreSQL store, on any machine.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run trials enqueued in a PostgreSQL store (`sculpt run SPEC --db URL`), on any machine.",
        discussion: """
            Each trial runs in its own process; its lease is renewed while it runs, and its result is recorded \
            and the trial marked done in one transaction. A trial whose worker is lost is claimed again when its \
            lease expires; one that fails --max-attempts times is marked failed. Trials of specs enqueued by a build whose spec \
            content hash or trial kind version differs from this one's are refused. Exits when no trial is left \
            (unless --wait); SIGTERM or SIGINT: claim nothing more, finish the running trials, exit. \
            Built only with the Fleet package trait (swift build -c release --traits Fleet).
            """
    )

    @Option(help: "The store: postgres://USER@HOST[:PORT]/DB[?sslmode=require] (default: $SCULPT_DB).")
    var db: String?

    @Option(help: "Only this spec (its name, or its file, whose content hash must match the enqueued run); repeatable.")
    var spec: [String] = []

    @Option(help: "Trials running at once, one process each (default: one per core).")
    var processes: Int?

    @Option(help: "Seconds a claim's lease lasts; renewed every third of it while the trial runs.")
    var leaseSeconds = 60.0

    @Option(help: "Attempts (failures or lost workers) after which a trial is marked failed.")
    var maxAttempts = 3

    @Flag(help: "Keep waiting for new trials when none is left (instead of exiting).")
    var wait = false

    @Flag(help: "Print one JSON object (the worker's counts) instead of text.")
    var json = false

    func run() throws {
        try Output.guarded {
            if let processes, processes < 1 { throw UsageError("--processes: must be at least 1, found \(processes)") }
            guard leaseSeconds >= 1, leaseSeconds.isFinite else {
                throw UsageError("--lease-seconds: must be at least 1, found \(leaseSeconds)")
            }
            guard maxAttempts >= 1 else { throw UsageError("--max-attempts: must be at least 1, found \(maxAttempts)") }
            #if Fleet
            let location = try ResultsDatabase.server(ResultsDatabase.resolve(db), for: "sculpt worker")
            var options = FleetWorkerOptions()
            options.processes = processes ?? ProcessInfo.processInfo.activeProcessorCount
            options.specs = spec
            options.leaseSeconds = leaseSeconds
            options.maxAttempts = maxAttempts
            options.wait = wait
            let summary = try Self.work(location: location, options: options)
            if json {
                try Output.printJSON(summary)
            } else {
                print(Self.summaryLine(summary))
            }
            #else
            throw UsageError(ResultsDatabase.disabled("sculpt worker"))
            #endif
        }
    }

    #if Fleet
    /// Runs a worker of this build (trials in `sculpt trial-worker` processes) with SIGTERM/SIGINT as "stop
    /// claiming", its notes on stderr.
    static func work(location: PostgresLocation, options: FleetWorkerOptions) throws -> FleetWorkerSummary {
        signal(SIGTERM) { _ in FleetWorker.requestStop() }
        signal(SIGINT) { _ in FleetWorker.requestStop() }
        let executor = ProcessExecutor(executable: ProcessExecutor.currentExecutable(), arguments: ["trial-worker"])
        let worker = FleetWorker(location: location, catalog: .standard, executor: executor, options: options) { line in
            FileHandle.standardError.write(Data("sculpt worker: \(line)\n".utf8))
        }
        return try worker.run()
    }

    /// "worker HOST-PID-ID: 12 done, 0 failed, 0 results dropped (lease lost), 0:42".
    static func summaryLine(_ s: FleetWorkerSummary) -> String {
        "worker \(s.workerId): \(s.done) done, \(s.failed) failed attempts, "
            + "\(s.leasesLost) results dropped (lease lost), " + RunCommand.duration(s.seconds)
    }
    #endif
}
