#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

// TO BE REPLACED: a minimal stand-in until SculptVisual's SVG plotting layer is merged; then
// `AnalysisFigures` should build SculptVisual figures and this file should go.

/// A 2-D plot rendered as a standalone SVG: lines, step histograms and vertical markers on
/// linear or log10 axes, with ticks, axis labels and a legend.
public struct PlainSVGPlot: Sendable {
    /// One thing drawn.
    public struct Series: Sendable {
        public enum Kind: Sendable { case line, steps, vertical }
        public var label: String
        public var kind: Kind
        /// Points (line); bin edges with heights (steps: x[i]..<x[i+1] at y[i], one more x than y);
        /// x positions (vertical).
        public var x: [Double]
        public var y: [Double]
        public var colour: String
        public init(label: String, kind: Kind, x: [Double], y: [Double] = [], colour: String) {
            self.label = label
            self.kind = kind
            self.x = x
            self.y = y
            self.colour = colour
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xLog = false
    public var yLog = false
    public var series: [Series] = []
    public var width = 640.0, height = 420.0
    let left = 72.0, right = 24.0, bottom = 56.0
    /// Room for the title and one legend line per series above the plot area.
    var top: Double { 30 + 16 * Double(series.count) }

    /// Okabe-Ito colours (colour-blind safe).
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]

    public init(title: String, xLabel: String, yLabel: String, xLog: Bool = false, yLog: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xLog = xLog
        self.yLog = yLog
    }

    /// The data ranges (after log10 where the axis is logarithmic), padded when degenerate.
    var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        func usable(_ v: Double, log: Bool) -> Bool { v.isFinite && (!log || v > 0) }
        let xs = series.flatMap(\.x).filter { usable($0, log: xLog) }.map { xLog ? log10($0) : $0 }
        var ys = series.filter { $0.kind != .vertical }.flatMap(\.y).filter { usable($0, log: yLog) }.map {
            yLog ? log10($0) : $0
        }
        if !yLog && !ys.isEmpty { ys.append(0) }
        func range(_ v: [Double]) -> ClosedRange<Double> {
            guard let lo = v.min(), let hi = v.max() else { return 0...1 }
            return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
        }
        return (range(xs), range(ys))
    }

    /// Where the data point (x, y) lands in the SVG's pixel coordinates (nil off a log axis).
    public func position(x: Double, y: Double) -> (x: Double, y: Double)? {
        guard !(xLog && x <= 0), !(yLog && y <= 0) else { return nil }
        let (rx, ry) = ranges
        let u = xLog ? log10(x) : x
        let v = yLog ? log10(y) : y
        let px = left + (u - rx.lowerBound) / (rx.upperBound - rx.lowerBound) * (width - left - right)
        let py = height - bottom - (v - ry.lowerBound) / (ry.upperBound - ry.lowerBound) * (height - top - bottom)
        return (px, py)
    }

    /// The SVG document.
    public func render() -> String {
        var out =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" "
            + "viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
        out += axes()
        for s in series { out += draw(s) }
        for (i, s) in series.enumerated() {
            let y = 40 + Double(i) * 16
            out +=
                "<line x1=\"\(f(left))\" y1=\"\(f(y - 4))\" x2=\"\(f(left + 20))\" y2=\"\(f(y - 4))\" "
                + "stroke=\"\(s.colour)\" stroke-width=\"2\"/>"
                + "<text x=\"\(f(left + 26))\" y=\"\(f(y))\">\(escape(s.label))</text>\n"
        }
        return out + "</svg>\n"
    }

    func axes() -> String {
        let (rx, ry) = ranges
        let x0 = left
        let x1 = width - right
        let y0 = height - bottom
        let y1 = top
        var out = "<rect x=\"\(f(x0))\" y=\"\(f(y1))\" width=\"\(f(x1 - x0))\" height=\"\(f(y0 - y1))\" "
            + "fill=\"none\" stroke=\"#333\"/>\n"
        for t in ticks(rx, log: xLog) {
            let p = x0 + (t - rx.lowerBound) / (rx.upperBound - rx.lowerBound) * (x1 - x0)
            out +=
                "<line x1=\"\(f(p))\" y1=\"\(f(y0))\" x2=\"\(f(p))\" y2=\"\(f(y0 + 5))\" stroke=\"#333\"/>"
                + "<text x=\"\(f(p))\" y=\"\(f(y0 + 18))\" text-anchor=\"middle\">\(label(t, log: xLog))</text>\n"
        }
        for t in ticks(ry, log: yLog) {
            let p = y0 - (t - ry.lowerBound) / (ry.upperBound - ry.lowerBound) * (y0 - y1)
            out +=
                "<line x1=\"\(f(x0 - 5))\" y1=\"\(f(p))\" x2=\"\(f(x0))\" y2=\"\(f(p))\" stroke=\"#333\"/>"
                + "<text x=\"\(f(x0 - 8))\" y=\"\(f(p + 4))\" text-anchor=\"end\">\(label(t, log: yLog))</text>\n"
        }
        out +=
            "<text x=\"\(f((x0 + x1) / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        out += "<text transform=\"translate(16 \(f((y0 + y1) / 2))) rotate(-90)\" text-anchor=\"middle\">"
            + "\(escape(yLabel))</text>\n"
        return out
    }

    func draw(_ s: Series) -> String {
        var points: [(Double, Double)] = []
        switch s.kind {
        case .line:
            points = zip(s.x, s.y).compactMap { position(x: $0, y: $1) }.map { ($0.x, $0.y) }
        case .steps:
            let floor = yLog ? pow(10, ranges.y.lowerBound) : 0
            for i in 0..<Swift.min(s.y.count, s.x.count - 1) {
                let h = (yLog && s.y[i] <= 0) ? floor : s.y[i]
                if let a = position(x: s.x[i], y: h), let b = position(x: s.x[i + 1], y: h) {
                    points += [(a.x, a.y), (b.x, b.y)]
                }
            }
        case .vertical:
            var out = ""
            for x in s.x {
                guard let p = position(x: x, y: yLog ? pow(10, ranges.y.lowerBound) : ranges.y.lowerBound) else {
                    continue
                }
                out +=
                    "<line x1=\"\(f(p.x))\" y1=\"\(f(top))\" x2=\"\(f(p.x))\" y2=\"\(f(height - bottom))\" "
                    + "stroke=\"\(s.colour)\" "
                    + "stroke-dasharray=\"5 4\" stroke-width=\"1.5\"/>\n"
            }
            return out
        }
        guard !points.isEmpty else { return "" }
        let path = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
        return "<polyline fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
    }

    /// About five round ticks in `r` (whole powers of ten on a log axis, in log10 units).
    func ticks(_ r: ClosedRange<Double>, log: Bool) -> [Double] {
        if log {
            let lo = Int(r.lowerBound.rounded(.up))
            let hi = Int(r.upperBound.rounded(.down))
            return lo <= hi ? (lo...hi).map(Double.init) : [r.lowerBound, r.upperBound]
        }
        let raw = (r.upperBound - r.lowerBound) / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var t = (r.lowerBound / step).rounded(.up) * step
        var out: [Double] = []
        while t <= r.upperBound + step * 1e-9 {
            out.append(t)
            t += step
        }
        return out
    }

    func label(_ t: Double, log: Bool) -> String {
        if log { return "1e\(Int(t.rounded()))" }
        let v = Swift.abs(t) < 1e-12 ? 0 : t
        return v == v.rounded() && Swift.abs(v) < 1e6 ? String(Int(v)) : String(format3(v))
    }

    func format3(_ v: Double) -> String {
        let scaled = (v * 1000).rounded() / 1000
        return "\(scaled)"
    }

    func f(_ v: Double) -> String { String((v * 10).rounded() / 10) }

    func escape(_ s: String) -> String {
        s.replacingOccurrences("&", "&amp;").replacingOccurrences("<", "&lt;").replacingOccurrences(">", "&gt;")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}
