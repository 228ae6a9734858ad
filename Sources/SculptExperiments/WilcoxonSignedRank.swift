import Foundation

/// The two-sided Wilcoxon signed-rank test of paired values, as
/// `scipy.stats.wilcoxon(a, b)` (scipy 1.17: `zero_method="wilcox"`, no continuity correction,
/// `method="auto"`): the differences a_i - b_i that are 0 are dropped, the rest ranked by absolute
/// value (mid-ranks for ties), and the smaller of the positive and negative rank sums is the
/// statistic W.
///
/// The p-value is exact for at most 50 non-zero differences: the share of the 2^n sign
/// assignments of the ranks (mid-ranks included) whose rank sum is at least as extreme, which
/// is scipy's "exact" permutation distribution; beyond 50, the normal approximation with the tie
/// correction of the variance.
public enum WilcoxonSignedRank {
    public struct Result: Sendable, Equatable {
        /// min(W+, W-), the smaller rank sum.
        public var w: Double
        /// Non-zero differences ranked.
        public var n: Int
        /// Two-sided p-value, in 0...1 (1 when every difference is 0).
        public var p: Double
        /// How `p` was computed.
        public var method: MannWhitneyResult.Method
    }

    /// Differences up to which the null distribution is enumerated (scipy's "auto" rule).
    public static let exactLimit = 50

    /// The test of the pairs (a_i, b_i); nil with no pair or a non-finite value.
    public static func test(_ a: [Double], _ b: [Double]) -> Result? {
        guard a.count == b.count, !a.isEmpty, (a + b).allSatisfy(\.isFinite) else { return nil }
        let d = zip(a, b).map { $0 - $1 }.filter { $0 != 0 }
        guard !d.isEmpty else { return Result(w: 0, n: 0, p: 1, method: .exact) }
        // Twice the mid-ranks of |d|: whole numbers, so the exact distribution counts integer sums.
        let order = d.indices.sorted { abs(d[$0]) < abs(d[$1]) }
        var doubledRanks = [Int](repeating: 0, count: d.count)
        var tieSizes: [Int] = []
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, abs(d[order[end + 1]]) == abs(d[order[start]]) { end += 1 }
            for k in start...end { doubledRanks[order[k]] = start + end + 2 }  // 2 x mean of ranks start+1...end+1
            tieSizes.append(end - start + 1)
            start = end + 1
        }
        let doubledPlus = d.indices.filter { d[$0] > 0 }.reduce(0) { $0 + doubledRanks[$1] }
        let doubledTotal = doubledRanks.reduce(0, +)
        let doubledW = Swift.min(doubledPlus, doubledTotal - doubledPlus)
        let w = Double(doubledW) / 2
        if d.count <= exactLimit {
            // counts[s]: sign assignments whose doubled positive rank sum is s (Doubles: up to 2^50).
            var counts = [Double](repeating: 0, count: doubledTotal + 1)
            counts[0] = 1
            var reach = 0
            for r in doubledRanks {
                for s in stride(from: reach, through: 0, by: -1) where counts[s] != 0 { counts[s + r] += counts[s] }
                reach += r
            }
            let all = counts.reduce(0, +)
            // The distribution is symmetric about doubledTotal / 2, so the two tails beyond W are equal.
            let lowerTail = counts[0...doubledW].reduce(0, +) / all
            return Result(w: w, n: d.count, p: Swift.min(1, 2 * lowerTail), method: .exact)
        }
        let n = Double(d.count)
        let tieTerm = tieSizes.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) } / 48
        let variance = n * (n + 1) * (2 * n + 1) / 24 - tieTerm
        let z = (w - n * (n + 1) / 4) / variance.squareRoot()
        return Result(w: w, n: d.count, p: Swift.min(1, erfc(abs(z) / 2.0.squareRoot())), method: .normal)
    }
}
