#if canImport(Foundation)
import Foundation
#endif

/// Renders a `Figure` to standalone SVG text: measures the data, lays out the plot area, then
/// draws grid, axes, marks (clipped to the plot area), legend and notes.
struct SVGRenderer {
    let figure: Figure
    let layout: PlotLayout
    /// The colour of each mark (by index); nil for marks that take none (heat maps, images).
    let colors: [PlotColor?]
    /// Values that could not be drawn, by reason.
    let nonFinite: Int
    let nonPositive: Int
    let outsideBins: Int
    /// Whether any mark holds a drawable value.
    let hasData: Bool
    /// Whether the x tick labels are rotated (long category names).
    let rotatedLabels: Bool

    static let characterWidth = 7.2
    static let legendRowHeight = 18.0

    init(_ figure: Figure) {
        self.figure = figure
        let measured = DataMeasure(figure: figure)
        nonFinite = measured.nonFinite
        nonPositive = measured.nonPositive
        outsideBins = measured.outsideBins
        hasData = measured.hasData
        var next = 0
        colors = figure.marks.map { mark in
            switch mark {
            case .heatmap, .image: return nil
            case .rule(let r): return r.color ?? PlotColor.gray
            default:
                if let explicit = mark.explicitColor { return explicit }
                next += 1
                return PlotColor.palette(next - 1)
            }
        }
        let xTicks = PlotLayout.ticks(for: figure.x, extent: measured.x)
        let yTicks = PlotLayout.ticks(for: figure.y, extent: measured.y)
        let margins = Self.margins(figure, xTicks: xTicks, yTicks: yTicks, notes: measured.noteCount)
        rotatedLabels = margins.rotated
        let width = Swift.max(40, figure.width - margins.left - margins.right)
        let height = Swift.max(40, figure.height - margins.top - margins.bottom)
        layout = PlotLayout(
            left: margins.left, top: margins.top, width: width, height: height,
            x: AxisMapping(
                scale: figure.x.categories == nil ? figure.x.scale : .linear, domain: xTicks.domain,
                pixels: (margins.left, margins.left + width), ticks: xTicks),
            y: AxisMapping(
                scale: figure.y.categories == nil ? figure.y.scale : .linear, domain: yTicks.domain,
                pixels: (margins.top + height, margins.top), ticks: yTicks))
    }

    /// Space around the plot area for title, tick labels, axis titles, legend and notes.
    private static func margins(
        _ figure: Figure, xTicks: NiceTicks, yTicks: NiceTicks, notes: Int
    )
        -> (left: Double, right: Double, top: Double, bottom: Double, rotated: Bool)
    {
        let yLabelWidth = Double(yTicks.labels.map(\.count).max() ?? 1) * characterWidth
        let left = 30 + yLabelWidth + 8
        var right = 20.0
        let names = figure.marks.compactMap(\.name)
        if figure.legend == .right, !names.isEmpty {
            right = Swift.min(figure.width * 0.45, Double(names.map(\.count).max() ?? 0) * characterWidth + 52)
        }
        if figure.marks.contains(where: { if case .heatmap = $0 { return true } else { return false } }) { right += 70 }
        var bottom = 52 + Double(notes) * 15
        if figure.legend == .bottom, !names.isEmpty { bottom += 22 }
        var rotated = false
        if let categories = figure.x.categories, !categories.isEmpty {
            let band = (figure.width - left - right) / Double(categories.count)
            let longest = Double(categories.map(\.count).max() ?? 0) * characterWidth
            if longest > band * 0.95 {
                rotated = true
                bottom += Swift.min(120, longest * 0.6)
            }
        }
        return (left, right, figure.title == nil ? 14 : 38, bottom, rotated)
    }

    /// The SVG document; with `origin`, an `<svg>` nested at that y in a larger one.
    func render(origin: Double? = nil) -> String {
        var out = SVGWriter()
        let w = SVGWriter.number(figure.width)
        let h = SVGWriter.number(figure.height)
        let placement = origin.map { "x=\"0\" y=\"\(SVGWriter.number($0))\" " } ?? ""
        out.raw(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" \(placement)width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
                + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\">")
        out.element("title", text: figure.title ?? "\(figure.y.title) against \(figure.x.title)")
        out.raw("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>")
        if let title = figure.title {
            var attributes = ["text-anchor": "middle", "font-size": "14", "font-weight": "bold"]
            let room = figure.width - 16
            if Double(title.count) * Self.characterWidth * 14 / 12 > room {  // squeeze a long title into the width
                attributes["textLength"] = SVGWriter.number(room)
                attributes["lengthAdjust"] = "spacingAndGlyphs"
            }
            out.text(title, x: figure.width / 2, y: 22, attributes: attributes)
        }
        if hasData {
            renderAxes(into: &out)
            var body = SVGWriter()
            for (index, mark) in figure.marks.enumerated() {
                renderMark(mark, index: index, color: colors[index], into: &body)
            }
            let clip = "clip-" + SVGWriter.hash(body.text + (figure.title ?? ""))
            out.raw(
                "<defs><clipPath id=\"\(clip)\"><rect x=\"\(SVGWriter.number(layout.left))\" y=\"\(SVGWriter.number(layout.top))\" "
                    + "width=\"\(SVGWriter.number(layout.width))\" height=\"\(SVGWriter.number(layout.height))\"/></clipPath></defs>"
            )
            out.raw("<g class=\"marks\" clip-path=\"url(#\(clip))\">" + body.text + "</g>")
            renderLegend(into: &out)
            renderColorBars(into: &out)
        } else {
            out.raw(
                "<rect class=\"empty\" x=\"\(SVGWriter.number(layout.left))\" y=\"\(SVGWriter.number(layout.top))\" "
                    + "width=\"\(SVGWriter.number(layout.width))\" height=\"\(SVGWriter.number(layout.height))\" "
                    + "fill=\"#fafafa\" stroke=\"#bbbbbb\" stroke-dasharray=\"4 3\"/>")
            out.text(
                figure.emptyMessage, x: layout.left + layout.width / 2, y: layout.top + layout.height / 2,
                attributes: ["text-anchor": "middle", "font-size": "14", "fill": "#555555", "class": "empty-message"])
        }
        renderNotes(into: &out)
        out.raw("</svg>")
        return out.text
    }

    /// The notes under the plot: the figure's own, then what was dropped and why.
    var noteLines: [String] {
        var lines = figure.notes
        func plural(_ n: Int, _ word: String) -> String { n == 1 ? "1 \(word)" : "\(n) \(word)s" }
        if nonFinite > 0 { lines.append("\(plural(nonFinite, "non-finite value")) (NaN or infinite) dropped") }
        if nonPositive > 0 { lines.append("\(plural(nonPositive, "value")) <= 0 dropped (log scale)") }
        if outsideBins > 0 { lines.append("\(plural(outsideBins, "value")) outside the histogram's bins left out") }
        return lines
    }

    private func renderNotes(into out: inout SVGWriter) {
        var y = figure.height - 8 - Double(noteLines.count - 1) * 15
        for line in noteLines {
            out.text(line, x: 8, y: y, attributes: ["font-size": "11", "fill": "#555555", "class": "note"])
            y += 15
        }
    }
}

extension Mark {
    /// The legend name, if any.
    var name: String? {
        switch self {
        case .line(let m): m.name
        case .band(let m): m.name
        case .scatter(let m): m.name
        case .bars(let m): m.name
        case .histogram(let m): m.name
        case .rule(let m): m.name
        case .heatmap, .image: nil
        }
    }

    var explicitColor: PlotColor? {
        switch self {
        case .line(let m): m.color
        case .band(let m): m.color
        case .scatter(let m): m.color
        case .bars(let m): m.color
        case .histogram(let m): m.color
        case .rule(let m): m.color
        case .heatmap, .image: nil
        }
    }
}
