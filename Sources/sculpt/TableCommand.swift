import ArgumentParser
import Foundation
import SculptExperiments

/// `sculpt table SPEC`: the spec's paper-style tables from the results database.
struct TableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "table",
        abstract:
            "Print an experiment spec's tables (mean ± sample standard deviation, n per row) from the results database."
    )

    @Argument(help: "The experiment spec (JSON).")
    var spec: String

    @Option(help: ArgumentHelp("The results database: an SQLite file, or postgres://USER@HOST/DB with the Fleet trait "
        + "(default: $SCULPT_DB, else sculpt.db)."))
    var db: String?

    @Flag(help: "Print one JSON object (run id, spec name, tables) instead of text.")
    var json = false

    @Flag(help: "Print Markdown tables (for a README).")
    var markdown = false

    func run() throws {
        try Output.guarded {
            if json && markdown { throw UsageError("--markdown: cannot be combined with --json") }
            let experiment = try ExperimentSpec.load(path: spec, catalog: .standard)
            let store = try ResultsDatabase.openForReading(ResultsDatabase.resolve(db))
            let records = try store.trials(runID: experiment.runID)
            let tables = experiment.tables.map { ExperimentTable($0, experiment: experiment, records: records) }
            if json {
                try Output.printJSON(
                    TableReport(runId: experiment.runID, spec: experiment.name, trials: records.count, tables: tables))
                return
            }
            if tables.isEmpty {
                print("\(experiment.name): the spec declares no tables (\(records.count) trials recorded)")
            }
            for (i, table) in tables.enumerated() {
                print((i > 0 ? "\n" : "") + (markdown ? table.markdown : table.text), terminator: "")
            }
        }
    }
}

/// `sculpt table --json`'s object.
struct TableReport: Encodable {
    var runId: String
    var spec: String
    /// Trial rows recorded for the run (done and failed).
    var trials: Int
    var tables: [ExperimentTable]
}
