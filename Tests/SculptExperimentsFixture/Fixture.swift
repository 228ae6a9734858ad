import SculptExperiments
import SculptExperimentsTestKinds

/// A stand-in for `sculpt` in the multi-process tests, with the test trial kind:
/// `SculptExperimentsFixture trial-worker --job FILE --result FILE` and
/// `SculptExperimentsFixture run SPEC DB WORKERS` (runs with worker processes of itself).
@main
struct Fixture {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "trial-worker" where arguments.count == 5 && arguments[1] == "--job" && arguments[3] == "--result":
            try TrialWorker.run(jobPath: arguments[2], resultPath: arguments[4], catalog: ArithmeticTrial.catalog)
        case "run" where arguments.count == 4:
            let spec = try ExperimentSpec.load(path: arguments[1], catalog: ArithmeticTrial.catalog)
            let executor = ProcessExecutor(executable: ProcessExecutor.currentExecutable(), arguments: ["trial-worker"])
            let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: arguments[2]), executor: executor,
                                          workers: Int(arguments[3]) ?? 1)
            let summary = try runner.run()
            print("done \(summary.progress.done) failed \(summary.progress.failed) skipped \(summary.progress.skipped)")
        default:
            print("usage: SculptExperimentsFixture trial-worker --job FILE --result FILE | run SPEC DB WORKERS")
        }
    }
}
