import SculptCore

/// One kind of trial an experiment can run (for example "painting-linear-layers").
///
/// A kind is a value type with no state of its own: `run` may be called from several threads
/// at once (in-process runs) or in a fresh worker process per trial (`sculpt run`).
public protocol TrialKind: Sendable {
    /// The name a spec's `kind` key uses.
    var name: String { get }

    /// Checks a config before any trial runs; throws `ConfigError` with the key path inside
    /// the config (`ConfigReader` does this for you) for a missing, unknown or impossible value.
    func validate(config: JSONValue) throws

    /// Runs one trial. The same config and seed must give the same metrics (one BLAS thread).
    /// A thrown error marks the trial failed with the error's description; it is retried on
    /// the next run of the spec.
    func run(config: JSONValue, seed: UInt64) throws -> TrialResult

    /// Runs one trial keeping its recipe's run folder (`RecipeRunFolder`'s layout) in `folder`:
    /// a kind that can resume saves its progress there and, finding progress from an earlier
    /// attempt of the same job (the executor wipes any other job's), continues from it, ending
    /// with the metrics an uninterrupted run gives. By default `folder` is ignored.
    func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult

    /// Whether `run(config:seed:folder:)` keeps progress in its folder and resumes from it. Only such kinds get a
    /// working folder from `sculpt run` and `sculpt worker` (for any other kind it would be disk work for nothing).
    var resumes: Bool { get }

    /// The metrics `run` records, against which specs' tables are checked (nil: not declared).
    var metricNames: MetricNames? { get }

    /// The version of what `run` computes: raise it when the same config and seed would give different
    /// results, so that a fleet's workers of different builds never mix results (`sculpt worker` refuses
    /// trials enqueued under another version).
    var version: Int { get }
}

extension TrialKind {
    /// Version 1 unless a kind says otherwise.
    public var version: Int { 1 }

    /// A kind does not resume unless it says so.
    public var resumes: Bool { false }

    /// Runs from scratch: a kind that does not resume ignores its folder.
    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        try run(config: config, seed: seed)
    }
}

/// What one trial measured.
public struct TrialResult: Sendable, Equatable {
    /// Named numbers that tables aggregate (non-finite values are stored as "nan"/"inf").
    public var metrics: [String: Double]
    /// Anything else worth keeping (a summary text, a JSON structure); stored, never aggregated.
    public var details: JSONValue?
    /// Curves for the report's figures (loss per epoch, accuracy per round), one name each.
    public var series: [TrialSeries]

    public init(metrics: [String: Double], details: JSONValue? = nil, series: [TrialSeries] = []) {
        self.metrics = metrics
        self.details = details
        self.series = series
    }
}
