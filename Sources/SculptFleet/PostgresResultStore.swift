#if Fleet
import PostgresNIO
import SculptCore
import SculptExperiments

/// The PostgreSQL results store: the SQLite store's tables and semantics on a server that workers on many
/// machines share (see `FleetSchema`), plus the trial queue they claim from (`PostgresResultStore+Queue`).
public final class PostgresResultStore: ResultStoring {
    let session: PostgresSession
    /// The server's address, password masked.
    public var location: String { session.location.description }

    /// Connects to `location` and checks that the database holds this build's schema. `reconnectSeconds`:
    /// how long calls keep retrying after a lost connection (workers ride out a server restart; 0 fails at once).
    public init(location: PostgresLocation, reconnectSeconds: Double = 0) throws {
        session = try PostgresSession(location: location, reconnectSeconds: reconnectSeconds)
        try FleetSchema.check(session)
    }

    /// Creates or upgrades the schema at `location` (`sculpt db migrate`); the versions before and after.
    public static func migrate(_ location: PostgresLocation) throws -> (from: Int, to: Int) {
        try FleetSchema.migrate(try PostgresSession(location: location))
    }

    /// This build's schema version.
    public static var schemaVersion: Int { FleetSchema.current }

    public func registerRun(_ spec: ExperimentSpec) throws {
        try session.withConnection { try register(spec, on: $0) }
    }

    /// Registers `spec`'s run (idempotent) on `connection`.
    func register(_ spec: ExperimentSpec, on connection: PostgresConnection) throws {
        var binds = PostgresBindings()
        for text in [spec.runID, spec.name, spec.kind, spec.identity.canonicalText, TrialRowText.now()] {
            binds.append(text)
        }
        try session.run(Self.shared(ResultStoreSchema.insertRun, binds), on: connection)
    }

    public func record(_ r: TrialRecord) throws {
        _ = try session.transaction { try write(r, on: $0) }
    }

    /// Writes `r` as `record` does, inside the caller's transaction; whether a row changed.
    @discardableResult
    func write(_ r: TrialRecord, on connection: PostgresConnection) throws -> Bool {
        var row = PostgresBindings()
        Self.appendRow(r, to: &row)
        let upsert = try session.run(Self.shared(ResultStoreSchema.upsertTrial, row), on: connection)
        let changed = upsert.metadata.rows ?? 0
        guard changed > 0 else { return false }  // a finished row stays, and so do its series
        let key = Self.key(r.runID, r.variant, r.index)
        try session.run(Self.shared(ResultStoreSchema.deleteSeries, key), on: connection)
        for s in r.series {
            var binds = Self.key(r.runID, r.variant, r.index)
            for text in [s.name, TrialRowText.numbers(s.x), TrialRowText.numbers(s.y)] { binds.append(text) }
            try session.run(Self.shared(ResultStoreSchema.insertSeries, binds), on: connection)
        }
        return true
    }

    /// Appends the 16 values of `r`'s trial row, in `ResultStoreSchema.upsertTrial`'s column order.
    static func appendRow(_ r: TrialRecord, to row: inout PostgresBindings) {
        for text in [r.runID, r.specName, r.kind, r.variant] { row.append(text) }
        row.append(r.index)
        row.append(Int64(bitPattern: r.seed))
        for text in [r.config.canonicalText, TrialRowText.metrics(r.metrics)] { row.append(text) }
        row.append(r.details?.canonicalText)
        row.append(r.status.rawValue)
        row.append(r.error)
        for text in [r.startedAt, r.finishedAt] { row.append(text) }
        row.append(r.seconds)
        row.append(r.host)
        row.append(r.attempts)
    }

    /// A statement shared with the SQLite store, in PostgreSQL's form, with its parameters.
    static func shared(_ sql: String, _ binds: PostgresBindings) -> PostgresQuery {
        PostgresQuery(unsafeSQL: ResultStoreSchema.postgres(sql), binds: binds)
    }

    /// A trial's key as parameters (run_id, variant, trial_index).
    static func key(_ runID: String, _ variant: String, _ index: Int) -> PostgresBindings {
        var binds = PostgresBindings()
        appendKey(runID, variant, index, to: &binds)
        return binds
    }

    /// Appends a trial's key (run_id, variant, trial_index) to `binds`.
    static func appendKey(_ runID: String, _ variant: String, _ index: Int, to binds: inout PostgresBindings) {
        binds.append(runID)
        binds.append(variant)
        binds.append(index)
    }

    public func runIDs(specName: String, kind: String) throws -> [String] {
        var binds = PostgresBindings()
        binds.append(specName)
        binds.append(kind)
        return try session.query(Self.shared(ResultStoreSchema.selectRunsOfSpec, binds)).rows.map {
            try $0.value("run_id")
        }
    }

    public func finishedTrials(runID: String) throws -> Set<TrialKey> {
        let rows = try session.query("""
            SELECT variant, trial_index FROM trials WHERE run_id = \(runID) AND status = 'done'
            """)
        return Set(try rows.rows.map { TrialKey(variant: try $0.value("variant"), index: try $0.value("trial_index")) })
    }

    public func trials(runID: String) throws -> [TrialRecord] {
        var binds = PostgresBindings()
        binds.append(runID)
        let rows = try session.query(Self.shared(ResultStoreSchema.selectTrials, binds))
        return try rows.rows.map { row in
            let details: String? = try row.value("details")
            return TrialRecord(
                runID: try row.value("run_id"), specName: try row.value("spec_name"), kind: try row.value("kind"),
                variant: try row.value("variant"), index: try row.value("trial_index"),
                seed: UInt64(bitPattern: try row.value("seed", as: Int64.self)),
                config: try JSONValue.parse(try row.value("config", as: String.self)),
                metrics: try TrialRowText.metrics(fromText: try row.value("metrics")),
                details: try details.map { try JSONValue.parse($0) },
                status: TrialStatus(rawValue: try row.value("status")) ?? .failed, error: try row.value("error"),
                startedAt: try row.value("started_at"), finishedAt: try row.value("finished_at"),
                seconds: try row.value("seconds"), host: try row.value("host"), attempts: try row.value("attempts"))
        }
    }

    public func series(runID: String) throws -> [TrialKey: [TrialSeries]] {
        var binds = PostgresBindings()
        binds.append(runID)
        let rows = try session.query(Self.shared(ResultStoreSchema.selectSeries, binds))
        var out: [TrialKey: [TrialSeries]] = [:]
        for row in rows.rows {
            let key = TrialKey(variant: try row.value("variant"), index: try row.value("trial_index"))
            out[key, default: []].append(try TrialRowText.series(name: try row.value("name"), x: try row.value("x"),
                                                                 y: try row.value("y")))
        }
        return out
    }
}
#endif
