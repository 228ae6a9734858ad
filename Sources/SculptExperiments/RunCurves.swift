import SculptVisual

/// The figures of a run folder's `curves.svg`: training loss and accuracy against the epoch
/// (validation dashed, one colour per series), the operations as marked vertical lines, and the
/// units of each layer when an operation changed them.
public struct RunCurves: Sendable {
    public var entries: [RunLogEntry]

    public init(entries: [RunLogEntry]) { self.entries = entries }

    /// The series names in order of first appearance.
    var seriesNames: [String] {
        var seen: Set<String> = []
        var names: [String] = []
        for entry in entries where seen.insert(entry.series).inserted { names.append(entry.series) }
        return names
    }

    public var figures: [Figure] {
        let names = seriesNames
        let operations = entries.flatMap { $0.operations ?? [] }
        let rules = operations.map { op in
            Mark.rule(
                RuleMark(
                    .vertical, at: Double(op.afterEpoch) + 0.5,
                    label: op.text + (op.lossFactor.map { " ×" + NiceTicks.label($0, step: 0.001) } ?? "")))
        }
        func curves(
            _ train: KeyPath<RunLogEntry, Double?>, _ validation: KeyPath<RunLogEntry, Double?>,
            what: String
        ) -> [Mark] {
            names.enumerated().flatMap { i, name -> [Mark] in
                let rows = entries.filter { $0.series == name }
                let label = names.count == 1 ? what : "\(name) \(what)"
                var marks: [Mark] = [
                    .line(
                        LineMark(
                            name: label, x: rows.map { Double($0.epoch) },
                            y: rows.map { $0[keyPath: train] ?? .nan }, color: .palette(i)))
                ]
                if rows.contains(where: { $0[keyPath: validation] != nil }) {
                    marks.append(
                        .line(
                            LineMark(
                                name: label + " (validation)", x: rows.map { Double($0.epoch) },
                                y: rows.map { $0[keyPath: validation] ?? .nan }, color: .palette(i), dashed: true)))
                }
                return marks
            }
        }
        let epoch = Axis(label: "epoch", integerTicks: true)
        var figures = [
            Figure(
                title: "Training loss", x: epoch, y: Axis(label: "loss", unit: "cross-entropy, nats"),
                marks: rules + curves(\.loss, \.validationLoss, what: "loss"), height: 340,
                emptyMessage: "no epoch finished yet")
        ]
        if entries.contains(where: { $0.accuracy != nil || $0.validationAccuracy != nil }) {
            figures.append(
                Figure(
                    title: "Accuracy", x: epoch, y: Axis(label: "accuracy", unit: "fraction correct"),
                    marks: rules + curves(\.accuracy, \.validationAccuracy, what: "accuracy"), height: 340))
        }
        let paths = Set(entries.flatMap { $0.widths.map { Array($0.keys) } ?? [] }).sorted(by: Self.layerOrder)
        let changing = paths.filter { path in Set(entries.compactMap { $0.widths?[path] }).count > 1 }
        if !changing.isEmpty {
            let marks = paths.map { path in
                Mark.line(
                    LineMark(
                        name: path,
                        points: Self.steps(entries.map { (Double($0.epoch), Double($0.widths?[path] ?? 0)) })))
            }
            let units = Axis(label: "units", unit: "neurons or filters", includesZero: true)
            figures.append(Figure(title: "Units per layer", x: epoch, y: units, marks: rules + marks, height: 340))
        }
        return figures
    }

    /// A step line through `points`: a change between two epochs happens halfway, where the
    /// operations' rules stand.
    static func steps(_ points: [(x: Double, y: Double)]) -> [PlotPoint] {
        var out: [PlotPoint] = []
        for (i, p) in points.enumerated() {
            if i > 0, points[i - 1].y != p.y {
                let middle = (points[i - 1].x + p.x) / 2
                out += [PlotPoint(x: middle, y: points[i - 1].y), PlotPoint(x: middle, y: p.y)]
            }
            out.append(PlotPoint(x: p.x, y: p.y))
        }
        return out
    }

    /// Layer paths in network order: `layers.2` before `layers.10`, `layers.5.body.0` after `layers.5`.
    static func layerOrder(_ a: String, _ b: String) -> Bool {
        let pa = a.split(separator: ".")
        let pb = b.split(separator: ".")
        for (x, y) in zip(pa, pb) where x != y {
            if let i = Int(x), let j = Int(y) { return i < j }
            return x < y
        }
        return pa.count < pb.count
    }

    /// The figures stacked in one SVG document.
    public func svg() -> String { Figure.stack(figures) }
}
