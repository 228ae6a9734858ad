#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A continuous power law p(x) ~ x^-alpha for x >= xmin fitted to samples the way WeightWatcher
/// does it through the `powerlaw` package (Clauset, Shalizi & Newman 2009, "Power-law
/// distributions in empirical data", arXiv:0706.1062): every distinct sample value but the
/// largest is an xmin candidate; for each, alpha is the maximum-likelihood estimate
/// `1 + n / sum(log(x / xmin))` over the n samples >= xmin, and the Kolmogorov-Smirnov distance
/// between the tail's empirical CDF and the fitted one is measured; the candidate with the
/// smallest distance wins.
///
/// The KS distance follows `powerlaw`: the empirical CDF at the j-th smallest tail sample
/// (0-based) is j / n, the fitted one is `1 - (x / xmin)^(1 - alpha)`, and D is the largest
/// absolute difference over the tail samples.
public struct PowerLawFit: Codable, Equatable, Sendable {
    /// The exponent; nil when there was no fit (see `reason`).
    public var alpha: Double?
    /// The chosen lower bound of the tail.
    public var xmin: Double?
    /// The KS distance of the chosen fit.
    public var ksDistance: Double?
    /// Samples in the fitted tail (>= xmin).
    public var tailCount: Int
    /// Positive finite samples the xmin search looked at.
    public var searchedCount: Int
    /// Why `alpha` is nil.
    public var reason: String?

    /// Fewer samples than this in the search give no fit (WeightWatcher's `min_evals`).
    public static let minimumSamples = 50

    /// Fits `samples`; non-positive and non-finite samples are left out of the search.
    public static func fit(_ samples: [Double], minimumSamples: Int = PowerLawFit.minimumSamples) -> PowerLawFit {
        let x = samples.filter { $0 > 0 && $0.isFinite }.sorted()
        let n = x.count
        guard n >= minimumSamples else {
            return PowerLawFit(alpha: nil, xmin: nil, ksDistance: nil, tailCount: 0, searchedCount: n,
                               reason: "\(n) positive eigenvalues, fewer than the \(minimumSamples) a fit needs")
        }
        let logs = x.map { log($0) }
        // suffix[i] = sum of logs[i...]
        var suffix = [Double](repeating: 0, count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] + logs[i] }
        var best: (d: Double, alpha: Double, start: Int)? = nil
        var i = 0
        while i < n {
            // i is the first index of a distinct value; skip the largest value.
            var next = i + 1
            while next < n && x[next] == x[i] { next += 1 }
            if next >= n { break }
            let tail = n - i
            let sumLog = suffix[i] - Double(tail) * logs[i]
            if sumLog > 0 {
                let alpha = 1 + Double(tail) / sumLog
                let d = ksDistance(logs: logs, start: i, alpha: alpha)
                if best == nil || d < best!.d { best = (d, alpha, i) }
            }
            i = next
        }
        guard let best else {
            return PowerLawFit(alpha: nil, xmin: nil, ksDistance: nil, tailCount: 0, searchedCount: n,
                               reason: "all \(n) positive eigenvalues are equal")
        }
        return PowerLawFit(alpha: best.alpha, xmin: x[best.start], ksDistance: best.d, tailCount: n - best.start,
                           searchedCount: n, reason: nil)
    }

    /// The KS distance of the tail `logs[start...]` (sorted logs) to a power law with `alpha`.
    static func ksDistance(logs: [Double], start: Int, alpha: Double) -> Double {
        let n = logs.count - start
        let logMin = logs[start], exponent = 1 - alpha
        var d = 0.0
        logs.withUnsafeBufferPointer { l in
            for j in 0..<n {
                let fitted = 1 - exp(exponent * (l[start + j] - logMin))
                d = Swift.max(d, Swift.abs(Double(j) / Double(n) - fitted))
            }
        }
        return d
    }

    /// The fitted density at `x` (for plots): `(alpha - 1) / xmin * (x / xmin)^-alpha` times the
    /// tail's share of the samples, so it overlays a density histogram of all samples.
    public func density(at x: Double) -> Double? {
        guard let alpha, let xmin, x >= xmin, searchedCount > 0 else { return nil }
        let share = Double(tailCount) / Double(searchedCount)
        return share * (alpha - 1) / xmin * pow(x / xmin, -alpha)
    }
}
