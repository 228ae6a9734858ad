import SculptCore
import SculptData

extension ExperimentSpec {
    /// Reads and validates the spec at `path`: every key known, every value possible, the kind
    /// in `catalog` and every variant's config accepted by the kind. Throws `SpecError`.
    public static func load(path: String, catalog: TrialKindCatalog) throws -> ExperimentSpec {
        let bytes: [UInt8]
        do { bytes = try readFileBytes(path) } catch {
            throw SpecError(file: path, keyPath: "", reason: "cannot read: \(error)")
        }
        return try parse(bytes, file: path, catalog: catalog)
    }

    /// Parses and validates spec JSON text; `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String, catalog: TrialKindCatalog) throws -> ExperimentSpec {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw SpecError(file: file, keyPath: "", reason: "not valid JSON: \(Self.shortJSONError(error))")
        }
        do {
            return try parse(document, file: file, catalog: catalog)
        } catch let e as ConfigError {
            throw SpecError(file: file, keyPath: e.keyPath, reason: e.reason)
        }
    }

    private static func parse(_ document: JSONValue, file: String, catalog: TrialKindCatalog) throws -> ExperimentSpec {
        let top = try ConfigReader(document)
        let name = try top.string("name")
        guard !name.isEmpty else { throw ConfigError(keyPath: "name", reason: "must not be empty") }
        let description = top.contains("description") ? try top.string("description") : nil
        let kindName = try top.string("kind")
        let kind = try catalog.kind(named: kindName)
        let seedValue = try top.double("seed", default: 0, range: 0...9_007_199_254_740_991)
        guard seedValue == seedValue.rounded() else {
            throw ConfigError(keyPath: "seed", reason: "expected an integer, found \(seedValue)")
        }
        let trials = try top.int("trials", minimum: 1, maximum: Self.maxTrials)
        let pairedSeeds = try top.bool("pairedSeeds", default: false)
        let config = top.value("config") ?? .object([:])
        guard case .object = config else {
            throw ConfigError(keyPath: "config", reason: "expected an object, found \(config.typeName)")
        }

        let variants = try parseVariants(top, config: config, trials: trials)

        var tables: [TableSpec] = []
        if top.contains("tables") {
            for (path, item) in try top.array("tables") {
                tables.append(try parseTable(item, path: path, variants: variants.map(\.name)))
            }
        }
        let figures = try parseFigures(top, variants: variants.map(\.name))
        for (i, table) in tables.enumerated() {
            for (j, comparison) in table.comparisons.enumerated() where comparison.test.isPaired && !comparison.withinTrial && !pairedSeeds {
                throw ConfigError(
                    keyPath: "tables[\(i)].comparisons[\(j)].test",
                    reason: "\(comparison.test.rawValue) pairs trial i of both "
                        + "rows, which start from the same seed only when the spec sets \"pairedSeeds\": true")
            }
        }
        let findings = try parseFindings(top, tables: tables)
        try top.finish()
        guard variants.reduce(0, { $0 + $1.trials }) <= Self.maxTrials else {
            throw ConfigError(keyPath: "trials", reason: "the variants hold more than \(Self.maxTrials) trials in all")
        }
        try checkMetrics(of: tables, kind: kind)

        // The kind checks each resolved config; its key paths are inside the config.
        for (i, variant) in variants.enumerated() {
            do { try kind.validate(config: variant.config) } catch let e as ConfigError {
                let prefix = top.contains("variants") ? "variants[\(i)].config" : "config"
                throw ConfigError(keyPath: ConfigReader.join(prefix, e.keyPath),
                                  reason: e.reason + " (variant \"\(variant.name)\", kind \"\(kindName)\")")
            } catch {
                throw ConfigError(keyPath: top.contains("variants") ? "variants[\(i)].config" : "config",
                                  reason: "\(error) (variant \"\(variant.name)\", kind \"\(kindName)\")")
            }
        }
        var spec = ExperimentSpec(
            file: file, name: name, description: description, kind: kindName, seed: UInt64(seedValue),
                                  config: config, variants: variants, tables: tables, pairedSeeds: pairedSeeds)
        spec.figures = figures
        spec.findings = findings
        return spec
    }

    /// The spec's variants (one "default" variant when it lists none), each with its resolved config.
    private static func parseVariants(_ top: ConfigReader, config: JSONValue, trials: Int) throws -> [Variant] {
        var variants: [Variant] = []
        if top.contains("variants") {
            let items = try top.array("variants")
            guard !items.isEmpty else {
                throw ConfigError(keyPath: "variants", reason: "must list at least one variant")
            }
            for (path, item) in items {
                let r = try ConfigReader(item, path: path)
                let variantName = try r.string("name")
                guard !variantName.isEmpty else {
                    throw ConfigError(keyPath: r.keyPath("name"), reason: "must not be empty")
                }
                if variants.contains(where: { $0.name == variantName }) {
                    throw ConfigError(keyPath: r.keyPath("name"), reason: "duplicate variant name \"\(variantName)\"")
                }
                let overrides = r.value("config") ?? .object([:])
                guard case .object = overrides else {
                    throw ConfigError(
                        keyPath: r.keyPath("config"), reason: "expected an object, found \(overrides.typeName)")
                }
                let count = try r.int("trials", default: trials, minimum: 1, maximum: Self.maxTrials)
                try r.finish()
                variants.append(
                    Variant(name: variantName, overrides: overrides, config: config.merging(overrides), trials: count))
            }
        } else {
            variants = [Variant(name: "default", overrides: .object([:]), config: config, trials: trials)]
        }
        return variants
    }

    /// The most trials a spec may hold (over all variants).
    public static let maxTrials = 1_000_000

    /// Rejects table metrics the kind does not record (when it declares its metrics).
    private static func checkMetrics(of tables: [TableSpec], kind: any TrialKind) throws {
        guard let names = kind.metricNames else { return }
        for (i, table) in tables.enumerated() {
            for reference in table.metricReferences {
                // A ratio column (`a / b`) records nothing of its own: both of its metrics must be known.
                let metrics = ExperimentTable.ratioOperands(reference.metric).map { [$0.0, $0.1] } ?? [reference.metric]
                guard metrics.contains(where: { !names.contains($0) }) else { continue }
                throw ConfigError(keyPath: "tables[\(i)].\(reference.keyPath)",
                    reason: "unknown metric \"\(reference.metric)\" (kind \"\(kind.name)\" records \(names.listing))")
            }
        }
    }

    private static func parseTable(_ value: JSONValue, path: String, variants: [String]) throws -> TableSpec {
        let r = try ConfigReader(value, path: path)
        let title = try r.string("title")
        var rows = RowGrouping()
        if r.contains("rows") {
            let rr = try r.object("rows")
            rows.metric = rr.contains("metric") ? try rr.string("metric") : nil
            if rr.contains("variants") {
                let names = try rr.array("variants").map { path, item in
                    guard case .string(let s) = item else {
                        throw ConfigError(keyPath: path, reason: "expected a variant name, found \(item.typeName)")
                    }
                    guard variants.contains(s) else {
                        throw ConfigError(
                            keyPath: path,
                            reason: "unknown variant \"\(s)\" (expected one of: \(variants.joined(separator: ", ")))")
                    }
                    return s
                }
                guard !names.isEmpty else {
                    throw ConfigError(keyPath: rr.keyPath("variants"), reason: "must name at least one variant")
                }
                rows.variants = names
            }
            if rr.contains("label") {
                guard rows.metric != nil else {
                    let hint = rr.contains("groups") ? "each group has its own" : "add \"metric\""
                    throw ConfigError(keyPath: rr.keyPath("label"), reason: "only metric rows take a label (\(hint))")
                }
                rows.label = try rr.string("label")
            }
            if rr.contains("groups") {
                for key in ["metric", "variants"] where rr.contains(key) {
                    throw ConfigError(
                        keyPath: rr.keyPath("groups"),
                        reason: "cannot be combined with \"\(key)\" (each group names its variants)")
                }
                rows.groups = try parseRowGroups(rr, variants: variants)
            }
            try rr.finish()
        }
        var columns: [ColumnSpec] = []
        for (columnPath, item) in try r.array("columns") {
            columns.append(try parseColumn(item, path: columnPath))
        }
        guard !columns.isEmpty else {
            throw ConfigError(keyPath: r.keyPath("columns"), reason: "must list at least one column")
        }
        var comparisons: [ComparisonSpec] = []
        if r.contains("comparisons") {
            let items = try r.array("comparisons")
            guard !items.isEmpty else {
                throw ConfigError(keyPath: r.keyPath("comparisons"), reason: "must list at least one comparison")
            }
            for (comparisonPath, item) in items {
                comparisons.append(
                    try parseComparison(item, path: comparisonPath, rowLabels: rows.labels(allVariants: variants)))
            }
        }
        let paper = try parsePaperTable(
            r, columns: ["n"] + columns.map(\.title), rows: rows.labels(allVariants: variants))
        let protocolNote = r.contains("protocol") ? try r.string("protocol") : nil
        try r.finish()
        var table = TableSpec(title: title, rows: rows, columns: columns, comparisons: comparisons)
        table.paper = paper
        table.protocolNote = protocolNote
        return table
    }

    /// `rows.groups`: labelled lists of known variants, labels unique.
    private static func parseRowGroups(_ rows: ConfigReader, variants: [String]) throws -> [RowGroup] {
        var groups: [RowGroup] = []
        for (path, item) in try rows.array("groups") {
            let g = try ConfigReader(item, path: path)
            let label = try g.string("label")
            guard !label.isEmpty else { throw ConfigError(keyPath: g.keyPath("label"), reason: "must not be empty") }
            if groups.contains(where: { $0.label == label }) {
                throw ConfigError(keyPath: g.keyPath("label"), reason: "duplicate group label \"\(label)\"")
            }
            var names: [String] = []
            for (variantPath, variant) in try g.array("variants") {
                guard case .string(let name) = variant else {
                    throw ConfigError(
                        keyPath: variantPath, reason: "expected a variant name, found \(variant.typeName)")
                }
                guard variants.contains(name) else {
                    throw ConfigError(
                        keyPath: variantPath,
                        reason: "unknown variant \"\(name)\" (expected one of: \(variants.joined(separator: ", ")))")
                }
                guard !names.contains(name) else {
                    throw ConfigError(keyPath: variantPath, reason: "variant \"\(name)\" listed twice")
                }
                names.append(name)
            }
            guard !names.isEmpty else {
                throw ConfigError(keyPath: g.keyPath("variants"), reason: "must name at least one variant")
            }
            try g.finish()
            groups.append(RowGroup(label: label, variants: names))
        }
        guard !groups.isEmpty else {
            throw ConfigError(keyPath: rows.keyPath("groups"), reason: "must list at least one group")
        }
        return groups
    }

    /// One of `tables[].comparisons`; `rowLabels` are the table's row labels when known before
    /// any trial runs (not for metric rows).
    private static func parseComparison(_ value: JSONValue, path: String, rowLabels: [String]?) throws -> ComparisonSpec
    {
        let c = try ConfigReader(value, path: path)
        let title = try c.string("title")
        if c.contains("pair") { return try parseWithinTrialComparison(c, title: title, rowLabels: rowLabels) }
        if c.contains("row") {
            throw ConfigError(
                keyPath: c.keyPath("row"),
                reason: "goes with \"pair\" (two metrics compared within one row's trials); two rows are compared with \"rows\"")
        }
        let metrics: [String]
        switch (c.contains("metric"), c.contains("metrics")) {
        case (true, true):
            throw ConfigError(
                keyPath: c.keyPath("metrics"), reason: "cannot be combined with \"metric\" (use one of them)")
        case (true, false):
            metrics = [try c.string("metric")]
        case (false, true):
            metrics = try c.array("metrics").map { metricPath, item in
                guard case .string(let name) = item else {
                    throw ConfigError(keyPath: metricPath, reason: "expected a metric name, found \(item.typeName)")
                }
                return name
            }
            guard !metrics.isEmpty else {
                throw ConfigError(keyPath: c.keyPath("metrics"), reason: "must name at least one metric")
            }
        case (false, false):
            throw ConfigError(keyPath: c.keyPath("metric"), reason: "missing required key (or \"metrics\")")
        }
        let rows = try twoDifferentNames(c, "rows", noun: "row", item: "a row label", allowed: rowLabels)
        let filters = try parseFilters(c)
        let test = ComparisonSpec.Test(rawValue: try c.string("test", default: ComparisonSpec.Test.mannWhitney.rawValue,
                                                              allowed: ComparisonSpec.Test.allCases.map(\.rawValue)))
        try c.finish()
        return ComparisonSpec(title: title, metrics: metrics, rows: rows, filters: filters, test: test ?? .mannWhitney)
    }

    /// The two different names listed under `key` (a comparison's rows, or its pair of metrics), each
    /// one of `allowed` when given.
    private static func twoDifferentNames(_ c: ConfigReader, _ key: String, noun: String, item: String,
                                          allowed: [String]?) throws -> [String] {
        let items = try c.array(key)
        guard items.count == 2 else {
            throw ConfigError(keyPath: c.keyPath(key), reason: "must name exactly two \(noun)s, found \(items.count)")
        }
        var names: [String] = []
        for (path, value) in items {
            guard case .string(let name) = value else {
                throw ConfigError(keyPath: path, reason: "expected \(item), found \(value.typeName)")
            }
            try requireKnown(name, noun: noun, allowed: allowed, keyPath: path)
            guard !names.contains(name) else {
                throw ConfigError(keyPath: path, reason: "compares \(noun) \"\(name)\" with itself")
            }
            names.append(name)
        }
        return names
    }

    /// Throws naming `name` as an unknown `noun` when `allowed` is given and lacks it.
    private static func requireKnown(_ name: String, noun: String, allowed: [String]?, keyPath: String) throws {
        if let allowed, !allowed.contains(name) {
            throw ConfigError(
                keyPath: keyPath,
                reason: "unknown \(noun) \"\(name)\" (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    /// A comparison of two metrics within each trial of one row: `{"title", "row", "pair": [a, b],
    /// "test": "paired-t" | "wilcoxon", "where"}`.
    private static func parseWithinTrialComparison(_ c: ConfigReader, title: String, rowLabels: [String]?) throws
        -> ComparisonSpec
    {
        for key in ["metric", "metrics", "rows"] where c.contains(key) {
            throw ConfigError(
                keyPath: c.keyPath(key),
                reason: "cannot be combined with \"pair\" (a pair compares two metrics within the trials of one \"row\")")
        }
        let metrics = try twoDifferentNames(c, "pair", noun: "metric", item: "a metric name", allowed: nil)
        let row = try c.string("row")
        try requireKnown(row, noun: "row", allowed: rowLabels, keyPath: c.keyPath("row"))
        let filters = try parseFilters(c)
        let paired = ComparisonSpec.Test.allCases.filter(\.isPaired).map(\.rawValue)
        let test = ComparisonSpec.Test(
            rawValue: try c.string("test", default: ComparisonSpec.Test.pairedT.rawValue, allowed: paired))
        try c.finish()
        return ComparisonSpec(title: title, metrics: metrics, rows: [row], filters: filters, test: test ?? .pairedT,
                              withinTrial: true)
    }

    private static func parseColumn(_ value: JSONValue, path: String) throws -> ColumnSpec {
        let c = try ConfigReader(value, path: path)
        let title = try c.string("title")
        let aggregateName = try c.string("aggregate", allowed: Aggregate.allCases.map(\.rawValue))
        let aggregate = Aggregate(rawValue: aggregateName)!
        let metric = c.contains("metric") ? try c.string("metric") : nil
        if aggregate.needsMetric, metric == nil {
            throw ConfigError(
                keyPath: c.keyPath("metric"),
                reason: "missing required key (aggregate \"\(aggregateName)\" needs a metric)")
        }
        let filters = try parseFilters(c)
        var format = NumberFormat.defaultFor(aggregate)
        if c.contains("format") {
            format.style = NumberFormat.Style(
                rawValue: try c.string("format", allowed: NumberFormat.Style.allCases.map(\.rawValue)))!
        }
        format.digits = try c.int("digits", default: format.digits, minimum: 0, maximum: 12)
        try c.finish()
        return ColumnSpec(title: title, metric: metric, aggregate: aggregate, filters: filters, format: format)
    }

    /// The `where` conditions of a column or comparison: one string or an array of them.
    private static func parseFilters(_ c: ConfigReader) throws -> [MetricFilter] {
        guard let raw = c.value("where") else { return [] }
        let items: [(String, JSONValue)]
        switch raw {
        case .string: items = [(c.keyPath("where"), raw)]
        case .array: items = try c.array("where")
        default:
            throw ConfigError(
                keyPath: c.keyPath("where"),
                reason: "expected a condition string or an array of them, found \(raw.typeName)")
        }
        return try items.map { itemPath, item in
            guard case .string(let text) = item else {
                throw ConfigError(keyPath: itemPath, reason: "expected a condition string, found \(item.typeName)")
            }
            do { return try MetricFilter(parsing: text) } catch let e as ConfigError { throw e.prefixed(itemPath) }
        }
    }

    /// The useful part of a JSONDecoder error.
    private static func shortJSONError(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? CustomStringConvertible)?.description
            return underlying.map { "\(context.debugDescription) (\($0))" } ?? context.debugDescription
        }
        return "\(error)"
    }
}
