#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A two-sample Kolmogorov-Smirnov test: the largest distance between the empirical CDFs and its
/// asymptotic p-value (Kolmogorov's distribution with Stephens' small-sample correction,
/// λ = (√nₑ + 0.12 + 0.11/√nₑ) D, nₑ = n₁n₂/(n₁+n₂), as in Numerical Recipes' `kstwo`).
public struct KolmogorovSmirnovTest: Codable, Equatable, Sendable {
    public var statistic: Double
    public var pValue: Double
    public var n1: Int
    public var n2: Int

    /// Tests whether `a` and `b` come from one distribution; nil when either is empty.
    public static func test(_ a: [Double], _ b: [Double]) -> KolmogorovSmirnovTest? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let x = a.sorted(), y = b.sorted()
        var i = 0, j = 0, d = 0.0
        while i < x.count && j < y.count {
            let v = Swift.min(x[i], y[j])
            while i < x.count && x[i] == v { i += 1 }
            while j < y.count && y[j] == v { j += 1 }
            d = Swift.max(d, Swift.abs(Double(i) / Double(x.count) - Double(j) / Double(y.count)))
        }
        let ne = Double(x.count * y.count) / Double(x.count + y.count)
        let lambda = (ne.squareRoot() + 0.12 + 0.11 / ne.squareRoot()) * d
        return KolmogorovSmirnovTest(statistic: d, pValue: kolmogorovQ(lambda), n1: x.count, n2: y.count)
    }

    /// Q(λ) = 2 Σ_{j≥1} (-1)^(j-1) exp(-2 j² λ²), the probability that the scaled distance exceeds λ.
    static func kolmogorovQ(_ lambda: Double) -> Double {
        if lambda < 0.2 { return 1 }
        var sum = 0.0, sign = 1.0
        for j in 1...100 {
            let term = exp(-2 * Double(j * j) * lambda * lambda)
            sum += sign * term
            if term < 1e-12 { break }
            sign = -sign
        }
        return Swift.min(1, Swift.max(0, 2 * sum))
    }
}

/// Pearson's chi-square goodness-of-fit test of counts against equal expected counts.
public struct ChiSquareTest: Codable, Equatable, Sendable {
    public var statistic: Double
    public var degreesOfFreedom: Int
    public var pValue: Double

    /// Tests `counts` against the uniform expectation (their mean in every cell); nil for fewer
    /// than two cells or a zero total.
    public static func uniform(_ counts: [Double]) -> ChiSquareTest? {
        let total = counts.reduce(0, +)
        guard counts.count >= 2, total > 0 else { return nil }
        let expected = total / Double(counts.count)
        let statistic = counts.reduce(0) { $0 + ($1 - expected) * ($1 - expected) / expected }
        let df = counts.count - 1
        return ChiSquareTest(statistic: statistic, degreesOfFreedom: df,
                             pValue: SpecialFunctions.upperRegularizedGamma(Double(df) / 2, statistic / 2))
    }
}

/// The Gini coefficient of non-negative values: 0 when all are equal, (n-1)/n when one holds all.
public func giniCoefficient(_ values: [Double]) -> Double {
    let x = values.sorted()
    let total = x.reduce(0, +)
    guard x.count > 0, total > 0 else { return 0 }
    var weighted = 0.0
    for (i, v) in x.enumerated() { weighted += Double(2 * (i + 1) - x.count - 1) * v }
    return weighted / (Double(x.count) * total)
}

/// Pearson's correlation of two equally long samples; nil when either is constant.
public func pearsonCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
    precondition(a.count == b.count, "samples of \(a.count) and \(b.count) values")
    guard a.count > 1 else { return nil }
    let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in 0..<a.count {
        sab += (a[i] - ma) * (b[i] - mb)
        saa += (a[i] - ma) * (a[i] - ma)
        sbb += (b[i] - mb) * (b[i] - mb)
    }
    guard saa > 0, sbb > 0 else { return nil }
    return sab / (saa * sbb).squareRoot()
}

/// The median of `values` (nil when empty).
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

enum SpecialFunctions {
    /// Q(a, x) = Γ(a, x) / Γ(a), by series for x < a + 1 and Lentz's continued fraction otherwise
    /// (Numerical Recipes `gammq`).
    static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = -x + a * log(x) - lgamma(a)
        if x < a + 1 {
            var term = 1 / a, sum = term, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if Swift.abs(term) < Swift.abs(sum) * 1e-15 { break }
            }
            return Swift.max(0, 1 - sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if Swift.abs(d) < tiny { d = tiny }
            c = b + an / c
            if Swift.abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if Swift.abs(delta - 1) < 1e-15 { break }
        }
        return Swift.min(1, exp(logPrefix) * h)
    }
}
