/// A plot as a value: data marks, two axes, a title and notes. `svg()` renders it.
///
/// ```swift
/// var figure = Figure(title: "Training loss",
///                     x: Axis(label: "epoch"), y: Axis(label: "loss", unit: "nats", scale: .log))
/// figure.marks.append(.line(LineMark(name: "train", points: [(1, 2.3), (2, 1.1)])))
/// let text = figure.svg()
/// ```
public struct Figure: Sendable {
    /// Printed above the plot (nil: none).
    public var title: String?
    public var x: Axis
    public var y: Axis
    /// Drawn in order (later marks on top).
    public var marks: [Mark]
    /// Size of the whole SVG in pixels.
    public var width: Double
    public var height: Double
    /// Where the legend of the named marks goes.
    public var legend: LegendPlacement
    /// Lines printed under the plot (sources, sample sizes); the renderer adds a line for dropped values.
    public var notes: [String]
    /// Shown in place of the axes when no mark holds a drawable value.
    public var emptyMessage: String

    public init(
        title: String? = nil, x: Axis, y: Axis, marks: [Mark] = [], width: Double = 640, height: Double = 400,
        legend: LegendPlacement = .right, notes: [String] = [], emptyMessage: String = "no data"
    ) {
        self.title = title
        self.x = x
        self.y = y
        self.marks = marks
        self.width = width
        self.height = height
        self.legend = legend
        self.notes = notes
        self.emptyMessage = emptyMessage
    }

    /// The standalone SVG document (no scripts, no external references).
    public func svg() -> String { SVGRenderer(self).render() }

    /// Where the axes put data: the plot frame and both mappings (what `svg()` uses).
    public func layout() -> PlotLayout { SVGRenderer(self).layout }

    /// One SVG document holding `figures` one under the other (each a nested `<svg>`).
    public static func stack(_ figures: [Figure]) -> String {
        let width = figures.map(\.width).max() ?? 0
        let height = figures.reduce(0) { $0 + $1.height }
        let w = SVGWriter.number(width)
        let h = SVGWriter.number(height)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\">"
        var y = 0.0
        for figure in figures {
            out += SVGRenderer(figure).render(origin: y)
            y += figure.height
        }
        return out + "</svg>"
    }
}

/// How an axis maps data to position.
public enum AxisScale: String, Sendable {
    case linear
    /// Base-10 logarithm; values <= 0 cannot be drawn and are dropped (and counted).
    case log
}

/// One axis: its label (with the unit), scale, range and optional category names.
public struct Axis: Sendable {
    /// What the axis measures ("test accuracy").
    public var label: String
    /// Printed in brackets after the label ("s", "%"); nil when the quantity has none.
    public var unit: String?
    public var scale: AxisScale
    /// Fixed range; nil: the data's range, widened to nice ticks.
    public var domain: ClosedRange<Double>?
    /// Whether the automatic range starts at zero (bars and histograms force it on their value axis).
    public var includesZero: Bool
    /// Labels of a categorical axis (bars, heat maps): category i sits at i.
    public var categories: [String]?
    /// Ticks at whole numbers only (counts); linear axes.
    public var integerTicks: Bool

    public init(
        label: String, unit: String? = nil, scale: AxisScale = .linear, domain: ClosedRange<Double>? = nil,
        includesZero: Bool = false, categories: [String]? = nil, integerTicks: Bool = false
    ) {
        self.label = label
        self.unit = unit
        self.scale = scale
        self.domain = domain
        self.includesZero = includesZero
        self.categories = categories
        self.integerTicks = integerTicks
    }

    /// "label (unit)" or "label".
    public var title: String { unit.map { "\(label) (\($0))" } ?? label }
}

/// Where the legend goes.
public enum LegendPlacement: Sendable {
    /// A column right of the plot area (never hides data).
    case right
    /// Under the plot area, in one row.
    case bottom
    case none
}
