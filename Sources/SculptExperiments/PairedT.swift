import Foundation
import SculptVisual

/// The paired t-test, as `scipy.stats.ttest_rel(a, b)` (two-sided): for a paired design (the
/// spec's `pairedSeeds`, where trial i of every variant starts from the same seed) the
/// differences a_i - b_i are tested against 0 with n - 1 degrees of freedom.
public enum PairedT {
    public struct Result: Sendable, Equatable {
        /// t = mean(d) / (sd(d) / sqrt(n)); infinite when every difference is the same non-zero value.
        public var t: Double
        public var degreesOfFreedom: Int
        /// Two-sided p-value: 1 when every difference is 0, 0 when all are the same non-zero value.
        public var p: Double
        /// The mean difference with its 95% t interval.
        public var effect: EffectInterval
    }

    /// The test of the pairs (a_i, b_i); nil with fewer than two pairs or a non-finite value.
    public static func test(_ a: [Double], _ b: [Double]) -> Result? {
        guard a.count == b.count, a.count >= 2, (a + b).allSatisfy(\.isFinite) else { return nil }
        let d = zip(a, b).map { $0 - $1 }
        let n = Double(d.count), df = d.count - 1
        let mean = d.reduce(0, +) / n
        let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(df)
        let standardError = (variance / n).squareRoot()
        let half = SampleSummary.studentT975(degreesOfFreedom: df) * standardError
        let effect = EffectInterval(
            name: "mean paired difference", estimate: mean, lower: mean - half, upper: mean + half)
        guard standardError > 0 else {
            return Result(t: mean == 0 ? 0 : (mean > 0 ? .infinity : -.infinity), degreesOfFreedom: df,
                          p: mean == 0 ? 1 : 0, effect: effect)
        }
        let t = mean / standardError
        return Result(t: t, degreesOfFreedom: df, p: twoSidedP(t: t, degreesOfFreedom: df), effect: effect)
    }

    /// P(|T| >= |t|) for Student's t with `df` degrees of freedom: I_{df / (df + t^2)}(df / 2, 1 / 2).
    public static func twoSidedP(t: Double, degreesOfFreedom df: Int) -> Double {
        let v = Double(df)
        return Swift.min(1, Swift.max(0, regularizedIncompleteBeta(v / (v + t * t), a: v / 2, b: 0.5)))
    }

    /// I_x(a, b) by Lentz's continued fraction (Numerical Recipes' betacf), using the symmetry
    /// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logPowers - logBeta
        if x < (a + 1) / (a + b + 2) { return exp(logFront) * continuedFraction(x, a: a, b: b) / a }
        return 1 - exp(logFront) * continuedFraction(1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            h *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return h
    }
}
