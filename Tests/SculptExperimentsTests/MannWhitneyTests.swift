import Testing
@testable import SculptExperiments

/// Reference values from SciPy 1.17.1:
/// `r = scipy.stats.mannwhitneyu(a, b, alternative='two-sided', method='auto', use_continuity=True)`,
/// `float(r.statistic)` (U of `a`) and `float(r.pvalue)`.
@Suite struct MannWhitneyTests {
    /// The test of `a` against `b`, checked against scipy's U, p and method.
    func expectMatchesSciPy(_ a: [Double], _ b: [Double], u: Double, p: Double, method: MannWhitneyResult.Method,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try #require(MannWhitneyU.test(a, b), sourceLocation: sourceLocation)
        #expect(result.n1 == a.count && result.n2 == b.count, sourceLocation: sourceLocation)
        #expect(result.u == u, sourceLocation: sourceLocation)
        #expect(abs(result.p - p) <= 1e-9 * p + 1e-15, "p = \(result.p), scipy \(p)", sourceLocation: sourceLocation)
        #expect(result.method == method, sourceLocation: sourceLocation)
    }

    @Test func exactSmallSamplesWithoutTies() throws {
        // mannwhitneyu([1.1, 2.3, 3.7, 4.2, 8.5], [5.1, 6.2, 7.3, 9.9, 10.4, 11.0]) -> U 3.0, p 0.030303030303030304
        try expectMatchesSciPy(
            [1.1, 2.3, 3.7, 4.2, 8.5], [5.1, 6.2, 7.3, 9.9, 10.4, 11.0], u: 3, p: 0.030303030303030304, method: .exact)
        // Fully separated: p = 2 / C(11, 5). mannwhitneyu([1,2,3,4,5], [6,7,8,9,10,11]) -> U 0.0, p 0.004329004329004329
        try expectMatchesSciPy([1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], u: 0, p: 0.004329004329004329, method: .exact)
        // The other way round U is n1 n2 - U and p is the same.
        try expectMatchesSciPy([6, 7, 8, 9, 10, 11], [1, 2, 3, 4, 5], u: 30, p: 0.004329004329004329, method: .exact)
        // One sample of at most 8 values is enough for the exact method (scipy's "auto" rule).
        // mannwhitneyu([4.5, 12.5, 0.25], [1,2,3,5,6,7,8,9,10,11,13,14]) -> U 13.0, p 0.5362637362637362
        try expectMatchesSciPy(
            [4.5, 12.5, 0.25], [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 13, 14], u: 13, p: 0.5362637362637362, method: .exact)
        // mannwhitneyu([i*3.1 for i in range(8)], [i*1.7+0.05 for i in range(30)]) -> U 54.0, p 0.016813400564524104
        try expectMatchesSciPy((0..<8).map { Double($0) * 3.1 }, (0..<30).map { Double($0) * 1.7 + 0.05 },
                               u: 54, p: 0.016813400564524104, method: .exact)
        // U = n1 n2 / 2: twice the lower tail exceeds 1 and is capped. mannwhitneyu([1,4], [2,3]) -> U 2.0, p 1.0
        try expectMatchesSciPy([1, 4], [2, 3], u: 2, p: 1, method: .exact)
        // mannwhitneyu([3.0], [1.0]) -> U 1.0, p 1.0
        try expectMatchesSciPy([3], [1], u: 1, p: 1, method: .exact)
    }

    @Test func tiesUseTheNormalApproximationWithMidRanks() throws {
        // mannwhitneyu([1,2,2,3,5,5,7], [2,3,4,5,6,6,8,9]) -> U 15.5, p 0.16112494928905186
        try expectMatchesSciPy(
            [1, 2, 2, 3, 5, 5, 7], [2, 3, 4, 5, 6, 6, 8, 9], u: 15.5, p: 0.16112494928905186, method: .normal)
        let (ranks, ties) = MannWhitneyU.midRanks([5, 1, 5, 2, 5])
        #expect(ranks == [4, 1, 4, 2, 4])
        #expect(ties == [1, 1, 3])
    }

    @Test func largerSamplesUseTheNormalApproximation() throws {
        // a = [(i*37 % 101)/10 for i in range(1,21)], b = [(j*53 % 103)/10 + 1 for j in range(1,26)] (a few ties):
        // mannwhitneyu(a, b) -> U 220.5, p 0.5076407134851373
        let a = (1...20).map { Double($0 * 37 % 101) / 10 }
        let b = (1...25).map { Double($0 * 53 % 103) / 10 + 1 }
        try expectMatchesSciPy(a, b, u: 220.5, p: 0.5076407134851373, method: .normal)
        // No ties, far in the tail: mannwhitneyu([float(i) for i in range(1,21)], [i + 0.5 for i in range(12,37)])
        // -> U 36.0, p 1.0788424190941295e-06
        try expectMatchesSciPy((1...20).map(Double.init), (12...36).map { Double($0) + 0.5 },
                               u: 36, p: 1.0788424190941295e-06, method: .normal)
    }

    @Test func identicalSamplesGivePOne() throws {
        // mannwhitneyu([1,2,3], [1,2,3]) -> U 4.5, p 1.0
        try expectMatchesSciPy([1, 2, 3], [1, 2, 3], u: 4.5, p: 1, method: .normal)
        // Every value equal: zero variance, p = 1.
        try expectMatchesSciPy([2, 2, 2], [2, 2], u: 3, p: 1, method: .normal)
    }

    @Test func emptySamplesGiveNoResultAndNaNIsLeftOut() throws {
        #expect(MannWhitneyU.test([], [1, 2]) == nil)
        #expect(MannWhitneyU.test([1], [.nan]) == nil)
        let withNaN = try #require(MannWhitneyU.test([1, .nan, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11, .nan]))
        #expect(withNaN.n1 == 5 && withNaN.n2 == 6)
        #expect(abs(withNaN.p - 0.004329004329004329) < 1e-15)
    }

    @Test func exactDistributionSumsToOne() {
        // C(7, 3) = 35 arrangements; U = 0 and U = 1 have one each, U <= 2 has four (0; 1; 2 twice).
        #expect(abs(MannWhitneyU.exactCumulativeProbability(0, 3, 4) - 1.0 / 35) < 1e-15)
        #expect(abs(MannWhitneyU.exactCumulativeProbability(2, 4, 3) - 4.0 / 35) < 1e-15)
        #expect(MannWhitneyU.exactCumulativeProbability(12, 3, 4) == 1)
        #expect(MannWhitneyU.exactCumulativeProbability(-1, 3, 4) == 0)
        // Symmetry: P(U <= k) + P(U <= n1 n2 - k - 1) = 1.
        for k in 0..<40 {
            let sum =
                MannWhitneyU.exactCumulativeProbability(k, 5, 8) + MannWhitneyU.exactCumulativeProbability(39 - k, 5, 8)
            #expect(abs(sum - 1) < 1e-12)
        }
    }
}
