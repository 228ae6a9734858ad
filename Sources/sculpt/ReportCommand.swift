import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptExperiments

/// `sculpt report SPEC...`: one self-contained HTML page per spec from the results database.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract:
            "Write one self-contained HTML page per experiment spec: tables beside the paper's, figures, findings.",
        discussion: """
            Each page (OUT/NAME.html, NAME the spec's name) holds the spec's description, its findings with the test \
            behind each verdict, its tables with the paper's values beside ours, and its figures as inline SVG; no \
            scripts and no external files. A spec with no finished trials gets a page that says so in each figure.
            """
    )

    @Argument(help: "Experiment specs (JSON).")
    var specs: [String]

    @Option(help: "Folder the pages are written to (created if missing).")
    var out = "."

    @Option(help: ArgumentHelp("The results database: an SQLite file, or postgres://USER@HOST/DB with the Fleet trait "
        + "(default: $SCULPT_DB, else sculpt.db)."))
    var db: String?

    @Flag(help: "Print one JSON object (the pages written) instead of text.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        guard !specs.isEmpty else { throw UsageError("SPEC: give at least one experiment spec") }
        let store = try ResultsDatabase.openForReading(ResultsDatabase.resolve(db))
        if FilePaths.exists(out), !FilePaths.isDirectory(out) {
            throw UsageError("--out \(out) is a file, not a folder")
        }
        let experiments = try specs.map { try ExperimentSpec.load(path: $0, catalog: .standard) }
        let names = experiments.map(\.name)
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw UsageError("SPEC: two specs are named \(twice); their pages would overwrite each other")
        }
        var pages: [ReportSummary] = []
        var texts: [(path: String, text: String)] = []
        for experiment in experiments {
            let start = Clock.now()
            let page = try ReportPage(experiment: experiment, store: store)
            let text = page.html
            let path = (out.hasSuffix("/") ? out : out + "/") + experiment.name + ".html"
            pages.append(
                ReportSummary(
                    spec: experiment.name, runId: experiment.runID, page: path, planned: page.planned,
                    finished: page.finished, failed: page.failed, figures: experiment.figures.count,
                    seconds: Clock.now() - start))
            texts.append((path, text))
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (path, text) in texts { try writeFileAtomically(Array(text.utf8), to: path) }
        if json {
            try Output.printJSON(["pages": pages])
            return
        }
        for p in pages {
            print(
                "\(p.page): \(p.finished) of \(p.planned) trials finished, \(p.figures) figures "
                    + "(\(String(format: "%.3f", p.seconds)) s)")
        }
    }
}

/// One page of `sculpt report --json`.
struct ReportSummary: Encodable {
    var spec: String
    var runId: String
    var page: String
    var planned: Int
    var finished: Int
    var failed: Int
    var figures: Int
    /// Seconds to read the trials and render the page.
    var seconds: Double
}
