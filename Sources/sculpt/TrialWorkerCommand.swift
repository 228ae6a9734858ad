import ArgumentParser
import SculptExperiments

/// `sculpt trial-worker` (hidden): runs one trial for `sculpt run`, from a job file to a result file.
struct TrialWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial-worker",
        abstract: "Run one trial of `sculpt run` (internal).",
        shouldDisplay: false
    )

    @Option(help: "The job file (JSON: kind, config, seed, and the trial's working folder when it has one).")
    var job: String

    @Option(help: "Where to write the result file (JSON).")
    var result: String

    func run() throws {
        try Output.guarded {
            try TrialWorker.run(jobPath: job, resultPath: result, catalog: .standard)
        }
    }
}
