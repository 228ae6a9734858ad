import SculptCore

/// Parsing of the report parts of a spec: `figures`, `findings` and each table's `paper`.
extension ExperimentSpec {
    /// `figures`: the declared figures (none when absent).
    static func parseFigures(_ top: ConfigReader, variants: [String]) throws -> [FigureSpec] {
        guard top.contains("figures") else { return [] }
        return try top.array("figures").map { path, item in try parseFigure(item, path: path, variants: variants) }
    }

    private static func parseFigure(_ value: JSONValue, path: String, variants: [String]) throws -> FigureSpec {
        let r = try ConfigReader(value, path: path)
        let kind = FigureSpec.Kind(rawValue: try r.string("kind", allowed: FigureSpec.Kind.allCases.map(\.rawValue)))!
        var figure = FigureSpec(
            kind: kind, title: try r.string("title"),
            xAxis: try parseAxis(r, "xAxis"), yAxis: try parseAxis(r, "yAxis"))
        figure.caption = r.contains("caption") ? try r.string("caption") : nil
        figure.x = r.contains("x") ? try r.string("x") : nil
        figure.y = r.contains("y") ? try r.string("y") : nil
        switch kind {
        case .line where figure.x == nil || figure.y == nil, .series where figure.x == nil:
            throw ConfigError(
                keyPath: r.keyPath(figure.x == nil ? "x" : "y"),
                reason: "missing required key (a \(kind.rawValue) figure needs it)")
        case .histogram where figure.y == nil, .bars where figure.y == nil:
            throw ConfigError(
                keyPath: r.keyPath("y"), reason: "missing required key (the metric a \(kind.rawValue) figure shows)")
        default: break
        }
        if r.contains("indices") { figure.indices = try r.ints("indices") }
        figure.band = try r.string("band", default: "sd", allowed: [BandChoice.sd, BandChoice.ci95])
        if let bins = r.value("bins") {
            switch bins {
            case .string("integers"): figure.bins = .integers
            case .number: figure.bins = .count(try r.int("bins", minimum: 1, maximum: 1000))
            default: throw ConfigError(keyPath: r.keyPath("bins"), reason: "expected \"integers\" or a number of bins")
            }
        }
        figure.logLinearFit = try r.string("fit", default: "none", allowed: ["none", "log-linear"]) == "log-linear"
        figure.panels = try r.int("panels", default: 3, minimum: 1, maximum: 50)
        figure.operations = r.contains("operations") ? try r.string("operations") : nil
        figure.lines = try parseLines(r, variants: variants)
        if r.contains("paper") {
            figure.paper = try r.array("paper").map { path, item in
                let p = try ConfigReader(item, path: path)
                let curve = PaperCurve(label: try p.string("label"), x: try numbers(p, "x"), y: try numbers(p, "y"))
                guard curve.x.count == curve.y.count else {
                    throw ConfigError(
                        keyPath: p.keyPath("y"), reason: "\(curve.y.count) values for \(curve.x.count) x values")
                }
                try p.finish()
                return curve
            }
        }
        try r.finish()
        return figure
    }

    /// The band names a spec may use.
    enum BandChoice {
        static let sd = "sd", ci95 = "95% CI"
    }

    private static func parseAxis(_ r: ConfigReader, _ key: String) throws -> AxisSpec {
        let a = try r.object(key)
        let axis = AxisSpec(
            label: try a.string("label"), unit: a.contains("unit") ? try a.string("unit") : nil,
            log: try a.bool("log", default: false))
        try a.finish()
        return axis
    }

    /// A figure's `lines`, each naming known variants; absent: one line per variant.
    private static func parseLines(_ r: ConfigReader, variants: [String]) throws -> [LineSpec] {
        guard r.contains("lines") else { return variants.map { LineSpec(label: $0, variants: [$0]) } }
        let lines = try r.array("lines").map { path, item in
            let l = try ConfigReader(item, path: path)
            let names = try l.array("variants").map { variantPath, v -> String in
                guard case .string(let name) = v, variants.contains(name) else {
                    throw ConfigError(
                        keyPath: variantPath,
                        reason:
                            "unknown variant \(v.canonicalText) (expected one of: \(variants.joined(separator: ", ")))")
                }
                return name
            }
            guard !names.isEmpty else {
                throw ConfigError(keyPath: l.keyPath("variants"), reason: "must name at least one variant")
            }
            var line = LineSpec(label: try l.string("label"), variants: names)
            line.x = l.contains("x") ? try l.string("x") : nil
            line.y = l.contains("y") ? try l.string("y") : nil
            if l.contains("where") {
                let conditions: [(String, JSONValue)] =
                    try l.value("where").map { raw in
                        if case .string = raw { return [(l.keyPath("where"), raw)] }
                        return try l.array("where")
                    } ?? []
                line.filters = try conditions.map { p, item in
                    guard case .string(let text) = item else {
                        throw ConfigError(keyPath: p, reason: "expected a condition string")
                    }
                    do { return try MetricFilter(parsing: text) } catch let e as ConfigError { throw e.prefixed(p) }
                }
            }
            try l.finish()
            return line
        }
        guard !lines.isEmpty else {
            throw ConfigError(keyPath: r.keyPath("lines"), reason: "must list at least one line")
        }
        return lines
    }

    private static func numbers(_ r: ConfigReader, _ key: String) throws -> [Double] {
        try r.array(key).map { path, item in
            guard case .number(let v) = item else {
                throw ConfigError(keyPath: path, reason: "expected a number, found \(item.typeName)")
            }
            return v
        }
    }

    /// `findings`: the paper's claims with our verdicts (none when absent); each test names a
    /// comparison of some table.
    static func parseFindings(_ top: ConfigReader, tables: [TableSpec]) throws -> [FindingSpec] {
        guard top.contains("findings") else { return [] }
        let comparisons = Set(tables.flatMap { $0.comparisons.map(\.title) })
        return try top.array("findings").map { path, item in
            let f = try ConfigReader(item, path: path)
            var finding = FindingSpec(
                claim: try f.string("claim"), verdict: try f.string("verdict", allowed: FindingSpec.verdicts))
            if f.contains("tests") {
                finding.tests = try f.array("tests").map { testPath, t in
                    guard case .string(let title) = t, comparisons.contains(title) else {
                        throw ConfigError(
                            keyPath: testPath,
                            reason: "no table comparison titled \(t.canonicalText) "
                                + "(expected one of: \(comparisons.sorted().joined(separator: ", ")))")
                    }
                    return title
                }
            }
            finding.note = f.contains("note") ? try f.string("note") : nil
            try f.finish()
            return finding
        }
    }

    /// A table's `paper` object: `{"source": "...", "rows": {"row label": {"column title": value}}}`,
    /// each value a number or text, each row and column one the table has.
    static func parsePaperTable(_ r: ConfigReader, columns: [String], rows: [String]?) throws -> PaperTable? {
        guard r.contains("paper") else { return nil }
        let p = try r.object("paper")
        let source = try p.string("source")
        let rowsReader = try p.object("rows")
        guard case .object(let members)? = p.value("rows") else { return nil }
        var values: [String: [String: String]] = [:]
        for (label, cells) in members {
            if let rows, !rows.contains(label) {
                throw ConfigError(
                    keyPath: rowsReader.keyPath(label),
                    reason: "unknown row (expected one of: \(rows.joined(separator: ", ")))")
            }
            guard case .object(let byColumn) = cells else {
                throw ConfigError(
                    keyPath: rowsReader.keyPath(label), reason: "expected an object of column title -> value")
            }
            for (column, cell) in byColumn {
                let cellPath = ConfigReader.join(rowsReader.keyPath(label), column)
                guard columns.contains(column) else {
                    throw ConfigError(
                        keyPath: cellPath,
                        reason: "unknown column (expected one of: \(columns.joined(separator: ", ")))")
                }
                switch cell {
                case .number(let v): values[label, default: [:]][column] = JSONValue.numberText(v)
                case .string(let s): values[label, default: [:]][column] = s
                default:
                    throw ConfigError(keyPath: cellPath, reason: "expected a number or text, found \(cell.typeName)")
                }
            }
        }
        try p.finish()
        return PaperTable(source: source, values: values)
    }
}
