import Foundation

/// The outcome of a two-sided Mann-Whitney U test of two samples.
public struct MannWhitneyResult: Sendable, Equatable, Encodable {
    /// How the p-value was computed.
    public enum Method: String, Sendable, Equatable, Encodable {
        /// The exact null distribution of U (small samples without ties).
        case exact
        /// The normal approximation with tie and continuity corrections.
        case normal
    }

    /// Values in the first sample.
    public var n1: Int
    /// Values in the second sample.
    public var n2: Int
    /// U statistic of the first sample: R1 - n1 (n1 + 1) / 2, with mid-ranks for ties.
    public var u: Double
    /// The two-sided p-value, in 0...1.
    public var p: Double
    /// How `p` was computed.
    public var method: Method

    public init(n1: Int, n2: Int, u: Double, p: Double, method: Method) {
        self.n1 = n1
        self.n2 = n2
        self.u = u
        self.p = p
        self.method = method
    }
}

/// The two-sided Mann-Whitney U (Wilcoxon rank-sum) test, as
/// `scipy.stats.mannwhitneyu(x, y, alternative="two-sided", method="auto", use_continuity=True)`.
public enum MannWhitneyU {
    /// Tests `a` against `b` (NaN values are left out); nil when either sample is empty.
    ///
    /// The p-value is exact when there are no ties and at least one sample has at most 8
    /// values (scipy's "auto" rule), otherwise from the normal approximation with tie correction
    /// and continuity correction.
    public static func test(_ a: [Double], _ b: [Double]) -> MannWhitneyResult? {
        let first = a.filter { !$0.isNaN }, second = b.filter { !$0.isNaN }
        let n1 = first.count, n2 = second.count
        guard n1 >= 1, n2 >= 1 else { return nil }
        let (ranks, ties) = midRanks(first + second)
        let rankSum = ranks[..<n1].reduce(0, +)
        let u1 = rankSum - Double(n1 * (n1 + 1)) / 2
        let larger = Swift.max(u1, Double(n1 * n2) - u1)

        if (n1 <= 8 || n2 <= 8) && ties.allSatisfy({ $0 == 1 }) {
            // Without ties U is an integer; P(U >= larger) = P(U <= n1 n2 - larger) by symmetry.
            let lowerTail = exactCumulativeProbability(Int(Double(n1 * n2) - larger), n1, n2)
            return MannWhitneyResult(n1: n1, n2: n2, u: u1, p: Swift.min(1, 2 * lowerTail), method: .exact)
        }
        let n = Double(n1 + n2)
        let tieTerm = ties.reduce(0.0) { sum, t in sum + Double(t) * Double(t) * Double(t) - Double(t) }
        let variance = Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        let p: Double
        if variance > 0 {
            let z = (larger - Double(n1 * n2) / 2 - 0.5) / variance.squareRoot()
            p = Swift.min(1, erfc(z / 2.0.squareRoot()))  // 2 (1 - Phi(z))
        } else {
            p = 1  // every value equal: U is n1 n2 / 2
        }
        return MannWhitneyResult(n1: n1, n2: n2, u: u1, p: p, method: .normal)
    }

    /// The 1-based ranks of `values`, tied values sharing the mean of their positions, and the
    /// size of each group of equal values.
    static func midRanks(_ values: [Double]) -> (ranks: [Double], ties: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + 1 + end) / 2  // mean of positions start + 1 ... end
            for i in start..<end { ranks[order[i]] = rank }
            ties.append(end - start)
            start = end
        }
        return (ranks, ties)
    }

    /// P(U <= k) under the null hypothesis for samples of `n1` and `n2` distinct values.
    ///
    /// The number of arrangements with U = j is the coefficient of q^j in the Gaussian binomial
    /// [n1 + n2 choose m]_q = prod_{i = 1...m} (1 - q^(n + i)) / (1 - q^i), m = min(n1, n2),
    /// n = max(n1, n2); it is expanded as a power series truncated after q^k (each partial
    /// product is itself a Gaussian binomial, so every step stays a polynomial).
    static func exactCumulativeProbability(_ k: Int, _ n1: Int, _ n2: Int) -> Double {
        guard k >= 0 else { return 0 }
        let m = Swift.min(n1, n2), n = Swift.max(n1, n2)
        if k >= m * n { return 1 }
        var counts = [Double](repeating: 0, count: k + 1)
        counts[0] = 1
        var total = 1.0
        for i in stride(from: 1, through: m, by: 1) {
            let degree = n + i
            if degree <= k {
                for j in stride(from: k, through: degree, by: -1) { counts[j] -= counts[j - degree] }
            }
            if i <= k {
                for j in i...k { counts[j] += counts[j - i] }
            }
            total = total * Double(n + i) / Double(i)  // C(n + i, i)
        }
        return Swift.min(1, counts.reduce(0, +) / total)
    }
}
