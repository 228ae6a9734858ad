#if canImport(Foundation)
import Foundation
#endif

/// Tick positions and the range they span: steps of 1, 2 or 5 times a power of ten on linear
/// axes, powers of ten (with 2 and 5 between them over short ranges) on log axes.
public struct NiceTicks: Equatable, Sendable {
    /// The axis range, widened to whole ticks when computed from data.
    public var domain: ClosedRange<Double>
    public var values: [Double]
    /// The labels, one per value.
    public var labels: [String]

    /// Ticks over `lo...hi` (about `target` of them); `widen`: stretch the range to whole ticks;
    /// `integer`: steps of at least 1 (counts).
    public static func linear(
        _ lo: Double, _ hi: Double, target: Int = 6, widen: Bool = true, integer: Bool = false
    ) -> NiceTicks {
        var lo = lo
        var hi = hi
        if hi <= lo {
            let pad = lo == 0 ? 1 : Swift.abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = Swift.max(integer ? 1 : 0, niceStep((hi - lo) / Double(Swift.max(1, target))))
        let first = (lo / step + 1e-9).rounded(.down)
        let last = (hi / step - 1e-9).rounded(.up)
        let domain = widen ? (first * step)...(last * step) : lo...hi
        var values: [Double] = []
        var k = (domain.lowerBound / step - 1e-9).rounded(.up)
        let digits = pow(10, Double(Swift.min(12, Swift.max(0, Int((-log10(step) + 1).rounded(.up))))))
        while k * step <= domain.upperBound + step * 1e-9 {
            let value = (k * step * digits).rounded() / digits  // 0.3, not 0.30000000000000004
            values.append(value == 0 ? 0 : value)
            k += 1
        }
        return NiceTicks(domain: domain, values: values, labels: values.map { label($0, step: step) })
    }

    /// Ticks over `lo...hi` (both > 0) on a log axis; `widen`: stretch the range to whole decades.
    public static func log(_ lo: Double, _ hi: Double, widen: Bool = true) -> NiceTicks {
        precondition(lo > 0 && hi > 0, "a log axis needs a positive range, got \(lo)...\(hi)")
        let low = log10(lo).rounded(.down)
        var high = log10(hi).rounded(.up)
        if high <= low { high = low + 1 }
        let domain = widen ? pow(10, low)...pow(10, high) : lo...hi
        let decades = Int(high - low)
        let every = Swift.max(1, (decades + 7) / 8)
        let multiples: [Double] = decades <= 2 ? [1, 2, 5] : [1]
        var values: [Double] = []
        for e in stride(from: Int(low), through: Int(high), by: every) {
            for m in multiples {
                let v = m * pow(10, Double(e))
                if v >= domain.lowerBound * (1 - 1e-9) && v <= domain.upperBound * (1 + 1e-9) { values.append(v) }
            }
        }
        return NiceTicks(domain: domain, values: values, labels: values.map { label($0, step: $0) })
    }

    /// 1, 2 or 5 times a power of ten, near `rough` (the classic thresholds 1.5, 3 and 7).
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let magnitude = pow(10, log10(rough).rounded(.down))
        let residual = rough / magnitude
        let factor: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return factor * magnitude
    }

    /// A tick label: as many decimals as the step needs, scientific below 1e-3 or from 1e6 on.
    public static func label(_ value: Double, step: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = Swift.abs(value)
        if magnitude >= 1e6 || magnitude < 1e-3 {
            let exponent = Int(log10(magnitude).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            let m =
                Swift.abs(mantissa - mantissa.rounded()) < 1e-6
                ? String(Int(mantissa.rounded()))
                : String(format: "%.1f", mantissa)
            return "\(m)e\(exponent)"
        }
        let decimals = Swift.max(0, Int((-log10(Swift.abs(step)) - 1e-9).rounded(.up)))
        return String(format: "%.\(Swift.min(decimals, 10))f", value)
    }
}
