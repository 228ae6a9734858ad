import Foundation

/// The outcome of a two-sided Fisher exact test of a 2 x 2 table [[a, b], [c, d]].
public struct FisherExactResult: Sendable, Equatable, Encodable {
    /// The table, row by row: [[a, b], [c, d]].
    public var table: [[Int]]
    /// The sample odds ratio a d / (b c), as scipy: infinity when b c = 0, NaN when a row or
    /// column sum is 0.
    public var oddsRatio: Double
    /// The two-sided p-value, in 0...1.
    public var p: Double
}

/// The two-sided Fisher exact test, as `scipy.stats.fisher_exact(table, alternative="two-sided")`:
/// the probability, under the hypergeometric null with the table's margins fixed, of every table
/// no more likely than the observed one.
public enum FisherExact {
    /// Relative tolerance under which two tables count as equally likely (R's `fisher.test`).
    static let relativeTolerance = 1e-7

    /// Tests [[a, b], [c, d]]; nil when an entry is negative.
    public static func test(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> FisherExactResult? {
        guard a >= 0, b >= 0, c >= 0, d >= 0 else { return nil }
        let table = [[a, b], [c, d]]
        let row1 = a + b, row2 = c + d, column1 = a + c
        if row1 == 0 || row2 == 0 || column1 == 0 || b + d == 0 {
            return FisherExactResult(table: table, oddsRatio: .nan, p: 1)
        }
        let oddsRatio = b > 0 && c > 0 ? Double(a) * Double(d) / (Double(b) * Double(c)) : .infinity
        let low = Swift.max(0, column1 - row2), high = Swift.min(row1, column1)
        let logs = (low...high).map { logProbability($0, row1: row1, row2: row2, column1: column1) }
        let observed = logs[a - low]
        let cutoff = observed + log1p(relativeTolerance)
        let p = logs.filter { $0 <= cutoff }.reduce(0.0) { $0 + exp($1) }
        return FisherExactResult(table: table, oddsRatio: oddsRatio, p: Swift.min(1, p))
    }

    /// Counts successes (value != 0) among the `first` and `second` samples and tests them.
    public static func test(first: [Double], second: [Double]) -> FisherExactResult? {
        let hits1 = first.filter { $0 != 0 }.count, hits2 = second.filter { $0 != 0 }.count
        return test(hits1, first.count - hits1, hits2, second.count - hits2)
    }

    /// log P(X = x) for the hypergeometric X: `column1` draws from `row1` marked and `row2` unmarked.
    static func logProbability(_ x: Int, row1: Int, row2: Int, column1: Int) -> Double {
        logChoose(row1, x) + logChoose(row2, column1 - x) - logChoose(row1 + row2, column1)
    }

    /// log C(n, k).
    static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
