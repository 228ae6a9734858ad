import Foundation
import SculptExperiments
import SculptExperimentsTestKinds
#if Fleet
import SculptFleet
#endif

/// A stand-in for `sculpt` in the multi-process tests, with the test trial kind:
/// `SculptExperimentsFixture trial-worker --job FILE --result FILE` and
/// `SculptExperimentsFixture run SPEC DB WORKERS` (runs with worker processes of itself), and with the Fleet
/// trait `SculptExperimentsFixture worker URL LEASE_SECONDS` (a `sculpt worker --processes 1` of the test kind) and
/// `SculptExperimentsFixture bench URL TRIALS SLEEP PROCESSES` (the queue's overhead, FleetBench).
@main
struct Fixture {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "trial-worker" where arguments.count == 5 && arguments[1] == "--job" && arguments[3] == "--result":
            try TrialWorker.run(jobPath: arguments[2], resultPath: arguments[4], catalog: ArithmeticTrial.catalog)
        case "standard-worker" where arguments.count == 5 && arguments[1] == "--job" && arguments[3] == "--result":
            // `sculpt trial-worker` with the standard kinds (the resume tests kill it part-way).
            try TrialWorker.run(jobPath: arguments[2], resultPath: arguments[4], catalog: .standard)
        case "run" where arguments.count == 4:
            let spec = try ExperimentSpec.load(path: arguments[1], catalog: ArithmeticTrial.catalog)
            let executor = ProcessExecutor(executable: ProcessExecutor.currentExecutable(), arguments: ["trial-worker"])
            let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: arguments[2]), executor: executor,
                                          workers: Int(arguments[3]) ?? 1)
            let summary = try runner.run()
            print("done \(summary.progress.done) failed \(summary.progress.failed) skipped \(summary.progress.skipped)")
        case "worker" where arguments.count == 3:
            #if Fleet
            var options = FleetWorkerOptions()
            options.leaseSeconds = Double(arguments[2]) ?? 60
            options.pollSeconds = 0.2
            options.reconnectSeconds = 60
            let executor = ProcessExecutor(executable: ProcessExecutor.currentExecutable(), arguments: ["trial-worker"])
            let worker = FleetWorker(
                location: try PostgresLocation(url: arguments[1]), catalog: ArithmeticTrial.catalog,
                                     executor: executor, options: options) { print($0) }
            let summary = try worker.run()
            print("worker done \(summary.done) failed \(summary.failed) lost \(summary.leasesLost)")
            #else
            print("built without the Fleet trait")
            #endif
        case "bench" where arguments.count == 5:
            #if Fleet
            try FleetBench.run(
                url: arguments[1], trials: Int(arguments[2]) ?? 1000, sleep: Double(arguments[3]) ?? 0.05,
                               processes: Int(arguments[4]) ?? 16)
            #else
            print("built without the Fleet trait")
            #endif
        default:
            print("usage: SculptExperimentsFixture trial-worker --job FILE --result FILE | run SPEC DB WORKERS")
        }
    }
}

#if Fleet
/// The queue's overhead: enqueues TRIALS arithmetic trials that each sleep SLEEP seconds into the (migrated, empty)
/// store at URL, works them with one worker of PROCESSES in-process slots, and prints one JSON line: the mean
/// seconds per trial spent claiming and recording, the wall time against the sleeping alone, and whether every
/// trial was recorded exactly once.
enum FleetBench {
    static func run(url: String, trials: Int, sleep: Double, processes: Int) throws {
        let location = try PostgresLocation(url: url)
        let store = try PostgresResultStore(location: location)
        let text = """
            {"name": "bench", "kind": "arithmetic", "seed": 1, "trials": \(trials / 2), "config": {"a": 1,
             "sleepSeconds": \(sleep)}, "variants": [{"name": "x", "config": {}}, {"name": "y", "config": {"b": 1}}],
             "tables": []}
            """
        let spec = try ExperimentSpec.parse(Array(text.utf8), file: "bench.json", catalog: ArithmeticTrial.catalog)
        _ = try store.enqueue(spec, specText: text, kindVersion: 1)
        var options = FleetWorkerOptions()
        options.processes = processes
        options.pollSeconds = 0.05
        let start = Date()
        let summary = try FleetWorker(location: location, catalog: ArithmeticTrial.catalog,
            executor: InProcessExecutor(catalog: ArithmeticTrial.catalog), options: options
        ).run()
        let wall = Date().timeIntervalSince(start)
        let rows = try store.trials(runID: spec.runID)
        let distinct = Set(rows.map { TrialKey(variant: $0.variant, index: $0.index) }).count
        let ideal = Double(spec.plan().count) * sleep / Double(processes)
        print("{\"trials\": \(rows.count), \"distinct\": \(distinct), \"done\": \(summary.done), "
            + "\"overheadMsPerTrial\": \(summary.overheadSecondsPerTrial * 1000), \"wallSeconds\": \(wall), "
            + "\"sleepOnlySeconds\": \(ideal), \"wallOverheadMsPerTrialPerSlot\": "
            + "\((wall - ideal) / Double(rows.count) * Double(processes) * 1000)}")
    }
}
#endif
