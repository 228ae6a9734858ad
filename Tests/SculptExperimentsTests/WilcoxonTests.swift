import Foundation
import Testing
@testable import SculptExperiments

@Suite struct WilcoxonTests {
    @Test("the Wilcoxon signed-rank test matches scipy.stats.wilcoxon (1.17) to 1e-9: exact, ties, zeros, normal")
    func matchesScipy() throws {
        let cases: [([Double], [Double], Double, Double, MannWhitneyResult.Method)] = [
            ([1, 2, 3, 4, 5], [0, 0, 0, 0, 0], 0, 0.0625, .exact),
            ([0.81, 0.84, 0.80, 0.86, 0.9], [0.78, 0.80, 0.79, 0.82, 0.95], 5, 0.625, .exact),
            ([1, 2, 2, 3, -1], [0, 0, 0, 0, 0], 1.5, 0.1875, .exact),          // tied |d|: mid-ranks
            ([1, 0, 2, 3, -1, 4], [0, 0, 0, 0, 0, 0], 1.5, 0.1875, .exact),    // a zero difference is dropped
            ([0.5, -0.2, 0.3, 0.1, 0.7, -0.4, 0.9, 1.1, 0.05, -0.6, 0.35, 0.25], [Double](repeating: 0, count: 12),
             19, 0.12939453125, .exact),
            ([1, 2, 3], [0, 0, 0], 0, 0.25, .exact),
        ]
        for (a, b, w, p, method) in cases {
            let r = try #require(WilcoxonSignedRank.test(a, b))
            #expect(r.w == w, "\(a)")
            #expect(abs(r.p - p) <= 1e-9 * p, "\(a): \(r.p) vs \(p)")
            #expect(r.method == method)
        }
        // 60 pairs, 8 zero differences and many ties: 52 ranked, beyond the exact limit.
        let a: [Double] = [
            2.2, -2.4, 0.6, -0.4, -0.3, 0.0, -1.8, 0.0, -0.7, 3.5, 0.4, -0.2, -0.1, -0.5, -0.9, -0.2, 0.7, 0.0, 1.2,
            0.0, 0.2, 1.7, 0.7, -0.3, 0.0, 0.7, 2.1, -0.1, 0.0, 1.2, -0.7, -0.1, 1.1, 0.8, 0.3, 0.9, -2.6, 1.2, -0.8,
            -1.5, 0.5, 0.9, -0.2, -0.9, 0.2, 0.1, 1.6, 0.9, 0.4, 1.3, 0.0, -0.7, 0.8, 0.8, 0.0, -0.6, 0.4, -2.3, 0.9,
            0.7,
        ]
        let r = try #require(WilcoxonSignedRank.test(a, [Double](repeating: 0, count: a.count)))
        #expect(r.n == 52 && r.w == 511.5 && r.method == .normal)
        #expect(abs(r.p - 0.1057176858884722) <= 1e-9)
        // Degenerate input.
        #expect(WilcoxonSignedRank.test([], []) == nil)
        #expect(WilcoxonSignedRank.test([1, .nan], [0, 0]) == nil)
        #expect(WilcoxonSignedRank.test([1, 2], [1, 2])?.p == 1)
    }

    @Test("the exact p is symmetric in the order of the samples and never exceeds 1")
    func symmetric() throws {
        let a: [Double] = [0.3, -0.1, 0.25, 0.6, 0.05, -0.4, 0.2]
        let zero = [Double](repeating: 0, count: a.count)
        let forward = try #require(WilcoxonSignedRank.test(a, zero))
        let backward = try #require(WilcoxonSignedRank.test(zero, a))
        #expect(forward.p == backward.p && forward.w == backward.w)
        #expect(try #require(WilcoxonSignedRank.test([1, -1], [0, 0])).p == 1)
    }

    static func spec(_ comparison: String, paired: Bool = false) -> String {
        """
        {"name": "arithmetic-test", "kind": "arithmetic", "seed": 7, "trials": 5, "pairedSeeds": \(paired),
         "config": {"a": 1}, "variants": [{"name": "small", "config": {"b": 1}}, {"name": "large", "config": {"b": 10}}],
         "tables": [{"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "mean"}],
                     "comparisons": [\(comparison)]}]}
        """
    }

    func record(_ spec: ExperimentSpec, _ variant: String, _ index: Int, _ metrics: [String: Double]) -> TrialRecord {
        TrialRecord(
            runID: spec.runID, specName: spec.name, kind: "arithmetic", variant: variant, index: index, seed: 1,
            config: [:], metrics: metrics, details: nil, status: .done, error: nil,
            startedAt: "", finishedAt: "", seconds: 0, host: "h")
    }

    @Test("a comparison within trials pairs two metrics of each finished trial of one row, without pairedSeeds")
    func withinTrial() throws {
        let spec = try parseSpec(Self.spec(
            #"{"title": "sum vs a", "row": "small", "pair": ["sum", "a"], "test": "wilcoxon"}"#))
        let c0 = spec.tables[0].comparisons[0]
        #expect(c0.withinTrial && c0.rows == ["small"] && c0.metrics == ["sum", "a"] && c0.test == .wilcoxon)
        // small: differences sum - a = 1, 2, 3, 4 (index 4 lacks "a": left out); large's trials never enter.
        let records = (0..<4).map { record(spec, "small", $0, ["sum": Double($0 + 2), "a": 1]) }
            + [record(spec, "small", 4, ["sum": 9]), record(spec, "large", 0, ["sum": 0, "a": 50])]
        let c = ExperimentTable(spec.tables[0], experiment: spec, records: records).comparisons[0]
        #expect(c.n1 == 4 && c.n2 == 4 && c.withinTrial)
        #expect(c.w == 0 && c.p == 0.125 && c.method == "exact")
        #expect(abs(c.effect!.estimate - 2.5) < 1e-12)
        #expect(c.text.hasPrefix(
            "Wilcoxon signed-rank, sum vs a: sum vs a within small (n=4 trials): W = 0.0, n = 4 non-zero, p = 0.125 (exact); mean paired difference 2.50"))
        // The default test is the paired t-test: differences 1, 2, 3, 4 -> t = 2.5 / (1.291 / 2) = 3.873 on 3 df.
        let t = try parseSpec(Self.spec(#"{"title": "d", "row": "small", "pair": ["sum", "a"]}"#))
        let ct = ExperimentTable(t.tables[0], experiment: t, records: records).comparisons[0]
        #expect(ct.test == "paired-t" && abs(ct.p! - 0.030466291662170977) < 1e-9)
        #expect(ct.text.contains("(n=4 trials): t = 3.87, df = 3"))
    }

    @Test("a malformed comparison within trials fails when the spec is read, naming the key")
    func rejects() throws {
        let bad: [(String, String)] = [
            (#"{"title": "x", "row": "small", "pair": ["sum"]}"#, "exactly two metrics"),
            (#"{"title": "x", "row": "small", "pair": ["sum", "sum"]}"#, "with itself"),
            (#"{"title": "x", "row": "nowhere", "pair": ["sum", "a"]}"#, "unknown row"),
            (#"{"title": "x", "rows": ["small", "large"], "pair": ["sum", "a"]}"#, "cannot be combined"),
            (#"{"title": "x", "row": "small", "metric": "sum", "pair": ["sum", "a"]}"#, "cannot be combined"),
            (#"{"title": "x", "row": "small", "pair": ["sum", "a"], "test": "mann-whitney"}"#, "mann-whitney"),
            (#"{"title": "x", "pair": ["sum", "a"]}"#, "row"),
            (#"{"title": "x", "row": "small", "metric": "sum"}"#, "goes with \"pair\""),
            (#"{"title": "x", "metric": "sum", "rows": ["small", "large"], "test": "wilcoxon"}"#, "pairedSeeds"),
        ]
        for (comparison, message) in bad {
            do {
                _ = try parseSpec(Self.spec(comparison))
                Issue.record("accepted \(comparison)")
            } catch {
                #expect("\(error)".contains(message), "\(comparison): \(error)")
            }
        }
        // Between rows, the Wilcoxon test pairs trial i of both rows like paired-t.
        let spec = try parseSpec(Self.spec(
            #"{"title": "sum", "metric": "sum", "rows": ["small", "large"], "test": "wilcoxon"}"#, paired: true))
        let records = (0..<5).flatMap { i in
            [record(spec, "small", i, ["sum": Double(i)]), record(spec, "large", i, ["sum": Double(i) + 10])]
        }
        let c = ExperimentTable(spec.tables[0], experiment: spec, records: records).comparisons[0]
        #expect(!c.withinTrial && c.n1 == 5 && c.w == 0 && c.p == 0.0625)
        #expect(c.text.hasPrefix("Wilcoxon signed-rank, sum: small vs large (n=5 pairs): W = 0.0"))
    }
}
