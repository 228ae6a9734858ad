/// A figure a spec declares for its report page, drawn from the finished trials' metrics or
/// stored series (see `ReportFigure`).
public struct FigureSpec: Sendable, Equatable {
    /// What the figure draws.
    public enum Kind: String, Sendable, CaseIterable {
        /// Mean ± band of `y` over the trials of each line, against `x` (both metrics; with
        /// `indices`, each trial gives one point per index k, `{k}` in the names replaced by k,
        /// and `x` may be `"{k}"` itself).
        case line
        /// Mean ± band of a stored series (per epoch, per round) over the trials of each line.
        case series
        /// Overlaid histograms of a metric, one per line.
        case histogram
        /// One bar per line: the mean of `y` with error bars, and the paper's value beside it.
        case bars
        /// Painting panels (the prediction with each ReLU unit's line) of the first `panels`
        /// finished trials of each line.
        case panels
    }

    public var kind: Kind
    public var title: String
    /// Printed under the figure (the paper's figure it redraws, what the band shows).
    public var caption: String?
    /// The x metric (`line`) or the series name (`series`); unused by `histogram` and `bars`.
    public var x: String?
    /// The y metric (`line`, `bars`), the metric counted (`histogram`); unused by `series`.
    public var y: String?
    public var xAxis: AxisSpec
    public var yAxis: AxisSpec
    /// The curves or bars: each pools some variants' trials (default: one per variant).
    public var lines: [LineSpec]
    /// Values of k for `{k}` in metric names.
    public var indices: [Int]?
    /// Band (or error bar) around the mean: "sd" or "95% CI".
    public var band: String
    /// Histogram bins: integers (one bin per whole number) or a number of equal bins.
    public var bins: HistogramBins
    /// Draws accuracy = a * ln(x) + b fitted to each line's trials (a `line` figure's log-linear fit).
    public var logLinearFit: Bool
    /// Values read off the paper's figure, drawn as dashed black lines (or as bars).
    public var paper: [PaperCurve]
    /// Trials drawn per line by a `panels` figure.
    public var panels: Int = 3
    /// A `series` figure marks the x values of this stored series (the epochs of operations).
    public var operations: String?

    public init(
        kind: Kind, title: String, caption: String? = nil, x: String? = nil, y: String? = nil,
        xAxis: AxisSpec, yAxis: AxisSpec, lines: [LineSpec] = [], indices: [Int]? = nil, band: String = "sd",
        bins: HistogramBins = .integers, logLinearFit: Bool = false, paper: [PaperCurve] = []
    ) {
        self.kind = kind
        self.title = title
        self.caption = caption
        self.x = x
        self.y = y
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.lines = lines
        self.indices = indices
        self.band = band
        self.bins = bins
        self.logLinearFit = logLinearFit
        self.paper = paper
    }
}

/// An axis of a declared figure.
public struct AxisSpec: Sendable, Equatable {
    public var label: String
    public var unit: String?
    public var log: Bool

    public init(label: String, unit: String? = nil, log: Bool = false) {
        self.label = label
        self.unit = unit
        self.log = log
    }
}

/// One curve (or bar, or histogram) of a declared figure.
public struct LineSpec: Sendable, Equatable {
    public var label: String
    /// The variants whose finished trials it pools.
    public var variants: [String]
    /// Replaces the figure's x or y metric for this line (e.g. `control{k}` beside `accuracy{k}`).
    public var x: String?
    public var y: String?
    /// Only trials whose metrics satisfy every filter.
    public var filters: [MetricFilter]

    public init(label: String, variants: [String], x: String? = nil, y: String? = nil, filters: [MetricFilter] = []) {
        self.label = label
        self.variants = variants
        self.x = x
        self.y = y
        self.filters = filters
    }
}

/// Bins of a declared histogram.
public enum HistogramBins: Sendable, Equatable {
    /// One bin per whole number between the smallest and largest value.
    case integers
    /// This many equal bins over the values' range.
    case count(Int)
}

/// Values read off a paper's figure or table: points for lines, one value per line for bars.
public struct PaperCurve: Sendable, Equatable {
    public var label: String
    public var x: [Double]
    public var y: [Double]

    public init(label: String, x: [Double], y: [Double]) {
        self.label = label
        self.x = x
        self.y = y
    }
}

/// A claim of the paper and whether our trials reproduce it, with the test behind the verdict.
public struct FindingSpec: Sendable, Equatable {
    /// The paper's claim, in one sentence.
    public var claim: String
    /// "reproduced", "not reproduced", "partly reproduced" or "open".
    public var verdict: String
    /// Titles of table comparisons (Mann-Whitney U) whose n, U and p back the verdict.
    public var tests: [String]
    /// Anything the reader needs (which rows, which caveat).
    public var note: String?

    public init(claim: String, verdict: String, tests: [String] = [], note: String? = nil) {
        self.claim = claim
        self.verdict = verdict
        self.tests = tests
        self.note = note
    }

    public static let verdicts = ["reproduced", "partly reproduced", "not reproduced", "open"]
}

/// A table's values from the paper, set beside ours on the report page: row label -> column
/// title -> the paper's text ("7.5 ± 2.5", "26"), and where they come from.
public struct PaperTable: Sendable, Equatable {
    public var source: String
    public var values: [String: [String: String]]

    public init(source: String, values: [String: [String: String]]) {
        self.source = source
        self.values = values
    }
}
