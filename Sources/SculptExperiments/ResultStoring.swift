import SculptCore

/// A results store: where a spec's runs, trials and series are recorded and read back. The SQLite
/// `ResultStore` is the embedded default; the Fleet trait adds a PostgreSQL one (`PostgresResultStore`)
/// that workers on many machines share. The runner, `sculpt table` and `sculpt report` use only this.
///
/// Semantics both implementations keep: `registerRun` is idempotent; `record` never replaces a
/// done row and replaces a failed one with `attempts` counting up, the trial's series written in the
/// same transaction; readers see only whole transactions.
public protocol ResultStoring: Sendable {
    /// Where the store is, for messages: a file path, or a URL with its password masked.
    var location: String { get }

    /// Records that `spec`'s run exists (idempotent).
    func registerRun(_ spec: ExperimentSpec) throws

    /// Stores a trial's outcome (a done row is never replaced; a failed one is, `attempts` counting up).
    func record(_ record: TrialRecord) throws

    /// The (variant, index) pairs of `runID` that finished.
    func finishedTrials(runID: String) throws -> Set<TrialKey>

    /// All trial rows of `runID`, ordered by variant and index (their `series` left empty).
    func trials(runID: String) throws -> [TrialRecord]

    /// Every stored series of `runID`'s trials, by trial, each trial's in name order.
    func series(runID: String) throws -> [TrialKey: [TrialSeries]]

    /// The ids of the runs registered for a spec named `specName` of trial kind `kind`, oldest first: the
    /// spec's earlier versions (another set of variants gives another run id).
    func runIDs(specName: String, kind: String) throws -> [String]
}

/// How trial rows are written as text, the same in every store: metrics and series as canonical JSON
/// (non-finite values as "nan", "inf", "-inf"), seeds as signed 64-bit integers (they are kept below 2^63).
public enum TrialRowText {
    /// Metrics as a canonical JSON object.
    public static func metrics(_ metrics: [String: Double]) -> String {
        JSONValue.object(metrics.mapValues { .number($0) }).canonicalText
    }

    /// The inverse of `metrics(_:)`.
    public static func metrics(fromText text: String) throws -> [String: Double] {
        guard case .object(let members) = try JSONValue.parse(text) else { return [:] }
        return members.mapValues(TrialSeries.number)
    }

    /// Numbers as a canonical JSON array.
    public static func numbers(_ values: [Double]) -> String {
        JSONValue.array(values.map { .number($0) }).canonicalText
    }

    /// The inverse of `numbers(_:)`.
    public static func numbers(fromText text: String) throws -> [Double] {
        guard case .array(let items) = try JSONValue.parse(text) else { return [] }
        return items.map(TrialSeries.number)
    }

    /// A series read back from its stored x and y texts; throws when their lengths differ.
    public static func series(name: String, x xText: String, y yText: String) throws -> TrialSeries {
        let x = try numbers(fromText: xText), y = try numbers(fromText: yText)
        guard x.count == y.count else {
            throw ConfigError(keyPath: "series.\(name)", reason: "\(x.count) x values but \(y.count) y values")
        }
        return TrialSeries(name: name, x: x, y: y)
    }

    /// Now, UTC, ISO 8601 with milliseconds (`2026-11-22T04:21:07.123Z`): the stores' timestamps.
    public static func now() -> String { Timestamp.now() }

    /// This machine's host name.
    public static func hostName() -> String { Timestamp.hostName() }
}
