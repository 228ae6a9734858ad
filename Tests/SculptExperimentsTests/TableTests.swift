import Foundation
import Testing
import SculptCore
@testable import SculptExperiments

@Suite struct TableTests {
    /// Hand-made records: "small" has sums 1, 2, 4 (active nodes 3, 3, 5) and one failure;
    /// "large" has sums 10, 20 (active nodes 3, 4) and one trial outside the plan (index 5).
    func records(runID: String) -> [TrialRecord] {
        func r(_ variant: String, _ index: Int, _ metrics: [String: Double], failed: Bool = false) -> TrialRecord {
            TrialRecord(
                runID: runID, specName: "arithmetic-test", kind: "arithmetic", variant: variant, index: index, seed: 1,
                config: [:], metrics: metrics, details: nil, status: failed ? .failed : .done,
                error: failed ? "boom" : nil,
                        startedAt: "", finishedAt: "", seconds: 0, host: "h")
        }
        return [
            r("small", 0, ["sum": 1, "activeNodes": 3]), r("small", 1, ["sum": 2, "activeNodes": 3]),
            r("small", 2, ["sum": 4, "activeNodes": 5]), r("small", 3, [:], failed: true),
            r("large", 0, ["sum": 10, "activeNodes": 3]), r("large", 1, ["sum": 20, "activeNodes": 4]),
            r("large", 5, ["sum": 1000, "activeNodes": 3]),
        ]
    }

    func table(_ tableJSON: String) throws -> ExperimentTable {
        let spec = try parseSpec(arithmeticSpec(trials: 4, tables: "[\(tableJSON)]"))
        return ExperimentTable(spec.tables[0], experiment: spec, records: records(runID: spec.runID))
    }

    @Test func meanAndSampleStandardDeviationOnHandComputedData() throws {
        #expect(Statistics.mean([1, 2, 3, 4]) == 2.5)
        // Sum of squared deviations 5, divided by n - 1 = 3.
        #expect(abs(Statistics.sampleStandardDeviation([1, 2, 3, 4])! - (5.0 / 3).squareRoot()) < 1e-15)
        #expect(Statistics.sampleStandardDeviation([7]) == nil)
        #expect(Statistics.mean([]) == nil)

        let t = try table(#"{"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "meanStd"}]}"#)
        #expect(t.rows.map(\.label) == ["small", "large"])
        #expect(t.rows.map(\.n) == [3, 2])
        #expect(t.rows.map(\.failed) == [1, 0])
        let small = t.rows[0].cells[0], large = t.rows[1].cells[0]
        #expect(abs(small.value! - 7.0 / 3) < 1e-12)
        // Deviations -4/3, -1/3, 5/3: squares sum to 14/3, over n - 1 = 2.
        #expect(abs(small.std! - (7.0 / 3).squareRoot()) < 1e-12)
        #expect(small.text == "2.333 ± 1.528")
        #expect(large.value == 15)
        #expect(abs(large.std! - 50.0.squareRoot()) < 1e-12)
        #expect(large.count == 2)  // index 5 is outside the plan of 4 trials
    }

    @Test func meanAndSampleVarianceOnHandComputedData() throws {
        // Deviations -4/3, -1/3, 5/3 of 7/3: squares sum to 14/3, over n - 1 = 2 -> 7/3.
        #expect(abs(Statistics.sampleVariance([1, 2, 4])! - 7.0 / 3) < 1e-12)
        #expect(Statistics.sampleVariance([7]) == nil)
        let t = try table(
            #"{"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "meanVariance"}]}"#)
        #expect(t.rows[0].cells[0].text == "2.333 ± 2.333")
        #expect(t.rows[1].cells[0].text == "15.000 ± 50.000")
    }

    @Test func countFractionSumMinMaxAndWhereFilters() throws {
        let t = try table(#"""
            {"title": "T", "columns": [
              {"title": "c", "aggregate": "count", "where": "activeNodes == 3"},
              {"title": "f", "aggregate": "fraction", "where": "activeNodes == 3"},
              {"title": "s", "metric": "sum", "aggregate": "sum", "where": ["activeNodes >= 3", "activeNodes != 5"]},
              {"title": "lo", "metric": "sum", "aggregate": "min", "digits": 0},
              {"title": "hi", "metric": "sum", "aggregate": "max", "format": "scientific", "digits": 1},
              {"title": "none", "metric": "sum", "aggregate": "mean", "where": "activeNodes > 10"}
            ]}
            """#)
        #expect(t.rows[0].cells.map(\.value) == [2, 2.0 / 3, 3, 1, 4, nil])
        #expect(t.rows[1].cells.map(\.value) == [1, 0.5, 30, 10, 20, nil])
        #expect(t.rows[0].cells.map(\.text) == ["2", "66.7%", "3.000", "1", "4.0e+00", "-"])
        #expect(t.rows[1].cells.map(\.text) == ["1", "50.0%", "30.000", "10", "2.0e+01", "-"])
        #expect(MetricFilter(metric: "x", comparison: .less, value: 1).matches(["x": .nan]) == false)
        #expect(MetricFilter(metric: "x", comparison: .less, value: 1).matches([:]) == false)
    }

    @Test func rowsGroupedByAMetricValue() throws {
        let t = try table(#"""
            {"title": "By nodes", "rows": {"metric": "activeNodes", "label": "{} nodes"},
             "columns": [{"title": "sum", "metric": "sum", "aggregate": "mean", "digits": 1}]}
            """#)
        #expect(t.rowHeader == "activeNodes")
        #expect(t.rows.map(\.label) == ["3 nodes", "4 nodes", "5 nodes"])
        #expect(t.rows.map(\.n) == [3, 1, 1])
        #expect(t.rows.map { $0.cells[0].text } == ["4.3", "20.0", "4.0"])
        let onlyLarge = try table(#"""
            {"title": "L", "rows": {"metric": "activeNodes", "variants": ["large"]},
             "columns": [{"title": "n3", "aggregate": "count"}]}
            """#)
        #expect(onlyLarge.rows.map(\.label) == ["activeNodes = 3", "activeNodes = 4"])
    }

    @Test func textAndMarkdownRendering() throws {
        let t = try table(#"""
            {"title": "Table A", "columns": [
              {"title": "sum", "metric": "sum", "aggregate": "meanStd", "digits": 2},
              {"title": "3 nodes", "aggregate": "count", "where": "activeNodes == 3"},
              {"title": "share", "aggregate": "fraction", "where": "activeNodes == 3"}
            ]}
            """#)
        #expect(t.text == """
            Table A
            variant  n  failed           sum  3 nodes  share
            -------  -  ------  ------------  -------  -----
            small    3       1   2.33 ± 1.53        2  66.7%
            large    2       0  15.00 ± 7.07        1  50.0%

            """)
        #expect(t.markdown == """
            **Table A**

            | variant | n | failed | sum | 3 nodes | share |
            |---|---:|---:|---:|---:|---:|
            | small | 3 | 1 | 2.33 ± 1.53 | 2 | 66.7% |
            | large | 2 | 0 | 15.00 ± 7.07 | 1 | 50.0% |

            """)
    }

    @Test func medianOfOddAndEvenCounts() throws {
        #expect(Statistics.median([3, 1, 2]) == 2)
        #expect(Statistics.median([4, 1, 3, 2]) == 2.5)
        #expect(Statistics.median([7]) == 7)
        #expect(Statistics.median([]) == nil)
        let t = try table(
            #"{"title": "T", "columns": [{"title": "median", "metric": "sum", "aggregate": "median", "digits": 1}]}"#)
        // small: 1, 2, 4 (the failure never counts); large: 10, 20 (index 5 is outside the plan).
        #expect(t.rows.map { $0.cells[0].value } == [2, 15])
        #expect(t.rows.map { $0.cells[0].text } == ["2.0", "15.0"])
        #expect(t.rows.map { $0.cells[0].count } == [3, 2])
    }

    @Test func rowGroupsPoolTheirVariantsInTheGivenOrder() throws {
        let t = try table(#"""
            {"title": "Grouped", "rows": {"groups": [
               {"label": "everything", "variants": ["large", "small"]},
               {"label": "large only", "variants": ["large"]}]},
             "columns": [
               {"title": "median", "metric": "sum", "aggregate": "median", "digits": 0},
               {"title": "sum (3 nodes)", "metric": "sum", "aggregate": "sum", "where": "activeNodes == 3", "digits": 0}]}
            """#)
        #expect(t.rowHeader == "group")
        #expect(t.rows.map(\.label) == ["everything", "large only"])
        #expect(t.rows.map(\.n) == [5, 2])
        #expect(t.rows.map(\.failed) == [1, 0])
        // everything: 10, 20, 1, 2, 4 -> median 4; at 3 active nodes 10 + 1 + 2.
        #expect(t.rows.map { $0.cells.map(\.text) } == [["4", "13"], ["15", "10"]])
    }

    @Test func comparisonsTestTwoRowsPooledValues() throws {
        let t = try table(#"""
            {"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "mean", "digits": 1}],
             "comparisons": [
               {"title": "sum", "metric": "sum", "rows": ["small", "large"]},
               {"title": "sum and nodes", "metrics": ["sum", "activeNodes"], "rows": ["small", "large"]},
               {"title": "sum at 3 nodes", "metric": "sum", "rows": ["large", "small"], "where": "activeNodes == 3"},
               {"title": "nothing", "metric": "sum", "rows": ["small", "large"], "where": ["activeNodes > 10"]}]}
            """#)
        #expect(t.comparisons.count == 4)
        // mannwhitneyu([1, 2, 4], [10, 20]) -> U 0.0, p 0.2 (exact)
        let plain = t.comparisons[0]
        #expect(plain.rows == ["small", "large"])
        #expect(plain.n1 == 3 && plain.n2 == 2)
        #expect(plain.u == 0 && plain.method == "exact")
        #expect(abs(plain.p! - 0.2) < 1e-12)
        #expect(
            plain.text
                == "Mann-Whitney U, sum: small (n=3) vs large (n=2): U = 0.0, p = 0.200 (exact); difference in means -12.7 (95% CI -77.2 to 51.8)"
        )
        // mannwhitneyu([1, 3, 2, 3, 4, 5], [10, 3, 20, 4]) -> U 4.5, p 0.12963458087901283 (ties: normal)
        let pooled = t.comparisons[1]
        #expect(pooled.metrics == ["sum", "activeNodes"])
        #expect(pooled.n1 == 6 && pooled.n2 == 4)
        #expect(pooled.u == 4.5 && pooled.method == "normal")
        #expect(abs(pooled.p! - 0.12963458087901283) < 1e-9)
        #expect(
            pooled.text
                == "Mann-Whitney U, sum and nodes: small (n=6) vs large (n=4): U = 4.5, p = 0.130 (normal approximation); difference in means -6.3 (95% CI -18.8 to 6.3)"
        )
        // mannwhitneyu([10], [1, 2]) -> U 2.0, p 0.6666666666666666
        let filtered = t.comparisons[2]
        #expect(filtered.filters == ["activeNodes == 3"])
        #expect(filtered.u == 2 && abs(filtered.p! - 2.0 / 3) < 1e-12)
        let empty = t.comparisons[3]
        #expect(empty.n1 == 0 && empty.u == nil && empty.p == nil && empty.method == nil)
        #expect(empty.text == "Mann-Whitney U, nothing: small (n=0) vs large (n=0): -")

        #expect(t.text == """
            T
            variant  n  failed   sum
            -------  -  ------  ----
            small    3       1   2.3
            large    2       0  15.0
            Mann-Whitney U, sum: small (n=3) vs large (n=2): U = 0.0, p = 0.200 (exact); difference in means -12.7 (95% CI -77.2 to 51.8)
            Mann-Whitney U, sum and nodes: small (n=6) vs large (n=4): U = 4.5, p = 0.130 (normal approximation); difference in means -6.3 (95% CI -18.8 to 6.3)
            Mann-Whitney U, sum at 3 nodes: large (n=1) vs small (n=2): U = 2.0, p = 0.667 (exact)
            Mann-Whitney U, nothing: small (n=0) vs large (n=0): -

            """)
        #expect(t.markdown.hasSuffix("""
            | large | 2 | 0 | 15.0 |

            - Mann-Whitney U, sum: small (n=3) vs large (n=2): U = 0.0, p = 0.200 (exact); difference in means -12.7 (95% CI -77.2 to 51.8)
            - Mann-Whitney U, sum and nodes: small (n=6) vs large (n=4): U = 4.5, p = 0.130 (normal approximation); difference in means -6.3 (95% CI -18.8 to 6.3)
            - Mann-Whitney U, sum at 3 nodes: large (n=1) vs small (n=2): U = 2.0, p = 0.667 (exact)
            - Mann-Whitney U, nothing: small (n=0) vs large (n=0): -

            """))
    }

    @Test func aColumnCanReadTheRatioOfTwoMetrics() throws {
        // small: 1/3, 2/3, 4/5; large: 10/3, 20/4. A zero denominator gives NaN, left out of the mean.
        let t = try table(
            #"{"title": "T", "columns": [{"title": "r", "metric": "sum / activeNodes", "aggregate": "mean", "digits": 4}]}"#
        )
        #expect(t.rows.map { $0.cells[0].text } == ["0.6000", "4.1667"])
        #expect(ExperimentTable.metricValue("a / b", in: ["a": 1, "b": 0])!.isNaN)
        #expect(ExperimentTable.metricValue("a / c", in: ["a": 1, "b": 0]) == nil)
    }

    @Test func aProtocolNoteIsPrintedAboveTheNumbers() throws {
        let t = try table(
            #"{"title": "T", "protocol": "64 x 64 image, not the paper's", "columns": [{"title": "n", "aggregate": "count"}]}"#
        )
        #expect(t.protocolNote == "64 x 64 image, not the paper's")
        #expect(t.text.hasPrefix("T\nProtocol: 64 x 64 image, not the paper's\nvariant"))
        #expect(t.markdown.hasPrefix("**T**\n\nProtocol: 64 x 64 image, not the paper's\n\n| variant"))
        #expect(ReportPage.tableHTML(t, paper: nil).hasPrefix(
                "<h3 class=\"table-title\">T</h3>\n<p class=\"protocol\">Protocol: 64 x 64 image, not the paper&#39;s</p>\n<div"
            ))
        #expect(try table(#"{"title": "T", "columns": [{"title": "n", "aggregate": "count"}]}"#).protocolNote == nil)
    }

    @Test func comparisonsOfGroupAndMetricRows() throws {
        let grouped = try table(#"""
            {"title": "G", "rows": {"groups": [{"label": "both", "variants": ["small", "large"]}, {"label": "L", "variants": ["large"]}]},
             "columns": [{"title": "c", "aggregate": "count"}],
             "comparisons": [{"title": "sum", "metric": "sum", "rows": ["both", "L"]}]}
            """#)
        // mannwhitneyu([1, 2, 4, 10, 20], [10, 20]) -> U 2.0, p 0.32412658775761904 (ties: normal)
        #expect(grouped.comparisons[0].n1 == 5 && grouped.comparisons[0].u == 2)
        #expect(abs(grouped.comparisons[0].p! - 0.32412658775761904) < 1e-9)

        // Metric rows are labelled by their values, so their labels are only checked here: an
        // absent row has no values.
        let byNodes = try table(#"""
            {"title": "M", "rows": {"metric": "activeNodes", "label": "{} nodes"},
             "columns": [{"title": "c", "aggregate": "count"}],
             "comparisons": [{"title": "sum", "metric": "sum", "rows": ["3 nodes", "4 nodes"]},
                             {"title": "sum", "metric": "sum", "rows": ["3 nodes", "9 nodes"]}]}
            """#)
        // mannwhitneyu([1, 2, 10], [20]) -> U 0.0, p 0.5 (exact)
        #expect(byNodes.comparisons[0].n1 == 3 && byNodes.comparisons[0].n2 == 1)
        #expect(abs(byNodes.comparisons[0].p! - 0.5) < 1e-12)
        #expect(byNodes.comparisons[1].n2 == 0 && byNodes.comparisons[1].p == nil)
    }

    @Test func comparisonsAreEncoded() throws {
        let t = try table(#"""
            {"title": "T", "columns": [{"title": "c", "aggregate": "count"}],
             "comparisons": [{"title": "sum", "metric": "sum", "rows": ["small", "large"]}]}
            """#)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(t.comparisons), as: UTF8.self)
        #expect(text.hasPrefix(#"[{"effect":{"estimate":-12.666666666666666,"lower":"#))
        #expect(text.contains(#""filters":[],"method":"exact","metrics":["sum"],"n1":3,"n2":2,"p":0.2,"#))
        #expect(text.contains(#""test":"mann-whitney""#))
        #expect(text.contains(#""rows":["small","large"]"#))
        #expect(text.contains(#""u":0"#))
    }

    /// Tables read whatever metrics trials recorded: infinite, NaN, huge, subnormal or all-equal values give text
    /// for every aggregate, format and test, never a trap (a zero effect once asked for 302 decimals).
    @Test func extremeMetricValuesNeverTrap() throws {
        let aggregates = ["mean", "meanStd", "meanVariance", "count", "sum", "fraction", "min", "max", "median"]
        var columns: [String] = []
        for aggregate in aggregates {
            for format in ["fixed", "percent", "scientific"] {
                for digits in [0, 3, 12] {
                    columns.append(#"{"title": "\#(aggregate)", "metric": "m", "aggregate": "\#(aggregate)", "#
                        + #""format": "\#(format)", "digits": \#(digits)}"#)
                }
            }
        }
        let text = arithmeticSpec(trials: 4, tables: #"""
            [{"title": "T", "columns": [\#(columns.joined(separator: ", "))],
              "comparisons": [{"title": "u", "metric": "m", "rows": ["small", "large"]},
                              {"title": "t", "metric": "m", "rows": ["small", "large"], "test": "paired-t"},
                              {"title": "f", "metric": "m", "rows": ["small", "large"], "test": "fisher"}]}]
            """#)
        let spec = try parseSpec(text.replacingOccurrences(of: #""seed": 7,"#, with: #""seed": 7, "pairedSeeds": true,"#))
        let values: [Double] = [.nan, .infinity, -.infinity, 0, 1, 1e308, -1e308, .leastNonzeroMagnitude, 9.3e15, -2.5]
        var generator = RandomSource(seed: 7)
        for round in 0..<200 {
            var records: [TrialRecord] = []
            for variant in ["small", "large"] {
                for index in 0..<4 {
                    // Round 0: every value equal (no difference at all); then random picks.
                    let m = round == 0 ? 1 : values[Int(generator.next() % UInt64(values.count))]
                    records.append(TrialRecord(
                        runID: spec.runID, specName: spec.name, kind: "arithmetic", variant: variant, index: index,
                        seed: 1, config: [:], metrics: ["m": m], details: nil, status: .done, error: nil,
                        startedAt: "", finishedAt: "", seconds: 0, host: "h"))
                }
            }
            let table = ExperimentTable(spec.tables[0], experiment: spec, records: records)
            #expect(!table.text.isEmpty && !table.markdown.isEmpty)
            #expect(table.comparisons.count == 3)
        }
    }

    @Test func numberFormats() {
        #expect(NumberFormat(style: .fixed, digits: 3).format(2.0005) == "2.001")
        #expect(NumberFormat(style: .fixed, digits: 0).format(-0.4) == "0")
        #expect(
            NumberFormat(style: .fixed, digits: 2).format(-1.005) == "-1.00"
                || NumberFormat(style: .fixed, digits: 2).format(-1.005) == "-1.01")
        #expect(NumberFormat(style: .fixed, digits: 1).format(-12.34) == "-12.3")
        #expect(NumberFormat(style: .percent, digits: 0).format(0.125) == "13%")
        #expect(NumberFormat(style: .scientific, digits: 2).format(0.000123) == "1.23e-04")
        #expect(NumberFormat(style: .scientific, digits: 1).format(9.96) == "1.0e+01")
        #expect(NumberFormat(style: .fixed, digits: 2).format(.nan) == "nan")
        // More decimals than a Double holds are cut to 15 (302 once trapped converting 1e302 to Int64).
        #expect(NumberFormat(style: .fixed, digits: 302).format(0) == "0." + String(repeating: "0", count: 15))
        #expect(NumberFormat(style: .fixed, digits: -3).format(2.5) == "3")
    }

    /// A comparison with no difference (interruptible-vgg-quick's exact expansions) asked for 302 decimals and the
    /// table trapped; non-finite effects must print too.
    @Test func nonFiniteEffectsPrint() {
        for effect in [EffectInterval(name: "difference in means", estimate: .nan, lower: .nan, upper: .nan),
                       EffectInterval(name: "difference in means", estimate: .infinity, lower: 1, upper: .infinity),
                       EffectInterval(name: "difference in means", estimate: 0, lower: 0, upper: 0)] {
            let text = ExperimentTable.effectText(effect)
            #expect(text.hasPrefix("difference in means "), "\(text)")
        }
        // No difference at all (two expansions that both preserve the function exactly): three decimals.
        let zero = EffectInterval(name: "difference in means", estimate: 0, lower: 0, upper: 0)
        #expect(ExperimentTable.effectText(zero) == "difference in means 0.000 (95% CI 0.000 to 0.000)")
        let nan = EffectInterval(name: "difference in means", estimate: .nan, lower: .nan, upper: .nan)
        #expect(ExperimentTable.effectText(nan) == "difference in means nan (95% CI nan to nan)")
        let text = ExperimentTable.mannWhitneyOutcome(
            ComparisonSpec(title: "t", metrics: ["m"], rows: ["a", "b"]),
            first: [1, .infinity, 2], second: [0.5, 1, .infinity]).text
        #expect(text.contains("Mann-Whitney U"), "\(text)")
    }
}
