#if canImport(Foundation)
import Foundation
#endif

/// Drawing each kind of mark in data coordinates.
extension SVGRenderer {
    func renderMark(_ mark: Mark, index: Int, color: PlotColor?, into out: inout SVGWriter) {
        let hex = color?.hex ?? "#000000"
        switch mark {
        case .line(let m):
            out.raw(path(m.points, stroke: hex, width: 2, dashed: m.dashed))
            if m.markers { dots(m.points, fill: hex, radius: 2.5, into: &out) }
        case .band(let m):
            bandArea(m, fill: hex, into: &out)
            let centre = zip(m.x, m.center).map { PlotPoint(x: $0, y: $1) }
            out.raw(path(centre, stroke: hex, width: 2, dashed: false))
            if m.markers { dots(centre, fill: hex, radius: 2.5, into: &out) }
        case .scatter(let m):
            dots(m.points, fill: hex, radius: m.radius, into: &out)
        case .bars(let m):
            bars(m, index: index, fill: hex, into: &out)
        case .histogram(let m):
            histogram(m, index: index, fill: hex, into: &out)
        case .heatmap(let m):
            heatmap(m, into: &out)
        case .image(let m):
            image(m, into: &out)
        case .rule(let m):
            rule(m, stroke: hex, into: &out)
        }
    }

    /// A path through the placeable points; a point no axis can place breaks it.
    private func path(_ points: [PlotPoint], stroke: String, width: Double, dashed: Bool) -> String {
        var d = ""
        var pen = false
        for p in points {
            guard let (x, y) = layout.pixel(x: p.x, y: p.y) else {
                pen = false
                continue
            }
            d += (pen ? "L" : "M") + SVGWriter.number(x) + " " + SVGWriter.number(y)
            pen = true
        }
        guard !d.isEmpty else { return "" }
        return
            "<path class=\"line\" d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(SVGWriter.number(width))\" "
            + "stroke-linejoin=\"round\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>"
    }

    private func dots(_ points: [PlotPoint], fill: String, radius: Double, into out: inout SVGWriter) {
        for p in points {
            guard let (x, y) = layout.pixel(x: p.x, y: p.y) else { continue }
            out.raw(
                "<circle class=\"point\" cx=\"\(SVGWriter.number(x))\" cy=\"\(SVGWriter.number(y))\" "
                    + "r=\"\(SVGWriter.number(radius))\" fill=\"\(fill)\"/>")
        }
    }

    /// The band as one polygon per run of placeable x values.
    private func bandArea(_ m: BandMark, fill: String, into out: inout SVGWriter) {
        var runs: [[(x: Double, low: Double, high: Double)]] = [[]]
        for i in m.x.indices {
            if let x = layout.x.pixel(m.x[i]), let low = layout.y.pixel(m.lower[i]),
                let high = layout.y.pixel(m.upper[i])
            {
                runs[runs.count - 1].append((x, low, high))
            } else if !(runs.last?.isEmpty ?? true) {
                runs.append([])
            }
        }
        for run in runs where !run.isEmpty {
            let upper = run.map { SVGWriter.number($0.x) + "," + SVGWriter.number($0.high) }
            let lower = run.reversed().map { SVGWriter.number($0.x) + "," + SVGWriter.number($0.low) }
            out.raw(
                "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(fill)\" "
                    + "fill-opacity=\"0.2\" stroke=\"none\"/>")
        }
    }

    /// The baseline pixel of bars: zero, or the bottom of a log axis.
    private var baseline: Double {
        layout.y.pixel(layout.y.scale == .log ? layout.y.domain.lowerBound : 0) ?? (layout.top + layout.height)
    }

    /// Bar mark `index` takes its slot among the figure's bar marks, side by side within each category.
    private func bars(_ m: BarMark, index: Int, fill: String, into out: inout SVGWriter) {
        func isBars(_ mark: Mark) -> Bool { if case .bars = mark { true } else { false } }
        let slot = figure.marks[..<index].filter(isBars).count
        let width = 0.8 / Double(Swift.max(1, figure.marks.filter(isBars).count))
        let n = SVGWriter.number
        for (i, v) in m.values.enumerated() {
            let centre = Double(i) - 0.4 + (Double(slot) + 0.5) * width
            guard let x0 = layout.x.pixel(centre - width / 2), let x1 = layout.x.pixel(centre + width / 2),
                let y = layout.y.pixel(v)
            else { continue }
            out.raw(
                "<rect class=\"bar\" x=\"\(n(x0))\" y=\"\(n(Swift.min(y, baseline)))\" width=\"\(n(x1 - x0))\" "
                    + "height=\"\(n(Swift.abs(baseline - y)))\" fill=\"\(fill)\" fill-opacity=\"0.85\"/>")
            guard let e = m.errors?[i], e.isFinite, e > 0,
                let top = layout.y.pixel(v + e), let xc = layout.x.pixel(centre)
            else { continue }
            let bottom = layout.y.pixel(v - e) ?? baseline
            let cap = Swift.min(6, (x1 - x0) / 3)
            out.raw(
                "<path class=\"error\" d=\"M\(n(xc)) \(n(bottom))L\(n(xc)) \(n(top))M\(n(xc - cap)) \(n(top))"
                    + "L\(n(xc + cap)) \(n(top))M\(n(xc - cap)) \(n(bottom))L\(n(xc + cap)) \(n(bottom))\" "
                    + "stroke=\"#222222\" stroke-width=\"1.2\" fill=\"none\"/>")
        }
    }

    /// Several histograms share each bin side by side (histogram `index` takes its slot), so none hides another.
    private func histogram(_ m: HistogramMark, index: Int, fill: String, into out: inout SVGWriter) {
        func isHistogram(_ mark: Mark) -> Bool { if case .histogram = mark { true } else { false } }
        let slots = Double(Swift.max(1, figure.marks.filter(isHistogram).count))
        let slot = Double(figure.marks[..<index].filter(isHistogram).count)
        let counts = m.counts().counts
        let n = SVGWriter.number
        for (i, count) in counts.enumerated() where count > 0 {
            guard let left = layout.x.pixel(m.edges[i]), let right = layout.x.pixel(m.edges[i + 1]),
                let y = layout.y.pixel(Double(count))
            else { continue }
            let width = (right - left) / slots
            let x0 = left + slot * width
            out.raw(
                "<rect class=\"bin\" x=\"\(n(x0))\" y=\"\(n(y))\" width=\"\(n(width))\" height=\"\(n(baseline - y))\" "
                    + "fill=\"\(fill)\" fill-opacity=\"0.8\" stroke=\"#ffffff\" stroke-width=\"0.5\"/>")
        }
    }

    private func heatmap(_ m: HeatmapMark, into out: inout SVGWriter) {
        let range = m.valueRange ?? 0...1
        let n = SVGWriter.number
        for (r, row) in m.values.enumerated() {
            for (c, v) in row.enumerated() {
                guard let x0 = layout.x.pixel(Double(c) - 0.5), let x1 = layout.x.pixel(Double(c) + 0.5),
                    let y0 = layout.y.pixel(Double(r) + 0.5), let y1 = layout.y.pixel(Double(r) - 0.5)
                else { continue }
                let t = (v - range.lowerBound) / (range.upperBound - range.lowerBound)
                let color = v.isFinite ? PlotColor(m.colormap.color(Float(t))).hex : "#dddddd"
                out.raw(
                    "<rect class=\"cell\" x=\"\(n(x0))\" y=\"\(n(y0))\" width=\"\(n(x1 - x0 + 0.3))\" "
                        + "height=\"\(n(y1 - y0 + 0.3))\" fill=\"\(color)\"/>")
            }
        }
    }

    private func image(_ m: ImageMark, into out: inout SVGWriter) {
        guard let x0 = layout.x.pixel(m.x.lowerBound), let x1 = layout.x.pixel(m.x.upperBound),
            let y0 = layout.y.pixel(m.y.upperBound), let y1 = layout.y.pixel(m.y.lowerBound)
        else { return }
        let n = SVGWriter.number
        out.raw(
            "<image x=\"\(n(x0))\" y=\"\(n(y0))\" width=\"\(n(x1 - x0))\" height=\"\(n(y1 - y0))\" "
                + "preserveAspectRatio=\"none\"" + (m.pixelated ? " style=\"image-rendering:pixelated\"" : "")
                + " href=\"data:image/png;base64,\(Data(m.png).base64EncodedString())\"/>")
    }

    private func rule(_ m: RuleMark, stroke: String, into out: inout SVGWriter) {
        let n = SVGWriter.number
        let dash = m.dashed ? " stroke-dasharray=\"5 4\"" : ""
        switch m.orientation {
        case .vertical:
            guard let x = layout.x.pixel(m.value) else { return }
            out.raw(
                "<line class=\"rule\" x1=\"\(n(x))\" y1=\"\(n(layout.top))\" x2=\"\(n(x))\" y2=\"\(n(layout.top + layout.height))\" "
                    + "stroke=\"\(stroke)\" stroke-width=\"1.2\"\(dash)/>")
            if let label = m.label {
                out.text(
                    label, x: x + 3, y: layout.top + 4,
                    attributes: [
                        "font-size": "10", "fill": stroke, "transform": "rotate(90 \(n(x + 3)) \(n(layout.top + 4)))",
                    ])
            }
        case .horizontal:
            guard let y = layout.y.pixel(m.value) else { return }
            out.raw(
                "<line class=\"rule\" x1=\"\(n(layout.left))\" y1=\"\(n(y))\" x2=\"\(n(layout.left + layout.width))\" y2=\"\(n(y))\" "
                    + "stroke=\"\(stroke)\" stroke-width=\"1.2\"\(dash)/>")
            if let label = m.label {
                out.text(
                    label, x: layout.left + layout.width - 4, y: y - 4,
                    attributes: [
                        "font-size": "10", "fill": stroke,
                        "text-anchor": "end",
                    ])
            }
        }
    }
}
