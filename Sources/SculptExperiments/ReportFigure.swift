import Foundation
import SculptRecipes
import SculptVisual

/// Builds a declared figure (`FigureSpec`) from a run's finished trials and their stored series.
public struct ReportFigure {
    public var spec: FigureSpec
    /// The finished trials of the run that lie in the spec's plan.
    public var records: [TrialRecord]
    public var series: [TrialKey: [TrialSeries]]

    public init(spec: FigureSpec, records: [TrialRecord], series: [TrialKey: [TrialSeries]]) {
        self.spec = spec
        self.records = records.filter { $0.status == .done }
        self.series = series
    }

    /// The message shown in place of axes when no trial has finished.
    public static let emptyMessage = "no finished trials for this figure yet"

    /// The trials of `line` (its variants, passing its filters).
    func trials(of line: LineSpec) -> [TrialRecord] {
        records.filter { r in line.variants.contains(r.variant) && line.filters.allSatisfy { $0.matches(r.metrics) } }
    }

    var spread: BandSpread { spec.band == ExperimentSpec.BandChoice.ci95 ? .confidence95 : .standardDeviation }

    func axis(_ a: AxisSpec, includesZero: Bool = false, categories: [String]? = nil) -> Axis {
        Axis(
            label: a.label, unit: a.unit, scale: a.log ? .log : .linear, includesZero: includesZero,
            categories: categories)
    }

    /// The figure, ready to render.
    public var figure: Figure {
        let anyTrial = spec.lines.contains { !trials(of: $0).isEmpty }
        var marks: [Mark]
        var fitNotes: [String] = []
        var figure = Figure(
            title: spec.title, x: axis(spec.xAxis), y: axis(spec.yAxis), width: 760, height: 420,
            emptyMessage: Self.emptyMessage)
        switch spec.kind {
        case .line:
            (marks, fitNotes) = lineMarks()
            figure.x.integerTicks = spec.x == "{k}"  // rounds
        case .series:
            marks = seriesMarks()
            figure.x.integerTicks = true  // epochs or rounds
        case .histogram:
            marks = histogramMarks()
            figure.y = axis(spec.yAxis, includesZero: true)
            figure.y.integerTicks = true
            figure.x.integerTicks = spec.bins == .integers
        case .bars:
            marks = barMarks()
            figure.x = axis(spec.xAxis, categories: spec.lines.map(\.label))
            figure.y = axis(spec.yAxis, includesZero: !spec.yAxis.log)
        case .panels:
            marks = []
            if anyTrial { figure.emptyMessage = "no finished trial of these lines kept a painting panel" }
        }
        if anyTrial, spec.kind != .bars {
            marks += spec.paper.map {
                .line(LineMark(name: $0.label, x: $0.x, y: $0.y, color: .black, dashed: true, markers: true))
            }
        }
        figure.marks = anyTrial ? marks : []
        if anyTrial {
            switch spec.kind {
            case .line, .series:
                figure.notes = ["line: mean over trials; band: ± \(spread.rawValue); n = trials per line"] + fitNotes
            case .bars: figure.notes = ["bar: mean over trials; error bar: ± \(spread.rawValue); n = trials per bar"]
            case .histogram: figure.notes = ["n = values counted per histogram"]
            case .panels: break
            }
        }
        return figure
    }

    /// A `panels` figure's small figures: the first `spec.panels` finished trials of each line
    /// (by index) that kept a painting panel, titled with their variant, index and `y` metric.
    public var panels: [Figure] {
        spec.lines.flatMap { line in
            trials(of: line).sorted { ($0.index, $0.variant) < ($1.index, $1.variant) }.compactMap { trial -> Figure? in
                guard case .object(let details)? = trial.details, let panel = PaintingPanel(json: details["panel"])
                else { return nil }
                let value =
                    spec.y.flatMap { y in trial.metrics[y].map { " · \(y) \(NiceTicks.label($0, step: 1))" } } ?? ""
                return panel.figure(title: "\(line.label) #\(trial.index)\(value)")
            }.prefix(spec.panels)
        }
    }

    /// `name` with `{k}` replaced by `k`.
    static func expand(_ name: String, _ k: Int?) -> String {
        k.map { name.replacingOccurrences(of: "{k}", with: String($0)) } ?? name
    }

    /// The bands of a `line` figure, with each line's log-linear fit and its equation when asked for.
    private func lineMarks() -> (marks: [Mark], fitNotes: [String]) {
        var marks: [Mark] = []
        var notes: [String] = []
        for (i, line) in spec.lines.enumerated() {
            let chosen = trials(of: line)
            guard !chosen.isEmpty else { continue }
            let xName = line.x ?? spec.x ?? ""
            let yName = line.y ?? spec.y ?? ""
            var byX: [Double: [Double]] = [:]
            var pairs: [(x: Double, y: Double)] = []
            for trial in chosen {
                for k in spec.indices ?? [nil] as [Int?] {
                    let x = xName == "{k}" ? k.map(Double.init) : trial.metrics[Self.expand(xName, k)]
                    guard let x, let y = trial.metrics[Self.expand(yName, k)] else { continue }
                    byX[x, default: []].append(y)
                    pairs.append((x, y))
                }
            }
            let color = PlotColor.palette(i)
            marks.append(band(line.label, n: chosen.count, samples: byX, color: color))
            if spec.logLinearFit, let fit = LogLinearFit(pairs) {
                marks.append(fitLine(fit, xs: pairs.map(\.x), label: line.label, color: color))
                notes.append(
                    "fit, \(line.label): y = \(String(format: "%.4f", fit.slope)) ln x + \(String(format: "%.4f", fit.intercept)), "
                        + "R² = \(String(format: "%.3f", fit.rSquared)), \(fit.points) trials")
            }
        }
        return (marks, notes)
    }

    /// Mean ± band over samples by x; non-finite x or y values stay in, so the figure counts them as dropped.
    private func band(_ label: String, n: Int, samples: [Double: [Double]], color: PlotColor) -> Mark {
        let finite = samples.filter { $0.key.isFinite }.map { (x: $0.key, values: $0.value) }
        var mark = BandMark(name: "\(label) (n=\(n))", samples: finite, spread: spread, color: color)
        let dropped =
            samples.filter { !$0.key.isFinite }.values.joined().count
            + finite.map { $0.values.filter { !$0.isFinite }.count }.reduce(0, +)
        if dropped > 0 {  // let the renderer count them in its note
            mark.x += [Double](repeating: .nan, count: dropped)
            mark.center += [Double](repeating: .nan, count: dropped)
            mark.lower += [Double](repeating: .nan, count: dropped)
            mark.upper += [Double](repeating: .nan, count: dropped)
        }
        return .band(mark)
    }

    /// The fitted a * ln(x) + b over the x range, dashed, with its R^2 in the legend (the equation goes in the notes).
    private func fitLine(_ fit: LogLinearFit, xs: [Double], label: String, color: PlotColor) -> Mark {
        let positive = xs.filter { $0 > 0 && $0.isFinite }
        let lo = positive.min() ?? 1
        let hi = positive.max() ?? 1
        let grid = (0...40).map { lo * pow(hi / lo, Double($0) / 40) }
        let name = "\(label) fit (R² \(String(format: "%.2f", fit.rSquared)))"
        return .line(LineMark(name: name, x: grid, y: grid.map(fit.predict), color: color, dashed: true))
    }

    /// A `series` figure's bands, after a dashed rule at each x (+ 0.5: between epochs) of the
    /// `operations` series of the trials drawn.
    private func seriesMarks() -> [Mark] {
        var rules: Set<Double> = []
        if let operations = spec.operations {
            for line in spec.lines {
                for trial in trials(of: line) {
                    let s = series[TrialKey(variant: trial.variant, index: trial.index)]?.first {
                        $0.name == operations
                    }
                    rules.formUnion(s?.x ?? [])
                }
            }
        }
        return rules.sorted().map { Mark.rule(RuleMark(.vertical, at: $0 + 0.5)) } + seriesBands()
    }

    private func seriesBands() -> [Mark] {
        spec.lines.enumerated().compactMap { i, line in
            let chosen = trials(of: line)
            guard !chosen.isEmpty else { return nil }
            var byX: [Double: [Double]] = [:]
            for trial in chosen {
                guard
                    let s = series[TrialKey(variant: trial.variant, index: trial.index)]?.first(where: {
                        $0.name == (line.x ?? spec.x)
                    })
                else { continue }
                for (x, y) in zip(s.x, s.y) { byX[x, default: []].append(y) }
            }
            return band(line.label, n: chosen.count, samples: byX, color: .palette(i))
        }
    }

    private func histogramMarks() -> [Mark] {
        let values = spec.lines.map { line in
            trials(of: line).flatMap { trial in
                (spec.indices ?? [nil] as [Int?]).compactMap { trial.metrics[Self.expand(line.y ?? spec.y ?? "", $0)] }
            }
        }
        let finite = values.joined().filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else {
            return zip(spec.lines, values).map { .histogram(HistogramMark(name: $0.label, values: $1, edges: [0, 1])) }
        }
        let edges: [Double]
        switch spec.bins {
        case .integers: edges = HistogramMark.integerEdges(Int(lo.rounded(.down)), Int(hi.rounded(.up)))
        case .count(let n): edges = HistogramMark.edges(for: finite, bins: n)
        }
        return zip(spec.lines, values).enumerated().map { i, pair in
            .histogram(
                HistogramMark(
                    name: "\(pair.0.label) (n=\(pair.1.count))", values: pair.1, edges: edges, color: .palette(i)))
        }
    }

    private func barMarks() -> [Mark] {
        var values: [Double] = []
        var errors: [Double] = []
        for line in spec.lines {
            let summary = SampleSummary(trials(of: line).compactMap { $0.metrics[line.y ?? spec.y ?? ""] })
            values.append(summary?.mean ?? .nan)
            errors.append(summary.map { spread == .confidence95 ? $0.confidence95 : $0.standardDeviation } ?? .nan)
        }
        var marks: [Mark] = [.bars(BarMark(name: "ours", values: values, errors: errors, color: .palette(0)))]
        for (i, paper) in spec.paper.enumerated() {
            let y = spec.lines.indices.map { $0 < paper.y.count ? paper.y[$0] : .nan }
            marks.append(
                .bars(
                    BarMark(name: paper.label, values: y, color: i == 0 ? PlotColor(hex: "#999999") : .palette(i + 1))))
        }
        return marks
    }
}
