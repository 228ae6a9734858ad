/// A paper-style table declared in a spec: which trials form each row and what each column
/// computes from their metrics.
public struct TableSpec: Sendable, Equatable {
    /// Printed above the table.
    public var title: String
    /// How trials are grouped into rows.
    public var rows: RowGrouping
    /// The computed columns (an `n` column with the row's trial count always comes first).
    public var columns: [ColumnSpec]
    /// Tests between two rows, or between two metrics within each trial of one row, printed under
    /// the table.
    public var comparisons: [ComparisonSpec]
    /// One line printed above the numbers: how our protocol differs from the paper's.
    public var protocolNote: String?
    /// The paper's values of some cells, set beside ours on the report page.
    public var paper: PaperTable?

    public init(
        title: String, rows: RowGrouping = RowGrouping(), columns: [ColumnSpec], comparisons: [ComparisonSpec] = []
    ) {
        self.title = title
        self.rows = rows
        self.columns = columns
        self.comparisons = comparisons
    }
}

/// Rows of a table: one per variant (default), one per distinct value of a metric, or one per
/// named group of variants.
public struct RowGrouping: Sendable, Equatable {
    /// Group by this metric's value (sorted ascending) instead of by variant.
    public var metric: String?
    /// Only trials of these variants (all when nil); for variant rows, also the row order.
    public var variants: [String]?
    /// Row label for metric rows, "{}" standing for the value (default "metric = {}").
    public var label: String?
    /// One row per group, pooling its variants' trials, in this order (excludes `metric` and `variants`).
    public var groups: [RowGroup]?

    public init(metric: String? = nil, variants: [String]? = nil, label: String? = nil, groups: [RowGroup]? = nil) {
        self.metric = metric
        self.variants = variants
        self.label = label
        self.groups = groups
    }

    /// The row labels known before any trial runs: group labels or variant names (nil for metric rows).
    public func labels(allVariants: [String]) -> [String]? {
        if let groups { return groups.map(\.label) }
        return metric == nil ? (variants ?? allVariants) : nil
    }
}

/// One row of a grouped table: a label and the variants whose trials it pools.
public struct RowGroup: Sendable, Equatable {
    /// The row label.
    public var label: String
    /// The pooled variants.
    public var variants: [String]

    public init(label: String, variants: [String]) {
        self.label = label
        self.variants = variants
    }
}

/// A two-sided test between the values of two rows of a table, or (`withinTrial`) between two
/// metrics of the same trials in one row: a method against the control that ran in the same trial.
public struct ComparisonSpec: Sendable, Equatable {
    /// Which test compares the rows.
    public enum Test: String, Sendable, Equatable, CaseIterable {
        /// Mann-Whitney U on the values, with the difference in means (Welch 95% CI).
        case mannWhitney = "mann-whitney"
        /// Fisher exact on the counts of values != 0 (e.g. a 0/1 metric such as `correct`), with
        /// the difference in proportions (Newcombe 95% CI).
        case fisher
        /// The paired t-test on the values of the same trial index in both rows (the spec must
        /// have `pairedSeeds`), with the mean paired difference (t 95% CI).
        case pairedT = "paired-t"
        /// The Wilcoxon signed-rank test on the same pairs as `pairedT`, with the same effect.
        case wilcoxon

        /// Whether the test takes pairs (of trials, or of two metrics in one trial).
        public var isPaired: Bool { self == .pairedT || self == .wilcoxon }
    }

    /// Names what is compared in the printed line (e.g. "final accuracy").
    public var title: String
    /// The test (Mann-Whitney unless the spec says otherwise; paired-t for a `pair` within trials).
    public var test: Test = .mannWhitney
    /// The metrics whose values are pooled (one for `metric`, several for `metrics`); with
    /// `withinTrial`, the two metrics compared, first sample first (the spec's `pair`).
    public var metrics: [String]
    /// The labels of the two rows compared, first sample first; with `withinTrial`, the one row.
    public var rows: [String]
    /// Whether the pairs are two metrics of each finished trial of one row (spec keys `row` and
    /// `pair`) rather than one metric in trials of the same index in two rows. Such pairs need no
    /// `pairedSeeds`: both values come from one trial.
    public var withinTrial: Bool
    /// Only trials whose metrics satisfy every filter contribute values.
    public var filters: [MetricFilter]

    public init(title: String, metrics: [String], rows: [String], filters: [MetricFilter] = [],
                test: Test = .mannWhitney, withinTrial: Bool = false) {
        self.title = title
        self.test = test
        self.metrics = metrics
        self.rows = rows
        self.filters = filters
        self.withinTrial = withinTrial
    }
}

/// How a column reduces the row's trials to one cell.
public enum Aggregate: String, Sendable, CaseIterable {
    /// Arithmetic mean of the metric.
    case mean
    /// "mean +- sample standard deviation" of the metric.
    case meanStd
    /// "mean +- sample variance" of the metric (the thesis's figures report variances).
    case meanVariance
    /// Number of trials passing the column's filters (no metric needed).
    case count
    /// Sum of the metric.
    case sum
    /// Trials passing the filters divided by the row's trials (no metric needed).
    case fraction
    /// Smallest value of the metric.
    case min
    /// Largest value of the metric.
    case max
    /// Median of the metric (the mean of the two middle values for an even count).
    case median

    /// Whether the column needs a `metric`.
    public var needsMetric: Bool { self != .count && self != .fraction }
}

/// One column of a table.
public struct ColumnSpec: Sendable, Equatable {
    /// Column header.
    public var title: String
    /// The metric aggregated (nil for `count` and `fraction`).
    public var metric: String?
    /// The reduction.
    public var aggregate: Aggregate
    /// Only trials whose metrics satisfy every filter count for this column.
    public var filters: [MetricFilter]
    /// How numbers are printed.
    public var format: NumberFormat

    public init(
        title: String, metric: String?, aggregate: Aggregate, filters: [MetricFilter] = [], format: NumberFormat? = nil
    ) {
        self.title = title
        self.metric = metric
        self.aggregate = aggregate
        self.filters = filters
        self.format = format ?? NumberFormat.defaultFor(aggregate)
    }
}

/// A condition on a trial's metric, written in specs as `"activeNodes == 3"`.
public struct MetricFilter: Sendable, Equatable, CustomStringConvertible {
    /// Comparison operators.
    public enum Operator: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    public var metric: String
    public var comparison: Operator
    public var value: Double

    public init(metric: String, comparison: Operator, value: Double) {
        self.metric = metric
        self.comparison = comparison
        self.value = value
    }

    /// Parses `"metric op number"`, the three parts separated by spaces.
    public init(parsing text: String) throws {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3 else {
            throw ConfigError(
                keyPath: "", reason: "expected \"metric op number\" (e.g. \"activeNodes == 3\"), found \"\(text)\"")
        }
        guard let op = Operator(rawValue: parts[1]) else {
            throw ConfigError(
                keyPath: "",
                reason:
                    "unknown operator \"\(parts[1])\" (expected one of: \(Operator.allCases.map(\.rawValue).joined(separator: " ")))"
            )
        }
        guard let value = Double(parts[2]), value.isFinite else {
            throw ConfigError(keyPath: "", reason: "expected a number after \"\(parts[1])\", found \"\(parts[2])\"")
        }
        self.init(metric: parts[0], comparison: op, value: value)
    }

    /// Whether `metrics` satisfy the condition (a missing or NaN metric never does).
    public func matches(_ metrics: [String: Double]) -> Bool {
        guard let x = metrics[metric], !x.isNaN else { return false }
        switch comparison {
        case .equal: return x == value
        case .notEqual: return x != value
        case .less: return x < value
        case .lessOrEqual: return x <= value
        case .greater: return x > value
        case .greaterOrEqual: return x >= value
        }
    }

    public var description: String { "\(metric) \(comparison.rawValue) \(JSONValue.numberText(value))" }
}

/// Number formatting of a column: fixed, scientific or percent, with a number of digits.
public struct NumberFormat: Sendable, Equatable {
    /// Notation.
    public enum Style: String, Sendable, CaseIterable { case fixed, scientific, percent }

    public var style: Style
    /// Digits after the decimal point.
    public var digits: Int

    public init(style: Style = .fixed, digits: Int = 3) {
        self.style = style
        self.digits = digits
    }

    /// Defaults: counts as integers, fractions as percent with one digit, others fixed with 3.
    public static func defaultFor(_ aggregate: Aggregate) -> NumberFormat {
        switch aggregate {
        case .count: NumberFormat(style: .fixed, digits: 0)
        case .fraction: NumberFormat(style: .percent, digits: 1)
        default: NumberFormat(style: .fixed, digits: 3)
        }
    }

    /// `value` as text ("nan" / "inf" for non-finite values).
    public func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        switch style {
        case .fixed: return Self.fixed(value, digits: digits)
        case .percent: return Self.fixed(value * 100, digits: digits) + "%"
        case .scientific:
            guard value != 0 else { return Self.fixed(0, digits: digits) + "e+00" }
            var exponent = Int(log10(abs(value)).rounded(.down))
            var mantissa = value / pow(10, Double(exponent))
            if abs(Double(Self.fixed(mantissa, digits: digits)) ?? 0) >= 10 { mantissa /= 10; exponent += 1 }
            let sign = exponent < 0 ? "-" : "+"
            let e = abs(exponent)
            return Self.fixed(mantissa, digits: digits) + "e" + sign + (e < 10 ? "0\(e)" : "\(e)")
        }
    }

    /// Fixed-point text with `digits` decimals (at most 15: a Double has no more), rounding half away from zero.
    static func fixed(_ value: Double, digits requested: Int) -> String {
        let digits = Swift.min(Swift.max(requested, 0), 15)
        let scale = pow(10, Double(digits))
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e15 else { return "\(value)" }
        let integer = Int64(scaled)
        let whole = integer / Int64(scale)
        var text = String(whole)
        if digits > 0 {
            let fraction = String(integer % Int64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (value < 0 && integer != 0 ? "-" : "") + text
    }
}

#if canImport(Glibc)
import SculptCore
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
