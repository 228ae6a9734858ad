/// The metric names a trial kind records, so that a spec's tables can be checked before any
/// trial runs: a misspelled metric is an error, not a column of "-".
public struct MetricNames: Sendable, Equatable {
    /// Names recorded as they are.
    public var fixed: Set<String>
    /// Prefixes recorded with a number after them (`accuracy` for `accuracy0`, `accuracy1`, ...).
    public var numbered: Set<String>

    public init(fixed: [String], numbered: [String] = []) {
        self.fixed = Set(fixed)
        self.numbered = Set(numbered)
    }

    /// Whether `name` is one of these metrics.
    public func contains(_ name: String) -> Bool {
        if fixed.contains(name) { return true }
        let prefix = String(name.reversed().drop { $0.isASCII && $0.isNumber }.reversed())
        return prefix.count < name.count && numbered.contains(prefix)
    }

    /// The names for messages: fixed names, then `PREFIX<N>` patterns, sorted.
    public var listing: String {
        (fixed.sorted() + numbered.sorted().map { $0 + "<N>" }).joined(separator: ", ")
    }
}

extension TrialKind {
    /// The metrics this kind records (nil: not declared, so tables are not checked).
    public var metricNames: MetricNames? { nil }
}

extension TableSpec {
    /// Every metric the table reads, with the key path (inside the table) that names it.
    public var metricReferences: [(keyPath: String, metric: String)] {
        var out: [(String, String)] = []
        if let m = rows.metric { out.append(("rows.metric", m)) }
        for (i, column) in columns.enumerated() {
            if let m = column.metric { out.append(("columns[\(i)].metric", m)) }
            for (j, f) in column.filters.enumerated() { out.append(("columns[\(i)].filters[\(j)]", f.metric)) }
        }
        for (i, comparison) in comparisons.enumerated() {
            for m in comparison.metrics { out.append(("comparisons[\(i)].metrics", m)) }
            for (j, f) in comparison.filters.enumerated() { out.append(("comparisons[\(i)].filters[\(j)]", f.metric)) }
        }
        return out
    }
}
