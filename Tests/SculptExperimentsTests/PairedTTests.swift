import Foundation
import Testing
@testable import SculptExperiments

@Suite struct PairedTTests {
    @Test("the paired t-test and Student's t tail match scipy (ttest_rel, t.sf) to 1e-9 relative")
    func matchesScipy() throws {
        let cases: [([Double], [Double], Double, Double)] = [
            ([0.81, 0.84, 0.80, 0.86], [0.78, 0.80, 0.79, 0.82], 4.242640687119289, 0.023981199790656615),
            ([1.0, 2.0, 3.5], [0.5, 2.2, 1.0], 1.1537199008024608, 0.3678669026199767),
        ]
        for (a, b, t, p) in cases {
            let r = try #require(PairedT.test(a, b))
            #expect(abs(r.t - t) <= 1e-9 * abs(t))
            #expect(abs(r.p - p) <= 1e-9 * p)
            #expect(r.degreesOfFreedom == a.count - 1)
            #expect(r.effect.lower < r.effect.estimate && r.effect.estimate < r.effect.upper)
        }
        for (t, df, p) in [
            (2.5, 7, 0.04099221858575289), (0.3, 1, 0.8144528418445154), (12.0, 30, 5.580185415199261e-13),
                           (1.7, 100, 0.09223932700301926)] {
            #expect(abs(PairedT.twoSidedP(t: t, degreesOfFreedom: df) - p) <= 1e-9 * p, "t=\(t) df=\(df)")
        }
        #expect(PairedT.test([1], [2]) == nil)
        #expect(PairedT.test([1, 2], [1, 2])?.p == 1)          // every difference 0
        #expect(PairedT.test([2, 3], [1, 2])?.p == 0)          // every difference the same non-zero value
        #expect(PairedT.test([1, .nan], [1, 2]) == nil)
    }

    static func spec(paired: Bool) -> String {
        """
        {"name": "arithmetic-test", "kind": "arithmetic", "seed": 7, "trials": 4, "pairedSeeds": \(paired),
         "config": {"a": 1}, "variants": [{"name": "small", "config": {"b": 1}}, {"name": "large", "config": {"b": 10}}],
         "tables": [{"title": "T", "columns": [{"title": "sum", "metric": "sum", "aggregate": "mean"}],
                     "comparisons": [{"title": "sum", "metric": "sum", "rows": ["small", "large"], "test": "paired-t"}]}]}
        """
    }

    @Test("a paired-t comparison pairs the trials of the same index that both rows finished; it needs pairedSeeds")
    func tableComparison() throws {
        let spec = try parseSpec(Self.spec(paired: true))
        func r(_ variant: String, _ index: Int, _ sum: Double) -> TrialRecord {
            TrialRecord(
                runID: spec.runID, specName: spec.name, kind: "arithmetic", variant: variant, index: index, seed: 1,
                        config: [:], metrics: ["sum": sum], details: nil, status: .done, error: nil,
                        startedAt: "", finishedAt: "", seconds: 0, host: "h")
        }
        // Index 2 of "small" has no partner; pairs (1, 10) and (2, 20): differences -9, -18, t = -3 on 1 df.
        let records = [r("small", 0, 1), r("small", 1, 2), r("small", 2, 4), r("large", 0, 10), r("large", 1, 20)]
        let c = ExperimentTable(spec.tables[0], experiment: spec, records: records).comparisons[0]
        #expect(c.n1 == 2 && c.n2 == 2)
        #expect(abs(c.p! - 0.20483276469913345) < 1e-9)
        #expect(abs(c.effect!.estimate + 13.5) < 1e-12)
        #expect(
            c.text.hasPrefix(
                "paired t, sum: small vs large (n=2 pairs): t = -3.00, df = 1, p = 0.205; mean paired difference"))
        #expect(throws: SpecError.self) { try parseSpec(Self.spec(paired: false)) }
        do { _ = try parseSpec(Self.spec(paired: false)) } catch { #expect("\(error)".contains("pairedSeeds")) }
    }

    static func groupedSpec(second: String) -> String {
        """
        {"name": "arithmetic-test", "kind": "arithmetic", "seed": 7, "trials": 2, "pairedSeeds": true,
         "config": {"a": 1},
         "variants": [{"name": "a1", "config": {"b": 1}}, {"name": "a2", "config": {"b": 2}},
                      {"name": "b1", "config": {"b": 3}}, {"name": "b2", "config": {"b": 4}},
                      {"name": "b3", "config": {"b": 5}}],
         "tables": [{"title": "T", "rows": {"groups": [{"label": "A", "variants": ["a1", "a2"]},
                                                     {"label": "B", "variants": \(second)}]},
                     "columns": [{"title": "sum", "metric": "sum", "aggregate": "mean"}],
                     "comparisons": [{"title": "sum", "metric": "sum", "rows": ["A", "B"], "test": "paired-t"}]}]}
        """
    }

    @Test("a paired-t comparison of rows pooling variants pairs the k-th variant listed in each row at the same trial index")
    func groupedRows() throws {
        func records(_ spec: ExperimentSpec) -> [TrialRecord] {
            let values: [(String, Int, Double)] = [
                ("a1", 0, 1), ("a1", 1, 2), ("a2", 0, 10), ("a2", 1, 14),
                ("b1", 0, 0), ("b1", 1, 0.5), ("b2", 0, 9), ("b2", 1, 12), ("b3", 0, 100), ("b3", 1, 100),
            ]
            return values.map { variant, index, sum in
                TrialRecord(
                    runID: spec.runID, specName: spec.name, kind: "arithmetic", variant: variant, index: index,
                    seed: 1, config: [:], metrics: ["sum": sum], details: nil, status: .done, error: nil,
                    startedAt: "", finishedAt: "", seconds: 0, host: "h")
            }
        }
        // a1-b1 and a2-b2 at indices 0 and 1: differences 1, 1.5, 1, 2 (scipy ttest_rel: t = 5.7446, p = 0.010477).
        let spec = try parseSpec(Self.groupedSpec(second: #"["b1", "b2"]"#))
        let c = ExperimentTable(spec.tables[0], experiment: spec, records: records(spec)).comparisons[0]
        #expect(c.n1 == 4 && c.n2 == 4)
        #expect(abs(c.p! - 0.01047708875527632) < 1e-9)
        #expect(abs(c.effect!.estimate - 1.375) < 1e-12)
        #expect(c.text.contains("(n=4 pairs): t = 5.74, df = 3"))
        // Listed the other way round, a1 pairs with b2 and a2 with b1: differences -8, -10, 10, 13.5.
        let swapped = try parseSpec(Self.groupedSpec(second: #"["b2", "b1"]"#))
        let s = ExperimentTable(swapped.tables[0], experiment: swapped, records: records(swapped)).comparisons[0]
        #expect(abs(s.effect!.estimate - 1.375) < 1e-12 && s.p! > 0.5)
        // Rows of unequal length cannot be paired: the line says so and gives no p.
        let uneven = try parseSpec(Self.groupedSpec(second: #"["b1", "b2", "b3"]"#))
        let u = ExperimentTable(uneven.tables[0], experiment: uneven, records: records(uneven)).comparisons[0]
        #expect(u.p == nil && u.n1 == 0)
        #expect(u.text.contains("the rows pool 2 and 3 variants, so their trials cannot be paired"))
    }
}
