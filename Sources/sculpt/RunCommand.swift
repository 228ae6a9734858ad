import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptExperiments

/// `sculpt run SPEC`: runs (or resumes) an experiment's trials in worker processes, then prints its tables.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Run an experiment spec's trials in parallel worker processes, resuming a previous run, then print its tables.",
        discussion: "Finished trials are never run again; failed ones are retried. Exit code 1 when a trial failed."
    )

    @Argument(help: "The experiment spec (JSON).")
    var spec: String

    @Option(help: "Trials running at once, one worker process each (default: one per core).")
    var workers: Int?

    @Option(help: ArgumentHelp("The results database: an SQLite file, or postgres://USER@HOST/DB with the Fleet trait "
        + "(default: $SCULPT_DB, else sculpt.db)."))
    var db: String?

    @Option(help: ArgumentHelp("Where trials keep their working folders (default: the database's path + .trials): "
        + "a trial killed part-way resumes from its folder on the next run; a done trial's folder is removed.",
        valueName: "dir"))
    var trialFolders: String?

    @Option(help: ArgumentHelp(
        "Only these variants' trials (comma-separated names; a name holding a comma is matched whole): the cells a "
            + "verdict needs first. The tables still show "
            + "every finished trial; a later run without it resumes the rest. SQLite --db only.",
        valueName: "names"))
    var variants: String?

    @Flag(help: "With a PostgreSQL --db: only enqueue the trials (for `sculpt worker`s elsewhere), run none.")
    var enqueueOnly = false

    @Flag(help: "Print one JSON object (run id, counts, seconds, failures, tables) instead of text.")
    var json = false

    func run() throws {
        let db = ResultsDatabase.resolve(self.db)
        if ResultsDatabase.isServer(db) {
            if variants != nil {
                try Output.guarded {
                    throw UsageError("--variants: works with an SQLite --db; a fleet enqueues every trial of the spec")
                }
            }
            try runOnServer(db)
            return
        }
        var anyFailed = false
        try Output.guarded(outputs: [db, db + "-wal", db + "-shm"]) {
            if enqueueOnly { throw UsageError("--enqueue-only: needs a PostgreSQL --db (postgres://USER@HOST/DB)") }
            if let workers, workers < 1 { throw UsageError("--workers: must be at least 1, found \(workers)") }
            let experiment = try ExperimentSpec.load(path: spec, catalog: .standard)
            let selected = try Self.selectedVariants(variants, of: experiment)
            let folders = trialFolders ?? db + ".trials"
            if trialFolders?.isEmpty == true { throw UsageError("--trial-folders: expected a folder path") }
            if FileManager.default.fileExists(atPath: folders) && !FilePaths.isDirectory(folders) {
                throw UsageError("--trial-folders \(folders): is a file, not a folder")
            }
            let store: ResultStore
            do { store = try ResultStore(path: db) } catch { throw UsageError("--db \(db): \(error)") }
            let executor = ProcessExecutor(executable: ProcessExecutor.currentExecutable(), arguments: ["trial-worker"])
            let resumes = try TrialKindCatalog.standard.kind(named: experiment.kind).resumes
            let runner = ExperimentRunner(spec: experiment, store: store, executor: executor,
                                          workers: workers ?? ProcessInfo.processInfo.activeProcessorCount,
                                          trialFolders: resumes ? folders : nil, variants: selected)
            let runID = experiment.runID
            let summary = try runner.run { progress in
                let line = Self.progressLine(progress, runID: runID)
                Output.progress(line)
                Output.logLine(line + (progress.last.map { "; " + Self.finishedText($0) } ?? ""))
            }
            Output.endProgress()
            let records = try store.trials(runID: runID)
            let tables = experiment.tables.map { ExperimentTable($0, experiment: experiment, records: records) }
            anyFailed = summary.progress.failed > 0
            if json {
                try Output.printJSON(RunReport(summary, tables: tables, trialFolders: folders))
                return
            }
            let p = summary.progress
            print("\(experiment.name) (run \(runID)): \(p.done) done, \(p.failed) failed, \(p.skipped) already done, "
                + "\(p.planned) planned, \(Self.duration(p.elapsed))")
            if summary.adopted > 0 {
                print("  \(summary.adopted) finished trials copied from an earlier run of the spec (other variants)")
            }
            for failure in summary.failures.prefix(10) {
                print("  failed: \(failure.variant) #\(failure.index): \(failure.error)")
            }
            if summary.failures.count > 10 { print("  ... and \(summary.failures.count - 10) more failures") }
            for table in tables { print("\n" + table.text, terminator: "") }
        }
        if anyFailed { throw ExitCode(1) }
    }

    /// The variant names of `--variants` (nil without it); unknown or empty names are refused, naming the known ones.
    /// A name may itself hold commas ("p=0.1 fixed, no BN"): adjacent pieces are joined when together they name a
    /// variant, the longest such run first, with the spaces around each comma ignored.
    static func selectedVariants(_ text: String?, of experiment: ExperimentSpec) throws -> Set<String>? {
        guard let text else { return nil }
        let pieces = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        let known = experiment.variants.map(\.name), list = known.joined(separator: "; ")  // names may hold commas
        guard !pieces.isEmpty, !pieces.contains(where: \.isEmpty) else {
            throw UsageError("--variants \"\(text)\": expected comma-separated variant names (\(list))")
        }
        func normalized(_ name: String) -> String {
            name.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        }
        let byNormalized = Dictionary(known.map { (normalized($0), $0) }, uniquingKeysWith: { first, _ in first })
        var names: Set<String> = []
        var i = 0
        while i < pieces.count {
            guard let end = stride(from: pieces.count, to: i, by: -1).first(where: {
                byNormalized[pieces[i..<$0].joined(separator: ", ")] != nil
            }) else {
                throw UsageError("--variants: \"\(pieces[i])\" is not a variant of \(experiment.name) (variants: \(list))")
            }
            names.insert(byNormalized[pieces[i..<end].joined(separator: ", ")]!)
            i = end
        }
        return names
    }

    /// "12/120 done, 1 failed, 0:42 elapsed, ETA 2:10".
    static func progressLine(_ p: RunProgress, runID: String) -> String {
        var line =
            "run \(runID): \(p.skipped + p.done)/\(p.planned) done, \(p.failed) failed, \(duration(p.elapsed)) elapsed"
        if let eta = p.estimatedSecondsLeft { line += ", ETA \(duration(eta))" }
        return line
    }

    /// "eigenremove 1/2 #1 done in 3:12" (or "failed after").
    static func finishedText(_ trial: FinishedTrial) -> String {
        "\(trial.variant) #\(trial.index) \(trial.done ? "done in" : "failed after") \(duration(trial.seconds))"
    }

    /// Seconds as m:ss (or h:mm:ss).
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else {
            return NumberFormatting.fixed(seconds, digits: 0) + " s"
        }
        let s = Int(seconds.rounded())
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }
}

/// `sculpt run --json`'s object.
struct RunReport: Encodable {
    struct Failure: Encodable {
        var variant: String
        var index: Int
        var error: String
    }

    var runId: String
    var spec: String
    var planned: Int
    var skipped: Int
    var done: Int
    var failed: Int
    /// Trials copied from an earlier run of the spec (another set of variants), over the whole plan.
    var adopted: Int
    var seconds: Double
    var failures: [Failure]
    var tables: [ExperimentTable]
    /// The root of the trials' working folders (failed trials' folders stay there for the retry).
    var trialFolders: String

    init(_ summary: RunSummary, tables: [ExperimentTable], trialFolders: String) {
        self.trialFolders = trialFolders
        runId = summary.runID
        spec = summary.specName
        planned = summary.progress.planned
        skipped = summary.progress.skipped
        done = summary.progress.done
        failed = summary.progress.failed
        adopted = summary.adopted
        seconds = summary.progress.elapsed
        failures = summary.failures.map { Failure(variant: $0.variant, index: $0.index, error: $0.error) }
        self.tables = tables
    }
}
