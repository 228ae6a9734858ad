/// A computed paper-style table: rows of trials, one cell per column.
public struct ExperimentTable: Sendable, Equatable, Encodable {
    /// The table's title.
    public var title: String
    /// How our protocol differs from the paper's, printed above the numbers (nil: not said).
    public var protocolNote: String?
    /// Header of the label column: "variant", "group" or the grouping metric's name.
    public var rowHeader: String
    /// The computed columns.
    public var columns: [Column]
    /// The rows.
    public var rows: [Row]
    /// The tests between rows (Mann-Whitney U or Fisher exact), printed under the table.
    public var comparisons: [Comparison]

    /// A column's header and what it computes.
    public struct Column: Sendable, Equatable, Encodable {
        public var title: String
        public var metric: String?
        public var aggregate: String
        /// The `where` conditions, as written.
        public var filters: [String]
    }

    /// One row: its label, its trial counts and its cells.
    public struct Row: Sendable, Equatable, Encodable {
        public var label: String
        /// Finished trials in the row.
        public var n: Int
        /// Failed trials in the row (not part of any cell).
        public var failed: Int
        public var cells: [Cell]
    }

    /// One aggregated value.
    public struct Cell: Sendable, Equatable, Encodable {
        /// The aggregate (mean, count, ...); nil when no trial contributed.
        public var value: Double?
        /// Sample standard deviation (`meanStd`, `meanVariance` with at least two values), else nil.
        public var std: Double?
        /// Trials that contributed.
        public var count: Int
        /// The value as printed.
        public var text: String
    }

    /// A two-sided test between the pooled values of two rows.
    public struct Comparison: Sendable, Equatable, Encodable {
        public var title: String
        /// "mann-whitney", "fisher", "paired-t" or "wilcoxon".
        public var test: String
        /// The pooled metrics; for a comparison within trials, the two metrics compared.
        public var metrics: [String]
        /// The `where` conditions, as written.
        public var filters: [String]
        /// The labels of the compared rows, first sample first; for a comparison within trials, the one row.
        public var rows: [String]
        /// Whether two metrics were compared within each trial of one row.
        public var withinTrial: Bool
        /// Values of the first row (finished trials passing the filters, NaN left out); pairs for a paired test.
        public var n1: Int
        /// Values of the second row.
        public var n2: Int
        /// U statistic of the first row (Mann-Whitney only); nil when a row has no value.
        public var u: Double?
        /// The smaller signed-rank sum (Wilcoxon only); nil without a pair.
        public var w: Double?
        /// Two-sided p-value; nil when a row has no value.
        public var p: Double?
        /// "exact" or "normal"; nil when a row has no value.
        public var method: String?
        /// First row minus second with its 95% CI: difference in means (Mann-Whitney) or in
        /// proportions (Fisher); nil when it cannot be computed.
        public var effect: EffectInterval?
        /// The comparison as printed.
        public var text: String
    }

    /// Computes `table` of `experiment` from its trial records (trials outside the plan,
    /// e.g. after lowering `trials`, are ignored).
    public init(_ table: TableSpec, experiment: ExperimentSpec, records: [TrialRecord]) {
        let planned = Dictionary(uniqueKeysWithValues: experiment.variants.map { ($0.name, $0.trials) })
        let inPlan = records.filter { record in planned[record.variant].map { record.index < $0 } ?? false }
        let variants = table.rows.variants ?? experiment.variants.map(\.name)

        // `variants`: the row's variants in the order listed (a paired test pairs them by position); empty for
        // rows keyed by a metric's value, whose trials pair by index alone.
        var groups: [(label: String, variants: [String], records: [TrialRecord])] = []
        if let metric = table.rows.metric {
            let chosen = inPlan.filter { variants.contains($0.variant) && $0.status == .done }
            let keyed = chosen.compactMap { r in r.metrics[metric].flatMap { $0.isNaN ? nil : ($0, r) } }
            for value in Set(keyed.map(\.0)).sorted() {
                let valueText = JSONValue.numberText(value)
                let label = (table.rows.label ?? "\(metric) = {}").replacingOccurrences(of: "{}", with: valueText)
                groups.append((label, [], keyed.filter { $0.0 == value }.map(\.1)))  // paired by trial index alone
            }
        } else if let rowGroups = table.rows.groups {
            for group in rowGroups {
                groups.append((group.label, group.variants,
                               group.variants.flatMap { name in inPlan.filter { $0.variant == name } }))
            }
        } else {
            for name in variants {
                groups.append((name, [name], inPlan.filter { $0.variant == name }))
            }
        }

        title = table.title
        protocolNote = table.protocolNote
        rowHeader = table.rows.metric ?? (table.rows.groups == nil ? "variant" : "group")
        columns = table.columns.map {
            Column(
                title: $0.title, metric: $0.metric, aggregate: $0.aggregate.rawValue,
                filters: $0.filters.map(\.description))
        }
        rows = groups.map { label, _, records in
            let done = records.filter { $0.status == .done }.map(\.metrics)
            return Row(label: label, n: done.count, failed: records.count - done.count,
                       cells: table.columns.map { Self.cell($0, rowMetrics: done) })
        }
        comparisons = table.comparisons.map { comparison in
            let chosen = comparison.rows.map { label in groups.first { $0.label == label } }
            let done = chosen.map { $0?.records.filter { $0.status == .done } ?? [] }
            if comparison.withinTrial { return Self.withinTrialComparison(comparison, records: done[0]) }
            if comparison.test.isPaired {
                return Self.pairedComparison(comparison, first: done[0], second: done[1],
                                             variants: (chosen[0]?.variants ?? [], chosen[1]?.variants ?? []))
            }
            let samples = done.map { Self.pooledValues(comparison, rowMetrics: $0.map(\.metrics)) }
            return Self.comparison(comparison, first: samples[0], second: samples[1])
        }
    }

    /// The values of `comparison`'s metrics over the row's finished trials passing its filters.
    static func pooledValues(_ comparison: ComparisonSpec, rowMetrics: [[String: Double]]) -> [Double] {
        let chosen = rowMetrics.filter { metrics in comparison.filters.allSatisfy { $0.matches(metrics) } }
        let values = chosen.flatMap { metrics in comparison.metrics.compactMap { metricValue($0, in: metrics) } }
        return values.filter { !$0.isNaN }
    }

    /// Tests `first` against `second` with the spec's test and words the outcome:
    /// "Mann-Whitney U, title: A (n=10) vs B (n=10): U = 73.0, p = 0.089 (normal approximation);
    /// difference in means 0.120 (95% CI -0.020 to 0.260)" or "Fisher exact, title: A 25/30 vs B 10/30:
    /// odds ratio 10.00, p = 1.81e-04; difference in proportions 0.500 (95% CI 0.254 to 0.669)".
    static func comparison(_ comparison: ComparisonSpec, first: [Double], second: [Double]) -> Comparison {
        let o = comparison.test == .fisher ? fisherOutcome(comparison, first: first, second: second)
            : mannWhitneyOutcome(comparison, first: first, second: second)
        return Comparison(title: comparison.title, test: comparison.test.rawValue, metrics: comparison.metrics,
                          filters: comparison.filters.map(\.description), rows: comparison.rows, withinTrial: false,
                          n1: first.count, n2: second.count, u: o.u, w: nil, p: o.p, method: o.method,
                          effect: o.effect, text: o.text)
    }

    /// What one test found: U (Mann-Whitney only), p, method, effect and the printed line.
    typealias Outcome = (u: Double?, p: Double?, method: String?, effect: EffectInterval?, text: String)

    /// The Mann-Whitney U test of the values, with the difference in means.
    static func mannWhitneyOutcome(_ comparison: ComparisonSpec, first: [Double], second: [Double]) -> Outcome {
        let result = MannWhitneyU.test(first, second)
        var text =
            "Mann-Whitney U, \(comparison.title): \(comparison.rows[0]) (n=\(first.count)) vs \(comparison.rows[1]) (n=\(second.count)): "
        let effect = EffectInterval.differenceInMeans(first, second)
        if let result {
            let method = result.method == .exact ? "exact" : "normal approximation"
            text += "U = \(NumberFormat(style: .fixed, digits: 1).format(result.u)), p = \(pText(result.p)) (\(method))"
            if let effect { text += "; " + effectText(effect) }
        } else {
            text += "-"
        }
        return (result?.u, result?.p, result?.method.rawValue, effect, text)
    }

    /// The Fisher exact test of the counts of values != 0 in `first` and `second`.
    static func fisherOutcome(_ comparison: ComparisonSpec, first: [Double], second: [Double]) -> Outcome {
        let hits = [first, second].map { $0.filter { $0 != 0 }.count }
        var text = "Fisher exact, \(comparison.title): \(comparison.rows[0]) \(hits[0])/\(first.count) vs "
            + "\(comparison.rows[1]) \(hits[1])/\(second.count): "
        let result = first.isEmpty || second.isEmpty ? nil : FisherExact.test(first: first, second: second)
        let effect = EffectInterval.differenceInProportions(hits1: hits[0], n1: first.count,
                                                            hits2: hits[1], n2: second.count)
        if let result {
            let odds = result.oddsRatio.isFinite ? NumberFormat(style: .fixed, digits: 2).format(result.oddsRatio)
                : (result.oddsRatio.isNaN ? "-" : "infinite")
            text += "odds ratio \(odds), p = \(pText(result.p))"
            if let effect { text += "; " + effectText(effect) }
        } else {
            text += "-"
        }
        return (nil, result?.p, result.map { _ in "exact" }, effect, text)
    }

    /// A paired test (`comparison.test`) over the trials both rows finished, one value per trial. A
    /// trial pairs with the trial of the same index in the other row; where rows pool several
    /// variants, the k-th variant listed in one row pairs with the k-th in the other (e.g. the same
    /// ratio of two methods), so rows must list as many variants; rows keyed by a metric's value pair
    /// by trial index alone. A row with several values per trial (several metrics, or several
    /// variants at one index in a metric-keyed row) or rows of unequal length have no pairing: the
    /// line says so.
    static func pairedComparison(
        _ comparison: ComparisonSpec, first: [TrialRecord], second: [TrialRecord],
        variants: (first: [String], second: [String])
    ) -> Comparison {
        struct Key: Hashable, Comparable {
            var position: Int, index: Int
            static func < (a: Key, b: Key) -> Bool { (a.position, a.index) < (b.position, b.index) }
        }
        func byKey(_ records: [TrialRecord], _ names: [String]) -> [Key: Double]? {
            var values: [Key: Double] = [:]
            for record in records {
                guard let position = names.isEmpty ? 0 : names.firstIndex(of: record.variant) else { return nil }
                let key = Key(position: position, index: record.index)
                let v = pooledValues(comparison, rowMetrics: [record.metrics])
                guard v.count <= 1, values[key] == nil else { return nil }
                if let value = v.first { values[key] = value }
            }
            return values
        }
        let head = "\(pairedTestName(comparison.test)), \(comparison.title): \(comparison.rows[0]) vs \(comparison.rows[1]) "
        guard variants.first.count == variants.second.count else {
            let counts = "\(variants.first.count) and \(variants.second.count)"
            return unpaired(comparison, text: head + "- (the rows pool \(counts) variants, so their trials cannot be paired)")
        }
        guard let a = byKey(first, variants.first), let b = byKey(second, variants.second) else {
            return unpaired(comparison, text: head + "- (a row has several values per trial, so its trials cannot be paired)")
        }
        let indices = Set(a.keys).intersection(b.keys).sorted()
        return pairedOutcome(comparison, head: head + "(n=\(indices.count) pairs): ",
                             first: indices.map { a[$0]! }, second: indices.map { b[$0]! })
    }

    /// A paired test (`comparison.test`) of two metrics within each finished trial of one row that
    /// passes the filters and has both (a NaN leaves the trial out): e.g. a restart method against
    /// the equal-budget control that ran in the same trial.
    static func withinTrialComparison(_ comparison: ComparisonSpec, records: [TrialRecord]) -> Comparison {
        var first: [Double] = [], second: [Double] = []
        for record in records.sorted(by: { ($0.variant, $0.index) < ($1.variant, $1.index) })
        where comparison.filters.allSatisfy({ $0.matches(record.metrics) }) {
            guard let a = metricValue(comparison.metrics[0], in: record.metrics),
                  let b = metricValue(comparison.metrics[1], in: record.metrics), !a.isNaN, !b.isNaN else { continue }
            first.append(a)
            second.append(b)
        }
        let head = "\(pairedTestName(comparison.test)), \(comparison.title): \(comparison.metrics[0]) vs "
            + "\(comparison.metrics[1]) within \(comparison.rows[0]) (n=\(first.count) trials): "
        return pairedOutcome(comparison, head: head, first: first, second: second)
    }

    /// "paired t" or "Wilcoxon signed-rank", as a printed line begins.
    static func pairedTestName(_ test: ComparisonSpec.Test) -> String {
        test == .wilcoxon ? "Wilcoxon signed-rank" : "paired t"
    }

    /// A paired comparison that found no pairing; `text` says why.
    static func unpaired(_ comparison: ComparisonSpec, text: String) -> Comparison {
        Comparison(title: comparison.title, test: comparison.test.rawValue, metrics: comparison.metrics,
                   filters: comparison.filters.map(\.description), rows: comparison.rows,
                   withinTrial: comparison.withinTrial, n1: 0, n2: 0, u: nil, w: nil, p: nil, method: nil, effect: nil,
                   text: text)
    }

    /// Runs the paired t-test or the Wilcoxon signed-rank test on the pairs (first_i, second_i) and
    /// words it after `head`; both report the mean paired difference with its t interval.
    static func pairedOutcome(_ comparison: ComparisonSpec, head: String, first: [Double], second: [Double])
        -> Comparison
    {
        var text = head
        var p: Double?, method: String?, w: Double?
        let tTest = PairedT.test(first, second)  // its interval is both tests' effect
        let effect = tTest?.effect
        if comparison.test == .wilcoxon {
            if let result = WilcoxonSignedRank.test(first, second) {
                let exact = result.method == .exact ? "exact" : "normal approximation"
                text += "W = \(NumberFormat(style: .fixed, digits: 1).format(result.w)), "
                    + "n = \(result.n) non-zero, p = \(pText(result.p)) (\(exact))"
                if let effect { text += "; " + effectText(effect) }
                (p, method, w) = (result.p, result.method.rawValue, result.w)
            } else {
                text += "-"
            }
        } else if let result = tTest {
            let t = result.t.isFinite
                ? NumberFormat(style: .fixed, digits: 2).format(result.t) : (result.t > 0 ? "inf" : "-inf")
            text += "t = \(t), df = \(result.degreesOfFreedom), p = \(pText(result.p)); " + effectText(result.effect)
            (p, method) = (result.p, "t")
        } else {
            text += "-"
        }
        return Comparison(title: comparison.title, test: comparison.test.rawValue, metrics: comparison.metrics,
                          filters: comparison.filters.map(\.description), rows: comparison.rows,
                          withinTrial: comparison.withinTrial, n1: first.count, n2: second.count, u: nil, w: w, p: p,
                          method: method, effect: effect, text: text)
    }

    /// A p-value as printed: three decimals, or two significant digits below 0.001.
    static func pText(_ p: Double) -> String {
        p >= 0.001 || p == 0 ? NumberFormat(style: .fixed, digits: 3).format(p)
            : NumberFormat(style: .scientific, digits: 2).format(p)
    }

    /// "difference in means 0.12 (95% CI -0.02 to 0.26)", three significant digits.
    static func effectText(_ effect: EffectInterval) -> String {
        // Non-finite bounds (a metric with an infinite value in a sample) print as "nan" / "inf" and do not set
        // the scale.
        let biggest = [effect.estimate, effect.lower, effect.upper].filter(\.isFinite).map(abs).max() ?? 0
        let format = biggest != 0 && (biggest < 0.01 || biggest >= 1e5)
            ? NumberFormat(style: .scientific, digits: 2)
            : NumberFormat(style: .fixed, digits: biggest == 0 ? 3 : Swift.max(0, 2 - Int(floor(log10(biggest)))))
        let estimate = format.format(effect.estimate), lower = format.format(effect.lower)
        let upper = format.format(effect.upper)
        return "\(effect.name) \(estimate) (95% CI \(lower) to \(upper))"
    }

    /// The value a column or comparison reads from one trial's metrics: the metric `name`, or for
    /// "a / b" the ratio of two metrics (NaN when b is 0, so means leave that trial out); nil when
    /// a metric is missing.
    static func metricValue(_ name: String, in metrics: [String: Double]) -> Double? {
        if let value = metrics[name] { return value }
        guard let (numerator, denominator) = ratioOperands(name),
              let a = metrics[numerator], let b = metrics[denominator] else { return nil }
        return b == 0 ? .nan : a / b
    }

    /// The two metric names of a ratio column written `a / b`, or nil when `name` is not one.
    static func ratioOperands(_ name: String) -> (String, String)? {
        let parts = name.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// Reduces the finished trials of one row (their metrics) by `column`.
    static func cell(_ column: ColumnSpec, rowMetrics: [[String: Double]]) -> Cell {
        let chosen = rowMetrics.filter { metrics in column.filters.allSatisfy { $0.matches(metrics) } }
        let values = column.metric.map { metric in
            chosen.compactMap { metricValue(metric, in: $0) }.filter { !$0.isNaN }
        } ?? []
        let format = column.format
        func cell(_ value: Double?, std: Double? = nil, count: Int) -> Cell {
            Cell(value: value, std: std, count: count, text: value.map(format.format) ?? "-")
        }
        switch column.aggregate {
        case .count:
            return cell(Double(chosen.count), count: chosen.count)
        case .fraction:
            return cell(rowMetrics.isEmpty ? nil : Double(chosen.count) / Double(rowMetrics.count), count: chosen.count)
        case .mean:
            return cell(Statistics.mean(values), count: values.count)
        case .meanStd:
            let mean = Statistics.mean(values)
            let std = Statistics.sampleStandardDeviation(values)
            var result = cell(mean, std: std, count: values.count)
            if let mean { result.text = format.format(mean) + " ± " + (std.map(format.format) ?? "-") }
            return result
        case .meanVariance:
            let mean = Statistics.mean(values)
            let variance = Statistics.sampleVariance(values)
            var result = cell(mean, std: variance.map { $0.squareRoot() }, count: values.count)
            if let mean { result.text = format.format(mean) + " ± " + (variance.map(format.format) ?? "-") }
            return result
        case .sum:
            return cell(values.isEmpty ? nil : values.reduce(0, +), count: values.count)
        case .min:
            return cell(values.min(), count: values.count)
        case .max:
            return cell(values.max(), count: values.count)
        case .median:
            return cell(Statistics.median(values), count: values.count)
        }
    }
}

/// Mean, median and sample standard deviation.
public enum Statistics {
    /// The arithmetic mean; nil for no values.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The middle value (the mean of the two middle values for an even count); nil for no values.
    public static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The sample standard deviation (divisor n - 1); nil for fewer than two values.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double? {
        sampleVariance(values).map { $0.squareRoot() }
    }

    /// The sample variance (divisor n - 1, as torch.var); nil for fewer than two values.
    public static func sampleVariance(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return squares / Double(values.count - 1)
    }
}

import SculptCore
import Foundation
