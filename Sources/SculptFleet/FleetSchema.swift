#if Fleet
import PostgresNIO
import SculptExperiments

/// The PostgreSQL store's schema: the SQLite store's `runs`, `trials` and `series` tables translated (64-bit
/// integers, double precision), and the fleet's own tables: `fleet_runs` (each enqueued spec's text, its trial
/// kind's version), `queue` (one row per planned trial: pending, running under a lease, done or failed) and
/// `workers` (each worker's last heartbeat). `sculpt_schema` holds the version; upgrades are explicit
/// (`sculpt db migrate`), every other command refuses a schema that is not the current one.
enum FleetSchema {
    /// This build's schema version.
    static let current = 4

    /// The statements that take a database from version `n - 1` to `n` (index 0: version 1).
    static let steps: [String] = ResultStoreSchema.steps.map(ResultStoreSchema.postgres) + [
        """
        CREATE TABLE fleet_runs (
            run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs(run_id),
            spec_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            kind_version BIGINT NOT NULL,
            spec_text TEXT NOT NULL,
            enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        CREATE TABLE queue (
            run_id TEXT NOT NULL REFERENCES fleet_runs(run_id),
            variant TEXT NOT NULL,
            trial_index BIGINT NOT NULL,
            plan_order BIGINT NOT NULL,
            seed BIGINT NOT NULL,
            config TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
            worker_id TEXT,
            lease_token TEXT,
            lease_expires TIMESTAMPTZ,
            claimed_at TIMESTAMPTZ,
            finished_at TIMESTAMPTZ,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            PRIMARY KEY (run_id, variant, trial_index)
        );
        CREATE INDEX queue_open ON queue (run_id, plan_order) WHERE state IN ('pending', 'running');
        CREATE TABLE workers (
            worker_id TEXT PRIMARY KEY NOT NULL,
            host TEXT NOT NULL,
            pid BIGINT NOT NULL,
            processes BIGINT NOT NULL,
            lease_seconds DOUBLE PRECISION NOT NULL,
            state TEXT NOT NULL,
            started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            trials_done BIGINT NOT NULL DEFAULT 0,
            trials_failed BIGINT NOT NULL DEFAULT 0
        );
        """,
        // Version 4: claims walk the open trials in plan order and stop at the first free one (`queue_open` leads
        // with run_id, so a claim sorted every open row: a third of the server's time with 1,000 trials queued).
        """
        CREATE INDEX queue_claim ON queue (plan_order, run_id) WHERE state IN ('pending', 'running');
        """,
    ]

    /// The database's schema version (0: no Sculpt schema).
    static func version(_ session: PostgresSession) throws -> Int {
        let exists = try session.query("SELECT to_regclass('sculpt_schema') IS NOT NULL AS present")
        guard try exists.rows.first?.value("present", as: Bool.self) == true else { return 0 }
        let rows = try session.query("SELECT coalesce(max(version), 0) AS version FROM sculpt_schema")
        return try rows.rows.first?.value("version", as: Int.self) ?? 0
    }

    /// Throws unless the database is at this build's version.
    static func check(_ session: PostgresSession) throws {
        let found = try version(session)
        let at = session.location.description
        if found == 0 { throw FleetError.noSchema(at) }
        if found < current { throw FleetError.olderSchema(at, found: found, current: current) }
        if found > current { throw FleetError.newerSchema(at, found: found, current: current) }
    }

    /// Applies the missing steps up to `target`, each in its own transaction under an advisory lock (two
    /// migrating processes do not interleave); returns the versions before and after.
    @discardableResult
    static func migrate(_ session: PostgresSession, to target: Int = current) throws -> (from: Int, to: Int) {
        try session.transaction { connection in
            try session.run("SELECT pg_advisory_xact_lock(7311015)", on: connection)
            try session.run("CREATE TABLE IF NOT EXISTS sculpt_schema (version BIGINT NOT NULL)", on: connection)
            let rows = try session.run("SELECT coalesce(max(version), 0) AS version FROM sculpt_schema", on: connection)
            let from = try rows.rows.first?.value("version", as: Int.self) ?? 0
            if from > current {
                throw FleetError.newerSchema(session.location.description, found: from, current: current)
            }
            guard from < target else { return (from, from) }
            for step in from..<target {
                // One statement per query: the extended protocol takes no lists of statements.
                let statements = steps[step].split(separator: ";").filter { part in part.contains { !$0.isWhitespace } }
                for statement in statements {
                    try session.run(PostgresQuery(unsafeSQL: String(statement)), on: connection)
                }
                try session.run("INSERT INTO sculpt_schema (version) VALUES (\(step + 1))", on: connection)
            }
            return (from, target)
        }
    }
}
#endif
