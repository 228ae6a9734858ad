#if canImport(Foundation)
import Foundation
#endif

/// How one axis maps data values to pixels.
public struct AxisMapping: Equatable, Sendable {
    public var scale: AxisScale
    public var domain: ClosedRange<Double>
    /// Pixel of `domain.lowerBound` and of `domain.upperBound` (for y, the first is the larger).
    public var pixels: (start: Double, end: Double)
    public var ticks: NiceTicks

    public static func == (a: AxisMapping, b: AxisMapping) -> Bool {
        a.scale == b.scale && a.domain == b.domain && a.pixels == b.pixels && a.ticks == b.ticks
    }

    /// Whether `value` can be placed on this axis (finite, and positive on a log axis).
    public func accepts(_ value: Double) -> Bool { value.isFinite && (scale == .linear || value > 0) }

    /// The pixel of `value`; nil when it cannot be drawn (see `accepts`).
    public func pixel(_ value: Double) -> Double? {
        guard accepts(value) else { return nil }
        let t: Double
        switch scale {
        case .linear: t = (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log: t = log10(value / domain.lowerBound) / log10(domain.upperBound / domain.lowerBound)
        }
        return pixels.start + t * (pixels.end - pixels.start)
    }
}

/// Where a figure's plot area lies in the SVG and how its axes map data into it.
public struct PlotLayout: Equatable, Sendable {
    /// The plot area: left, top, width, height in pixels.
    public var left: Double
    public var top: Double
    public var width: Double
    public var height: Double
    public var x: AxisMapping
    public var y: AxisMapping

    /// The pixel of the data point (x, y); nil when either axis cannot place its value.
    public func pixel(x xValue: Double, y yValue: Double) -> (x: Double, y: Double)? {
        guard let px = x.pixel(xValue), let py = y.pixel(yValue) else { return nil }
        return (px, py)
    }

    /// The data extent of `values` an axis can place, or nil when none.
    static func extent(_ values: [Double], scale: AxisScale) -> ClosedRange<Double>? {
        var lo = Double.infinity
        var hi = -Double.infinity
        for v in values where v.isFinite && (scale == .linear || v > 0) {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return lo <= hi ? lo...hi : nil
    }

    /// The ticks and domain of `axis` for data spanning `extent`.
    static func ticks(for axis: Axis, extent: ClosedRange<Double>?) -> NiceTicks {
        if let categories = axis.categories {
            let values = categories.indices.map(Double.init)
            let labels = categories
            return NiceTicks(
                domain: -0.5...(Double(Swift.max(1, categories.count)) - 0.5), values: values, labels: labels)
        }
        switch axis.scale {
        case .linear:
            if let domain = axis.domain {
                return NiceTicks.linear(domain.lowerBound, domain.upperBound, widen: false, integer: axis.integerTicks)
            }
            var lo = extent?.lowerBound ?? 0
            var hi = extent?.upperBound ?? 1
            if axis.includesZero {
                lo = Swift.min(lo, 0)
                hi = Swift.max(hi, 0)
            }
            return NiceTicks.linear(lo, hi, integer: axis.integerTicks)
        case .log:
            if let domain = axis.domain, domain.lowerBound > 0 {
                return NiceTicks.log(domain.lowerBound, domain.upperBound, widen: false)
            }
            return NiceTicks.log(extent?.lowerBound ?? 1, extent?.upperBound ?? 10)
        }
    }
}
