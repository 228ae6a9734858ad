import Foundation
import SculptCore
import Testing

@testable import SculptAnalysis

@Suite struct StatisticsTests {
    @Test func kolmogorovSmirnovStatisticAndPValue() throws {
        let t = try #require(KolmogorovSmirnovTest.test([1, 2, 3, 4], [3, 4, 5, 6]))
        #expect(t.statistic == 0.5)
        // Kolmogorov's Q(1.0) = 0.26999967...
        #expect(abs(KolmogorovSmirnovTest.kolmogorovQ(1.0) - 0.2699996716) < 1e-8)
        let same = paretoSamples(alpha: 3, xmin: 1, count: 2000, seed: 1)
        let other = paretoSamples(alpha: 3, xmin: 1, count: 2000, seed: 2)
        #expect(try #require(KolmogorovSmirnovTest.test(same, other)).pValue > 0.01)
        let shifted = other.map { $0 * 1.3 }
        #expect(try #require(KolmogorovSmirnovTest.test(same, shifted)).pValue < 1e-6)
    }

    @Test func chiSquareAgainstTheUniformExpectation() throws {
        let t = try #require(ChiSquareTest.uniform([10, 20, 30]))
        #expect(t.statistic == 10 && t.degreesOfFreedom == 2)
        #expect(abs(t.pValue - exp(-5)) < 1e-12)  // chi-square with 2 df: p = e^(-x/2)
        let one = try #require(ChiSquareTest.uniform([3, 1]))  // x = 1, 1 df: p = erfc(1/√2)
        #expect(abs(one.pValue - erfc(1 / 2.0.squareRoot())) < 1e-10)
        let big = try #require(ChiSquareTest.uniform([60, 40, 50, 50, 50]))  // x = 4, 4 df: p = (1 + x/2) e^(-x/2)
        #expect(abs(big.pValue - 3 * exp(-2.0)) < 1e-10)
    }

    @Test func giniOfEqualAndConcentratedValues() {
        #expect(giniCoefficient([2, 2, 2, 2]) == 0)
        #expect(abs(giniCoefficient([0, 0, 0, 8]) - 0.75) < 1e-12)
        #expect(giniCoefficient([]) == 0)
    }
}

@Suite struct KMeansTests {
    func points(seed: UInt64) -> [[Double]] {
        var rng = RandomSource(seed: seed)
        let centres: [[Double]] = [[5, 0], [0, 5], [-5, -5]]
        return (0..<60).map { i in centres[i % 3].map { $0 + Double(rng.uniform(-1, 1)) } }
    }

    @Test func separatesWellSeparatedClusters() {
        let p = points(seed: 1)
        let k = KMeans(points: p, k: 3, seed: 4)
        for i in 0..<60 { #expect(k.assignments[i] == k.assignments[i % 3]) }
        #expect(Set(k.assignments).count == 3)
    }

    @Test func isInvariantToThePointOrder() {
        let p = points(seed: 2)
        var rng = RandomSource(seed: 9)
        var order = Array(0..<p.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        let a = KMeans(points: p, k: 4, seed: 3)
        let b = KMeans(points: order.map { p[$0] }, k: 4, seed: 3)
        #expect(a.centres == b.centres)
        for (position, index) in order.enumerated() { #expect(b.assignments[position] == a.assignments[index]) }
        #expect(KMeans(points: p, k: 4, seed: 3) == a)  // seeded: the same result again
    }

    @Test func clusteringAnglesAreInvariantToUnitOrderAndSeeClusters() throws {
        var rng = RandomSource(seed: 12)
        // 16 units in 2 tight directions (trained) against 16 random ones (initial).
        let trained = Tensor(zeros: [16, 6])
        let initial = Tensor.normal([16, 6], using: &rng)
        for u in 0..<16 {
            for j in 0..<6 {
                trained.data[u * 6 + j] = (u % 2 == 0 ? (j == 0 ? 1 : 0) : (j == 1 ? 1 : 0)) + rng.uniform(-0.02, 0.02)
            }
        }
        let c = try WeightClustering(name: "w", weight: trained, initial: initial, k: 2)
        #expect(c.trained.median < 3)
        #expect(c.initial!.median > 20)
        #expect(c.trainedCloser == true)
        let reversed = Tensor(zeros: [16, 6])
        for u in 0..<16 { for j in 0..<6 { reversed.data[u * 6 + j] = trained.data[(15 - u) * 6 + j] } }
        let r = try WeightClustering(name: "w", weight: reversed, k: 2)
        #expect(r.trained.values == c.trained.values.reversed())
    }
}
