/// Grid, axis lines, ticks, tick labels, axis titles, legend and colour bars.
extension SVGRenderer {
    func renderAxes(into out: inout SVGWriter) {
        let l = layout
        let n = SVGWriter.number
        let bottom = l.top + l.height
        let right = l.left + l.width
        out.raw("<g class=\"grid\" stroke=\"#e8e8e8\" stroke-width=\"1\">")
        if figure.x.categories == nil {
            for v in l.x.ticks.values {
                if let px = l.x.pixel(v) {
                    out.raw("<line x1=\"\(n(px))\" y1=\"\(n(l.top))\" x2=\"\(n(px))\" y2=\"\(n(bottom))\"/>")
                }
            }
        }
        if figure.y.categories == nil {
            for v in l.y.ticks.values {
                if let py = l.y.pixel(v) {
                    out.raw("<line x1=\"\(n(l.left))\" y1=\"\(n(py))\" x2=\"\(n(right))\" y2=\"\(n(py))\"/>")
                }
            }
        }
        out.raw("</g>")
        out.raw(
            "<rect class=\"frame\" x=\"\(n(l.left))\" y=\"\(n(l.top))\" width=\"\(n(l.width))\" height=\"\(n(l.height))\" "
                + "fill=\"none\" stroke=\"#999999\"/>")
        out.raw("<g class=\"axis x\">")
        for (v, label) in zip(l.x.ticks.values, l.x.ticks.labels) {
            guard let px = l.x.pixel(v) else { continue }
            out.raw(
                "<g class=\"tick\" data-value=\"\(v)\"><line x1=\"\(n(px))\" y1=\"\(n(bottom))\" x2=\"\(n(px))\" "
                    + "y2=\"\(n(bottom + 5))\" stroke=\"#555555\"/>")
            if rotatedLabels {
                out.text(
                    label, x: px, y: bottom + 14,
                    attributes: [
                        "text-anchor": "end", "font-size": "11",
                        "transform": "rotate(-35 \(n(px)) \(n(bottom + 14)))",
                    ])
            } else {
                out.text(label, x: px, y: bottom + 18, attributes: ["text-anchor": "middle"])
            }
            out.raw("</g>")
        }
        let xTitleY = rotatedLabels ? bottom + 14 + xLabelDrop + 16 : bottom + 38
        out.text(
            figure.x.title, x: l.left + l.width / 2, y: xTitleY,
            attributes: ["text-anchor": "middle", "class": "axis-title"])
        out.raw("</g><g class=\"axis y\">")
        for (v, label) in zip(l.y.ticks.values, l.y.ticks.labels) {
            guard let py = l.y.pixel(v) else { continue }
            out.raw(
                "<g class=\"tick\" data-value=\"\(v)\"><line x1=\"\(n(l.left - 5))\" y1=\"\(n(py))\" x2=\"\(n(l.left))\" "
                    + "y2=\"\(n(py))\" stroke=\"#555555\"/>")
            out.text(label, x: l.left - 8, y: py + 4, attributes: ["text-anchor": "end"])
            out.raw("</g>")
        }
        let cx = 14.0
        let cy = l.top + l.height / 2
        out.text(
            figure.y.title, x: cx, y: cy,
            attributes: [
                "text-anchor": "middle", "class": "axis-title",
                "transform": "rotate(-90 \(n(cx)) \(n(cy)))",
            ])
        out.raw("</g>")
    }

    /// How far rotated category labels reach below the tick labels' baseline.
    private var xLabelDrop: Double {
        Swift.min(120, Double(figure.x.categories?.map(\.count).max() ?? 0) * Self.characterWidth * 0.6)
    }

    func renderLegend(into out: inout SVGWriter) {
        let entries = figure.marks.indices.compactMap { i in figure.marks[i].name.map { (i, $0) } }
        guard figure.legend != .none, !entries.isEmpty else { return }
        let n = SVGWriter.number
        out.raw("<g class=\"legend\">")
        var x = layout.left + layout.width + 14
        var y = layout.top + 8
        if figure.legend == .bottom {
            x = layout.left
            y = figure.height - 14 - Double(noteLines.count) * 15 - 8
        }
        let maximumCharacters =
            figure.legend == .right
            ? Swift.max(4, Int((figure.width - x - 34) / Self.characterWidth)) : 40
        for (index, name) in entries {
            let color = colors[index]?.hex ?? "#000000"
            switch figure.marks[index] {
            case .scatter:
                out.raw("<circle cx=\"\(n(x + 10))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(color)\"/>")
            case .bars, .histogram:
                out.raw(
                    "<rect x=\"\(n(x + 3))\" y=\"\(n(y - 6))\" width=\"14\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.75\"/>"
                )
            case .band:
                out.raw(
                    "<rect x=\"\(n(x))\" y=\"\(n(y - 6))\" width=\"20\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.2\"/>"
                )
                out.raw(
                    "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 20))\" y2=\"\(n(y))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
                )
            case .line(let m):
                out.raw(
                    "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 20))\" y2=\"\(n(y))\" stroke=\"\(color)\" stroke-width=\"2\""
                        + (m.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>")
            default:
                out.raw(
                    "<line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + 20))\" y2=\"\(n(y))\" stroke=\"\(color)\" "
                        + "stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>")
            }
            let label = name.count > maximumCharacters ? String(name.prefix(maximumCharacters - 1)) + "…" : name
            out.text(label, x: x + 26, y: y + 4)
            if figure.legend == .bottom {
                x += 26 + Double(label.count) * Self.characterWidth + 18
            } else {
                y += Self.legendRowHeight
            }
        }
        out.raw("</g>")
    }

    /// A stepped colour scale right of the plot for each heat map, with its range and label.
    func renderColorBars(into out: inout SVGWriter) {
        let n = SVGWriter.number
        for mark in figure.marks {
            guard case .heatmap(let m) = mark, let range = m.valueRange else { continue }
            let x = layout.left + layout.width + 18
            let top = layout.top + 10
            let height = layout.height * 0.7
            let steps = 24
            out.raw("<g class=\"colorbar\">")
            for s in 0..<steps {
                let t = Double(s) / Double(steps - 1)
                let color = PlotColor(m.colormap.color(Float(t))).hex
                let y = top + height - Double(s + 1) * height / Double(steps)
                out.raw(
                    "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"14\" height=\"\(n(height / Double(steps) + 0.5))\" fill=\"\(color)\"/>"
                )
            }
            let step = Swift.abs(range.upperBound - range.lowerBound) / 10
            out.text(
                NiceTicks.label(range.upperBound, step: step), x: x + 18, y: top + 8, attributes: ["font-size": "11"])
            out.text(
                NiceTicks.label(range.lowerBound, step: step), x: x + 18, y: top + height,
                attributes: ["font-size": "11"])
            let cx = x + 7
            let cy = top + height + 16
            out.text(m.label, x: cx, y: cy, attributes: ["text-anchor": "middle", "font-size": "11"])
            out.raw("</g>")
        }
    }
}

extension HeatmapMark {
    /// The values mapped to the colormap's ends: `range`, else the finite values' range (nil: none).
    var valueRange: ClosedRange<Double>? {
        if let range { return range }
        let finite = values.joined().filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return nil }
        return lo...Swift.max(hi, lo + 1e-12)
    }
}
