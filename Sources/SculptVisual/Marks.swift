/// A data point of a line or scatter mark.
public struct PlotPoint: Equatable, Sendable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// What a figure draws. Marks with a `name` get a legend entry; marks without a `color` take
/// the next Okabe-Ito colour in order.
public enum Mark: Sendable {
    case line(LineMark)
    /// A mean (or any centre) line with a shaded band around it.
    case band(BandMark)
    case scatter(ScatterMark)
    /// Bars over a categorical x axis, grouped side by side when there are several bar marks.
    case bars(BarMark)
    case histogram(HistogramMark)
    case heatmap(HeatmapMark)
    /// A raster (PNG) placed over a data rectangle.
    case image(ImageMark)
    /// A vertical or horizontal reference line (an operation during training, a paper's value).
    case rule(RuleMark)
}

/// A polyline through points in order; a non-finite point breaks the line.
public struct LineMark: Sendable {
    public var name: String?
    public var points: [PlotPoint]
    public var color: PlotColor?
    public var dashed: Bool
    /// Draws a dot at every point too.
    public var markers: Bool

    public init(
        name: String? = nil, points: [PlotPoint], color: PlotColor? = nil, dashed: Bool = false, markers: Bool = false
    ) {
        self.name = name
        self.points = points
        self.color = color
        self.dashed = dashed
        self.markers = markers
    }

    /// A line through `(x[i], y[i])`.
    public init(
        name: String? = nil, x: [Double], y: [Double], color: PlotColor? = nil, dashed: Bool = false,
        markers: Bool = false
    ) {
        precondition(x.count == y.count, "line \(name ?? ""): \(x.count) x values for \(y.count) y values")
        self.init(
            name: name, points: zip(x, y).map { PlotPoint(x: $0, y: $1) }, color: color, dashed: dashed,
            markers: markers)
    }
}

/// A centre line with a band from `lower` to `upper` at each x.
public struct BandMark: Sendable {
    public var name: String?
    public var x: [Double]
    public var center: [Double]
    public var lower: [Double]
    public var upper: [Double]
    public var color: PlotColor?
    public var markers: Bool

    public init(
        name: String? = nil, x: [Double], center: [Double], lower: [Double], upper: [Double],
        color: PlotColor? = nil, markers: Bool = true
    ) {
        precondition(
            Set([x.count, center.count, lower.count, upper.count]).count == 1,
            "band \(name ?? ""): x, center, lower and upper need equal lengths")
        self.name = name
        self.x = x
        self.center = center
        self.lower = lower
        self.upper = upper
        self.color = color
        self.markers = markers
    }

    /// The mean of each x's samples with a band of one sample standard deviation or a 95%
    /// confidence interval of the mean (Student's t); x values without finite samples are left out.
    public init(
        name: String? = nil, samples: [(x: Double, values: [Double])], spread: BandSpread,
        color: PlotColor? = nil
    ) {
        var xs: [Double] = []
        var centers: [Double] = []
        var lows: [Double] = []
        var highs: [Double] = []
        for (x, values) in samples.sorted(by: { $0.x < $1.x }) {
            guard let summary = SampleSummary(values) else { continue }
            let half = spread == .standardDeviation ? summary.standardDeviation : summary.confidence95
            xs.append(x)
            centers.append(summary.mean)
            lows.append(summary.mean - half)
            highs.append(summary.mean + half)
        }
        self.init(name: name, x: xs, center: centers, lower: lows, upper: highs, color: color)
    }
}

/// What a band around a mean shows.
public enum BandSpread: String, Sendable {
    /// ± one sample standard deviation.
    case standardDeviation = "sd"
    /// ± the half-width of the 95% confidence interval of the mean.
    case confidence95 = "95% CI"
}

/// Dots.
public struct ScatterMark: Sendable {
    public var name: String?
    public var points: [PlotPoint]
    public var color: PlotColor?
    /// Dot radius in pixels.
    public var radius: Double

    public init(name: String? = nil, points: [PlotPoint], color: PlotColor? = nil, radius: Double = 3) {
        self.name = name
        self.points = points
        self.color = color
        self.radius = radius
    }
}

/// One bar per category of the x axis (value i over category i), with optional symmetric error bars.
public struct BarMark: Sendable {
    public var name: String?
    /// Bar heights, indexed by category (NaN: no bar).
    public var values: [Double]
    /// Half-lengths of the error bars (nil or NaN: none).
    public var errors: [Double]?
    public var color: PlotColor?

    public init(name: String? = nil, values: [Double], errors: [Double]? = nil, color: PlotColor? = nil) {
        precondition(errors == nil || errors?.count == values.count, "bars \(name ?? ""): one error per value")
        self.name = name
        self.values = values
        self.errors = errors
        self.color = color
    }
}

/// Counts of values in bins (several histograms overlay, translucent).
public struct HistogramMark: Sendable {
    public var name: String?
    public var values: [Double]
    /// Increasing bin edges; a value v counts in bin i when edges[i] <= v < edges[i+1] (the last bin
    /// includes its right edge). Values outside are left out and counted in the figure's notes.
    public var edges: [Double]
    public var color: PlotColor?

    public init(name: String? = nil, values: [Double], edges: [Double], color: PlotColor? = nil) {
        precondition(
            edges.count >= 2 && zip(edges, edges.dropFirst()).allSatisfy { $0 < $1 },
            "histogram \(name ?? ""): needs at least two increasing edges")
        self.name = name
        self.values = values
        self.edges = edges
        self.color = color
    }

    /// `bins` equal bins over the finite values' range (one unit wide around a single value).
    public static func edges(for values: [Double], bins: Int) -> [Double] {
        precondition(bins >= 1, "a histogram needs at least one bin")
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0
        var hi = finite.max() ?? 1
        if hi <= lo {
            lo -= 0.5
            hi += 0.5
        }
        return (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
    }

    /// One bin per integer from `lowest` to `highest` (edges at k - 0.5), for counts such as sides.
    public static func integerEdges(_ lowest: Int, _ highest: Int) -> [Double] {
        (lowest...Swift.max(lowest, highest) + 1).map { Double($0) - 0.5 }
    }

    /// The count of each bin and how many finite values fell outside the edges.
    public func counts() -> (counts: [Int], outside: Int) {
        var counts = [Int](repeating: 0, count: edges.count - 1)
        var outside = 0
        for v in values where v.isFinite {
            guard v >= edges[0], v <= edges[edges.count - 1] else {
                outside += 1
                continue
            }
            var lo = 0
            var hi = edges.count - 1  // binary search for edges[lo] <= v < edges[lo+1]
            while hi - lo > 1 {
                let mid = (lo + hi) / 2
                if v < edges[mid] { hi = mid } else { lo = mid }
            }
            counts[lo] += 1
        }
        return (counts, outside)
    }
}

/// A grid of values as coloured cells: row r, column c covers x in [c - 0.5, c + 0.5] and
/// y in [r - 0.5, r + 0.5] (row 0 at the bottom); the axes' categories name them.
public struct HeatmapMark: Sendable {
    /// Rows of equal length.
    public var values: [[Double]]
    public var colormap: Colormap
    /// The values mapped to the colormap's ends (nil: the finite values' range).
    public var range: ClosedRange<Double>?
    /// Label of the colour scale (with its unit).
    public var label: String

    public init(
        values: [[Double]], colormap: Colormap = .viridis, range: ClosedRange<Double>? = nil, label: String = "value"
    ) {
        precondition(Set(values.map(\.count)).count <= 1, "heat map rows need equal lengths")
        self.values = values
        self.colormap = colormap
        self.range = range
        self.label = label
    }
}

/// A PNG image drawn over the data rectangle `x` by `y` (embedded as a data URI).
public struct ImageMark: Sendable {
    public var png: [UInt8]
    public var x: ClosedRange<Double>
    public var y: ClosedRange<Double>
    /// Nearest-neighbour scaling (keeps pixel art crisp).
    public var pixelated: Bool

    public init(png: [UInt8], x: ClosedRange<Double>, y: ClosedRange<Double>, pixelated: Bool = true) {
        self.png = png
        self.x = x
        self.y = y
        self.pixelated = pixelated
    }
}

/// A reference line across the plot: vertical at `x` or horizontal at `y`.
public struct RuleMark: Sendable {
    public enum Orientation: Sendable { case vertical, horizontal }

    public var orientation: Orientation
    public var value: Double
    /// Printed beside the line (nil: none).
    public var label: String?
    /// Legend entry (nil: none).
    public var name: String?
    public var color: PlotColor?
    public var dashed: Bool

    public init(
        _ orientation: Orientation, at value: Double, label: String? = nil, name: String? = nil,
        color: PlotColor? = .gray, dashed: Bool = true
    ) {
        self.orientation = orientation
        self.value = value
        self.label = label
        self.name = name
        self.color = color
        self.dashed = dashed
    }
}
