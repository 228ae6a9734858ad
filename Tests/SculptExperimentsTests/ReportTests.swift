import Foundation
import SculptCore
import SculptIO
import SculptNN
import Testing

@testable import SculptExperiments

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A trial kind whose trials report a curve: `loss` at x = 1, 2, 3 (the last NaN when `nanLast`)
/// and the metrics `fraction` (the config's) and `accuracy` (fraction / 2 + seed-dependent noise).
struct CurveTrial: TrialKind {
    var name: String { "curve" }

    func validate(config: JSONValue) throws {
        let r = try ConfigReader(config)
        _ = try r.double("fraction")
        _ = try r.bool("nanLast", default: false)
        try r.finish()
    }

    func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let r = try ConfigReader(config)
        let fraction = try r.double("fraction")
        let nanLast = try r.bool("nanLast", default: false)
        let noise = Double(seed % 7) / 1000
        return TrialResult(
            metrics: ["fraction": fraction, "accuracy": fraction / 2 + noise, "sides": Double(seed % 4 + 3)],
            series: [TrialSeries(name: "loss", x: [1, 2, 3], y: [1, 0.5 + noise, nanLast ? .nan : 0.25])])
    }

    static let catalog = TrialKindCatalog([CurveTrial()])
}

/// Every `<svg>...</svg>` of an HTML page, each parsed alone.
func svgDocuments(in html: String) -> [String] {
    var out: [String] = []
    var rest = Substring(html)
    while let start = rest.range(of: "<svg xmlns"),
        let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex)
    {
        out.append(String(rest[start.lowerBound..<end.upperBound]))
        rest = rest[end.upperBound...]
    }
    return out
}

func isWellFormedXML(_ text: String) -> Bool { XMLParser(data: Data(text.utf8)).parse() }

@Suite struct ReportTests {
    let specText = #"""
        {
          "name": "curve-report",
          "description": "Accuracy against the fraction <learned> & a curve.",
          "kind": "curve",
          "seed": 3,
          "trials": 4,
          "variants": [
            {"name": "tenth", "config": {"fraction": 0.1}},
            {"name": "half", "config": {"fraction": 0.5, "nanLast": true}},
            {"name": "all", "config": {"fraction": 1}}
          ],
          "tables": [{
            "title": "Accuracy",
            "columns": [{"title": "accuracy", "metric": "accuracy", "aggregate": "meanStd"}],
            "comparisons": [{"title": "accuracy", "metric": "accuracy", "rows": ["tenth", "all"]}],
            "paper": {"source": "Table 9 of A & B (2020)", "rows": {"tenth": {"accuracy": "0.07 ± 0.01"}, "all": {"accuracy": 0.51}}}
          }],
          "figures": [
            {"kind": "line", "title": "Accuracy against the fraction learned", "x": "fraction", "y": "accuracy",
             "xAxis": {"label": "fraction learned", "log": true}, "yAxis": {"label": "accuracy", "unit": "fraction"},
             "lines": [{"label": "all variants", "variants": ["tenth", "half", "all"]}], "fit": "log-linear", "band": "95% CI",
             "paper": [{"label": "paper", "x": [0.1, 1], "y": [0.07, 0.51]}]},
            {"kind": "series", "title": "Loss per epoch", "x": "loss", "xAxis": {"label": "epoch"}, "yAxis": {"label": "loss"}},
            {"kind": "histogram", "title": "Sides", "y": "sides", "xAxis": {"label": "sides"}, "yAxis": {"label": "trials"}},
            {"kind": "bars", "title": "Accuracy bars", "y": "accuracy", "xAxis": {"label": "variant"}, "yAxis": {"label": "accuracy"},
             "paper": [{"label": "paper", "x": [0, 1, 2], "y": [0.07, 0.3, 0.51]}]}
          ],
          "findings": [
            {"claim": "Learning all beats learning a tenth.", "verdict": "reproduced", "tests": ["accuracy"]}
          ]
        }
        """#

    func spec() throws -> ExperimentSpec {
        try ExperimentSpec.parse(Array(specText.utf8), file: "curve.json", catalog: CurveTrial.catalog)
    }

    @Test func seriesAreStoredByTrialAndSurviveTheWorkerFile() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let experiment = try spec()
        let store = try ResultStore(path: folder + "/results.db")
        _ = try ExperimentRunner(
            spec: experiment, store: store, executor: InProcessExecutor(catalog: CurveTrial.catalog), workers: 2
        ).run()
        let series = try store.series(runID: experiment.runID)
        #expect(series.count == 12)
        let half = try #require(series[TrialKey(variant: "half", index: 1)]?.first)
        #expect(half.name == "loss" && half.x == [1, 2, 3] && half.y[0] == 1 && half.y[2].isNaN)
        // A finished trial is never replaced, nor are its series.
        var again = try #require(try store.trials(runID: experiment.runID).first)
        again.series = [TrialSeries(name: "other", x: [0], y: [0])]
        try store.record(again)
        #expect(
            try store.series(runID: experiment.runID)[TrialKey(variant: again.variant, index: again.index)]?.map(\.name)
                == ["loss"])
        // The worker's result file carries series with non-finite values.
        let result = try CurveTrial().run(config: .object(["fraction": .number(0.5), "nanLast": .bool(true)]), seed: 1)
        let json = TrialWorker.resultJSON(.success(result))
        let back = try TrialWorker.outcome(fromResultJSON: JSONValue.parse(json.canonicalText)).get()
        #expect(back.series.count == 1 && back.series[0].y[2].isNaN && back.series[0].x == [1, 2, 3])
    }

    @Test func aReportPageSetsThePapersValuesBesideOursAndInlinesEveryFigure() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let experiment = try spec()
        #expect(experiment.figures.count == 4 && experiment.findings.count == 1)
        #expect(experiment.tables[0].paper?.values["all"]?["accuracy"] == "0.51")
        let store = try ResultStore(path: folder + "/results.db")
        _ = try ExperimentRunner(
            spec: experiment, store: store, executor: InProcessExecutor(catalog: CurveTrial.catalog), workers: 1
        ).run()
        let html = try ReportPage(experiment: experiment, store: store).html
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        #expect(html.contains("Accuracy against the fraction &lt;learned&gt; &amp; a curve."))
        #expect(html.contains("<td class=\"paper\">0.07 ± 0.01</td>") && html.contains("Table 9 of A &amp; B (2020)"))
        #expect(html.contains("<span class=\"verdict reproduced\">reproduced</span>"))
        #expect(html.contains("Mann-Whitney U, accuracy: tenth (n=4) vs all (n=4)"))
        let svgs = svgDocuments(in: html)
        #expect(svgs.count == 4)
        #expect(svgs.allSatisfy(isWellFormedXML))
        #expect(html.contains("R²"))  // the log-linear fit's legend entry
        #expect(html.contains("4 non-finite values (NaN or infinite) dropped"))  // the half variant's last losses
        #expect(!html.contains(ReportFigure.emptyMessage))
    }

    @Test func aSpecWithoutFinishedTrialsSaysSoInEveryFigure() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try ResultStore(path: folder + "/results.db")
        let page = try ReportPage(experiment: try spec(), store: store)
        let html = page.html
        #expect(page.finished == 0 && html.contains("No trial of this spec has finished"))
        #expect(html.components(separatedBy: ReportFigure.emptyMessage).count - 1 == 4)
        #expect(svgDocuments(in: html).allSatisfy(isWellFormedXML))
        #expect(!html.contains("class=\"frame\""))  // no empty axes
    }

    @Test func badReportKeysNameTheirPath() {
        func reason(_ old: String, _ new: String) -> String? {
            do {
                _ = try ExperimentSpec.parse(
                    Array(specText.replacingOccurrences(of: old, with: new).utf8), file: "c.json",
                    catalog: CurveTrial.catalog)
                return nil
            } catch { return "\(error)" }
        }
        #expect(
            reason(#""variants": ["tenth", "half", "all"]"#, #""variants": ["tenth", "most"]"#)?
                .hasPrefix("c.json: figures[0].lines[0].variants[1]: unknown variant \"most\"") == true)
        #expect(
            reason(#""tests": ["accuracy"]"#, #""tests": ["speed"]"#)?.hasPrefix(
                "c.json: findings[0].tests[0]: no table comparison") == true)
        #expect(
            reason(#""all": {"accuracy": 0.51}"#, #""every": {"accuracy": 0.51}"#)?.hasPrefix(
                "c.json: tables[0].paper.rows.every: unknown row") == true)
        #expect(reason(#""verdict": "reproduced""#, #""verdict": "yes""#)?.contains("findings[0].verdict") == true)
    }

    @Test func theRunLogAppendsPerEpochAndCheckpointsKeepIt() throws {
        let root = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/run"
        let log = RunLog(folder: folder)
        try log.record(RunLogEntry(series: "train", epoch: 1, loss: 2, accuracy: 0.3))
        #expect(!FileManager.default.fileExists(atPath: folder))  // waits until the run's folder exists
        var rng = RandomSource(seed: 1)
        let layers: [LayerSpec] = [
            .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu), .dense(inputs: 3, outputs: 1, bias: true),
        ]
        let network = try Network(Architecture(inputShape: [2], layers: layers), rng: &rng)
        try Checkpoint(network: network).save(to: folder)
        var second = RunLogEntry(series: "train", epoch: 2, loss: .nan, accuracy: 0.5)
        second.operations = [RunLogOperation(afterEpoch: 1, text: "expand:fc1:0.5", lossFactor: 1.0)]
        try log.record(second)
        #expect(try RunLog.read(folder: folder).map(\.epoch) == [1, 2])
        #expect(try RunLog.read(folder: folder)[1].loss?.isNaN == true)
        // Saving the checkpoint again replaces the folder and keeps both files.
        try Checkpoint(network: network).save(to: folder)
        #expect(try RunLog.read(folder: folder).count == 2)
        let svg = try String(contentsOfFile: folder + "/curves.svg", encoding: .utf8)
        #expect(isWellFormedXML(svg) && svg.contains("expand:fc1:0.5"))
        // A run that starts over from epoch 1 replaces that series' lines.
        try log.record(RunLogEntry(series: "train", epoch: 1, loss: 1.5))
        #expect(try RunLog.read(folder: folder).map(\.loss) == [1.5])
    }
}
