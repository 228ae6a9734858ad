/// The data extent of a figure's marks on each axis, and the values no axis can place.
struct DataMeasure {
    var x: ClosedRange<Double>?
    var y: ClosedRange<Double>?
    /// NaN or infinite coordinates (a point counts once).
    var nonFinite = 0
    /// Finite values <= 0 on a log axis.
    var nonPositive = 0
    /// Finite histogram values outside the bin edges.
    var outsideBins = 0
    var hasData = false

    /// How many lines the notes under the plot take.
    var noteCount = 0

    init(figure: Figure) {
        var xs: [Double] = []
        var ys: [Double] = []
        let xScale = figure.x.categories == nil ? figure.x.scale : .linear
        let yScale = figure.y.categories == nil ? figure.y.scale : .linear
        func place(_ px: Double, _ py: Double) {
            guard px.isFinite, py.isFinite else {
                nonFinite += 1
                return
            }
            guard xScale == .linear || px > 0, yScale == .linear || py > 0 else {
                nonPositive += 1
                return
            }
            xs.append(px)
            ys.append(py)
            hasData = true
        }
        for mark in figure.marks {
            switch mark {
            case .line(let m): for p in m.points { place(p.x, p.y) }
            case .scatter(let m): for p in m.points { place(p.x, p.y) }
            case .band(let m):
                for i in m.x.indices {
                    place(m.x[i], m.center[i])
                    if m.lower[i].isFinite, m.upper[i].isFinite { ys += [m.lower[i], m.upper[i]] }
                }
            case .bars(let m):
                for (i, v) in m.values.enumerated() {
                    place(Double(i), v)
                    if let e = m.errors?[i], e.isFinite, v.isFinite { ys += [v - e, v + e] }
                }
            case .histogram(let m):
                let (counts, outside) = m.counts()
                nonFinite += m.values.filter { !$0.isFinite }.count
                outsideBins += outside
                if counts.contains(where: { $0 > 0 }) {
                    hasData = true
                    xs += [m.edges[0], m.edges[m.edges.count - 1]]
                    ys += [0, Double(counts.max() ?? 0)]
                }
            case .heatmap(let m):
                for (r, row) in m.values.enumerated() {
                    for (c, v) in row.enumerated() {
                        guard v.isFinite else {
                            nonFinite += 1
                            continue
                        }
                        xs += [Double(c) - 0.5, Double(c) + 0.5]
                        ys += [Double(r) - 0.5, Double(r) + 0.5]
                        hasData = true
                    }
                }
            case .image(let m):
                hasData = true
                xs += [m.x.lowerBound, m.x.upperBound]
                ys += [m.y.lowerBound, m.y.upperBound]
            case .rule(let m):
                if m.orientation == .vertical { xs.append(m.value) } else { ys.append(m.value) }
            }
        }
        x = PlotLayout.extent(xs, scale: xScale)
        y = PlotLayout.extent(ys, scale: yScale)
        noteCount = figure.notes.count + [nonFinite, nonPositive, outsideBins].filter { $0 > 0 }.count
    }
}

/// Builds SVG text: escaped text and attributes, numbers with at most two decimals.
struct SVGWriter {
    private(set) var text = ""

    init() { text.reserveCapacity(4096) }

    mutating func raw(_ s: String) { text += s }

    /// `<name>escaped text</name>`.
    mutating func element(_ name: String, text content: String, attributes: [String: String] = [:]) {
        text += "<\(name)\(Self.attributes(attributes))>\(Self.escape(content))</\(name)>"
    }

    /// A `<text>` at (x, y).
    mutating func text(_ content: String, x: Double, y: Double, attributes: [String: String] = [:]) {
        var all = attributes
        all["x"] = Self.number(x)
        all["y"] = Self.number(y)
        element("text", text: content, attributes: all)
    }

    /// ` key="value"` pairs, sorted by key (stable output).
    static func attributes(_ attributes: [String: String]) -> String {
        attributes.keys.sorted().map { " \($0)=\"\(escape(attributes[$0]!))\"" }.joined()
    }

    /// XML-escaped text (also valid inside attribute values).
    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    /// A coordinate rounded to two decimals, without a trailing ".0".
    static func number(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded(), Swift.abs(r) < 1e15 { return String(Int(r)) }
        return String(r)
    }

    /// Eight hex digits of FNV-1a over `s` (ids that differ between figures of one page).
    static func hash(_ s: String) -> String {
        var h: UInt32 = 0x811c_9dc5
        for byte in s.utf8 { h = (h ^ UInt32(byte)) &* 0x0100_0193 }
        let digits = Array("0123456789abcdef")
        return String((0..<8).map { digits[Int((h >> (28 - 4 * UInt32($0))) & 15)] })
    }
}

/// Escaping for XML and HTML text and attribute values.
public enum MarkupText {
    /// `s` with `& < > " '` escaped.
    public static func escape(_ s: String) -> String {
        guard s.contains(where: { "&<>\"'".contains($0) }) else { return s }
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
