/// A least-squares line y = slope * ln(x) + intercept, as the paper fits accuracy against the
/// log of the fraction of learned parameters (its Figure 3b).
public struct LogLinearFit: Codable, Equatable, Sendable {
    public var slope: Double
    public var intercept: Double
    /// Coefficient of determination (1 - residual / total sum of squares; 1 when y is constant and fits).
    public var rSquared: Double
    public var points: Int

    /// Fits `points` (x > 0); nil with fewer than two distinct x.
    public init?(_ points: [(x: Double, y: Double)]) {
        let usable = points.filter { $0.x > 0 && $0.x.isFinite && $0.y.isFinite }
        let n = Double(usable.count)
        guard usable.count >= 2 else { return nil }
        let u = usable.map { (log($0.x), $0.y) }
        let mu = u.reduce(0) { $0 + $1.0 } / n, my = u.reduce(0) { $0 + $1.1 } / n
        let sxx = u.reduce(0) { $0 + ($1.0 - mu) * ($1.0 - mu) }
        guard sxx > 0 else { return nil }
        let sxy = u.reduce(0) { $0 + ($1.0 - mu) * ($1.1 - my) }
        let b = sxy / sxx, a = my - b * mu
        slope = b
        intercept = a
        let total = u.reduce(0) { $0 + ($1.1 - my) * ($1.1 - my) }
        let residual = u.reduce(0) { acc, p in let e = p.1 - (b * p.0 + a); return acc + e * e }
        rSquared = total > 0 ? 1 - residual / total : 1
        self.points = usable.count
    }

    /// The fitted y at x.
    public func predict(_ x: Double) -> Double { slope * log(x) + intercept }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
