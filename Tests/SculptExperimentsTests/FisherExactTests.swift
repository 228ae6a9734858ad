import Testing
@testable import SculptExperiments

/// Reference values from SciPy 1.17.1: `r = scipy.stats.fisher_exact(table)` (two-sided),
/// `float(r.statistic)` (the sample odds ratio) and `float(r.pvalue)`.
@Suite struct FisherExactTests {
    func expectMatchesSciPy(_ table: [[Int]], oddsRatio: Double, p: Double,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try #require(FisherExact.test(table[0][0], table[0][1], table[1][0], table[1][1]),
                                  sourceLocation: sourceLocation)
        #expect(result.table == table, sourceLocation: sourceLocation)
        #expect(abs(result.p - p) <= 1e-9 * p + 1e-15, "p = \(result.p), scipy \(p)", sourceLocation: sourceLocation)
        if oddsRatio.isNaN {
            #expect(result.oddsRatio.isNaN, sourceLocation: sourceLocation)
        } else {
            #expect(result.oddsRatio == oddsRatio, sourceLocation: sourceLocation)
        }
    }

    @Test func twoSidedPValuesAndOddsRatiosMatchSciPy() throws {
        // Table 1's minimal correct solutions as counted in an earlier run: 25 vs 10 and 14 vs 10 of 30.
        try expectMatchesSciPy([[25, 5], [10, 20]], oddsRatio: 10, p: 0.0001810000624445966)
        try expectMatchesSciPy([[14, 16], [10, 20]], oddsRatio: 1.75, p: 0.4295691931947636)
        try expectMatchesSciPy([[12, 18], [6, 24]], oddsRatio: 2.6666666666666665, p: 0.15806205176119764)
        try expectMatchesSciPy([[0, 30], [7, 23]], oddsRatio: 0, p: 0.010542535074203226)
        // Equal probabilities on both tails (symmetric margins) are all counted.
        try expectMatchesSciPy([[3, 1], [1, 3]], oddsRatio: 9, p: 0.48571428571428565)
        try expectMatchesSciPy([[5, 5], [5, 5]], oddsRatio: 1, p: 1)
        try expectMatchesSciPy([[1, 9], [11, 3]], oddsRatio: 0.030303030303030304, p: 0.0027594561852200836)
        try expectMatchesSciPy([[100, 2], [90, 20]], oddsRatio: 11.11111111111111, p: 6.891808157104974e-05)
        // b c = 0: infinite odds ratio; a zero margin: NaN and p = 1.
        try expectMatchesSciPy([[10, 0], [0, 10]], oddsRatio: .infinity, p: 1.082508822446903e-05)
        try expectMatchesSciPy([[0, 5], [0, 7]], oddsRatio: .nan, p: 1)
        #expect(FisherExact.test(-1, 2, 3, 4) == nil)
    }

    @Test func samplesCountTheirNonzeroValues() throws {
        let result = try #require(FisherExact.test(first: [1, 1, 0, 1], second: [0, 0, 1, 0, 0]))
        #expect(result.table == [[3, 1], [1, 4]])
    }

    /// Newcombe (1998), "Interval estimation for the difference between independent proportions",
    /// Statistics in Medicine 17, Table II, method 10 (hybrid score), to the four decimals printed there.
    @Test func differenceInProportionsUsesNewcombesHybridScoreInterval() throws {
        for (h1, n1, h2, n2, lower, upper) in [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090),
                                               (6, 7, 2, 7, 0.0582, 0.8062), (5, 56, 0, 29, -0.0381, 0.1926)] {
            let e = try #require(EffectInterval.differenceInProportions(hits1: h1, n1: n1, hits2: h2, n2: n2))
            #expect(abs(e.estimate - (Double(h1) / Double(n1) - Double(h2) / Double(n2))) < 1e-15)
            #expect(abs(e.lower - lower) < 5e-5 && abs(e.upper - upper) < 5e-5, "\(e)")
        }
        #expect(EffectInterval.differenceInProportions(hits1: 0, n1: 0, hits2: 1, n2: 2) == nil)
    }

    /// scipy.stats.ttest_ind(a, b, equal_var=False): Welch df 4.635; we round down to 4, t(0.975, 4) = 2.776.
    @Test func differenceInMeansUsesWelchsIntervalWithDfRoundedDown() throws {
        let e = try #require(
            EffectInterval.differenceInMeans([1.0, 2.5, 3.1, 4.8, 2.2], [0.5, 0.9, 1.4, 0.2, 1.1, 0.7]))
        #expect(abs(e.estimate - 1.92) < 1e-12)
        #expect(abs(e.lower - 0.1250918371496923) < 1e-9 && abs(e.upper - 3.714908162850308) < 1e-9)
        // scipy's interval at the fractional df is narrower: 0.2178 to 3.6222.
        #expect(e.lower < 0.2177744931742711 && e.upper > 3.6222255068257287)
        #expect(EffectInterval.differenceInMeans([1], [2, 3]) == nil)
    }

    @Test func aFisherComparisonCountsTrialsPassingItsFilter() throws {
        let spec = try parseSpec(arithmeticSpec(trials: 4, tables: #"""
            [{"title": "T", "columns": [{"title": "n", "aggregate": "count"}],
              "comparisons": [{"title": "three nodes", "metric": "activeNodes", "rows": ["small", "large"], "test": "fisher",
                               "where": "activeNodes == 3"}]}]
            """#))
        #expect(spec.tables[0].comparisons[0].test == .fisher)
        let twoByTwo = ExperimentTable.comparison(spec.tables[0].comparisons[0],
                                                  first: Array(repeating: 1, count: 25) + Array(repeating: 0, count: 5),
            second: Array(repeating: 1, count: 10) + Array(repeating: 0, count: 20))
        #expect(twoByTwo.test == "fisher" && twoByTwo.u == nil && twoByTwo.n1 == 30 && twoByTwo.n2 == 30)
        #expect(abs(twoByTwo.p! - 0.0001810000624445966) < 1e-12)
        #expect(
            twoByTwo.text == "Fisher exact, three nodes: small 25/30 vs large 10/30: odds ratio 10.00, p = 1.81e-04; "
            + "difference in proportions 0.500 (95% CI 0.254 to 0.669)")
        // The table pools finished trials passing the filter: small has 3, 3, 5 nodes, large 3, 4.
        let pooled = ExperimentTable(spec.tables[0], experiment: spec, records: TableTests().records(runID: spec.runID))
        #expect(pooled.comparisons[0].n1 == 2 && pooled.comparisons[0].n2 == 1 && pooled.comparisons[0].p == 1)
        #expect(throws: (any Error).self) {
            try parseSpec(arithmeticSpec(trials: 4, tables: #"""
                [{"title": "T", "columns": [{"title": "n", "aggregate": "count"}],
                  "comparisons": [{"title": "x", "metric": "sum", "rows": ["small", "large"], "test": "chi-square"}]}]
                """#))
        }
    }
}
