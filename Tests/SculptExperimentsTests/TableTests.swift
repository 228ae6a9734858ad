import Testing
@testable import SculptExperiments

@Suite struct TableTests {
    /// Hand-made records: "small" has sums 1, 2, 4 (active nodes 3, 3, 5) and one failure;
    /// "large" has sums 10, 20 (active nodes 3, 4) and one trial outside the plan (index 5).
    func records(runID: String) -> [TrialRecord] {
        func r(_ variant: String, _ index: Int, _ metrics: [String: Double], failed: Bool = false) -> TrialRecord {
            TrialRecord(runID: runID, specName: "arithmetic-test", kind: "arithmetic", variant: variant, index: index, seed: 1,
                        config: [:], metrics: metrics, details: nil, status: failed ? .failed : .done, error: failed ? "boom" : nil,
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
        let t = try table(#"{"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "meanVariance"}]}"#)
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

    @Test func numberFormats() {
        #expect(NumberFormat(style: .fixed, digits: 3).format(2.0005) == "2.001")
        #expect(NumberFormat(style: .fixed, digits: 0).format(-0.4) == "0")
        #expect(NumberFormat(style: .fixed, digits: 2).format(-1.005) == "-1.00" || NumberFormat(style: .fixed, digits: 2).format(-1.005) == "-1.01")
        #expect(NumberFormat(style: .fixed, digits: 1).format(-12.34) == "-12.3")
        #expect(NumberFormat(style: .percent, digits: 0).format(0.125) == "13%")
        #expect(NumberFormat(style: .scientific, digits: 2).format(0.000123) == "1.23e-04")
        #expect(NumberFormat(style: .scientific, digits: 1).format(9.96) == "1.0e+01")
        #expect(NumberFormat(style: .fixed, digits: 2).format(.nan) == "nan")
    }
}
