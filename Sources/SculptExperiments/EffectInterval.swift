import Foundation
import SculptVisual

/// An effect (a difference between two samples) with its 95% confidence interval.
public struct EffectInterval: Sendable, Equatable, Encodable {
    /// What the effect is: "difference in proportions" or "difference in means".
    public var name: String
    /// First sample minus second.
    public var estimate: Double
    public var lower: Double
    public var upper: Double

    /// z(0.975).
    static let z975 = 1.959963984540054

    /// The difference of two proportions `hits1 / n1 - hits2 / n2` with Newcombe's hybrid score
    /// interval (his method 10, built from the two Wilson score intervals); nil when a sample is empty.
    public static func differenceInProportions(hits1: Int, n1: Int, hits2: Int, n2: Int) -> EffectInterval? {
        guard n1 > 0, n2 > 0, (0...n1).contains(hits1), (0...n2).contains(hits2) else { return nil }
        let p1 = Double(hits1) / Double(n1), p2 = Double(hits2) / Double(n2)
        let (l1, u1) = wilson(p1, n1), (l2, u2) = wilson(p2, n2)
        let d = p1 - p2
        return EffectInterval(name: "difference in proportions", estimate: d,
                              lower: d - ((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2)).squareRoot(),
                              upper: d + ((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2)).squareRoot())
    }

    /// The Wilson score interval of a proportion `p` of `n` trials.
    static func wilson(_ p: Double, _ n: Int) -> (lower: Double, upper: Double) {
        let z2 = z975 * z975, n = Double(n)
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z975 / (1 + z2 / n) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return (centre - half, centre + half)
    }

    /// The difference of the means of `a` and `b` (NaN left out) with Welch's interval:
    /// t(0.975, df) with the Welch-Satterthwaite df rounded down (so never too narrow);
    /// nil unless both samples have two values.
    public static func differenceInMeans(_ a: [Double], _ b: [Double]) -> EffectInterval? {
        let x = a.filter { !$0.isNaN }, y = b.filter { !$0.isNaN }
        guard let m1 = Statistics.mean(x), let m2 = Statistics.mean(y),
              let v1 = Statistics.sampleVariance(x), let v2 = Statistics.sampleVariance(y) else { return nil }
        let s1 = v1 / Double(x.count), s2 = v2 / Double(y.count)
        let d = m1 - m2
        guard s1 + s2 > 0 else { return EffectInterval(name: "difference in means", estimate: d, lower: d, upper: d) }
        let df = (s1 + s2) * (s1 + s2) / (s1 * s1 / Double(x.count - 1) + s2 * s2 / Double(y.count - 1))
        // An infinite value in a sample leaves no interval (the estimate itself is then infinite or NaN).
        guard df.isFinite, (s1 + s2).isFinite else {
            return EffectInterval(name: "difference in means", estimate: d, lower: .nan, upper: .nan)
        }
        let t = SampleSummary.studentT975(degreesOfFreedom: Swift.max(1, Int(Swift.min(df, 1e9).rounded(.down))))
        let half = t * (s1 + s2).squareRoot()
        return EffectInterval(name: "difference in means", estimate: d, lower: d - half, upper: d + half)
    }
}
