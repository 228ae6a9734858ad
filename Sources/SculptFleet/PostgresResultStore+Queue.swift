#if Fleet
import PostgresNIO
import SculptCore
import SculptExperiments

/// A spec enqueued in the store: what a worker checks before it claims the spec's trials.
public struct FleetRun: Sendable, Equatable {
    public var runID: String
    public var specName: String
    public var kind: String
    /// The trial kind's version in the build that enqueued it.
    public var kindVersion: Int
    /// The spec file's text as enqueued.
    public var specText: String
}

/// A trial a worker holds under a lease.
public struct FleetClaim: Sendable, Equatable {
    public var runID: String
    public var trial: PlannedTrial
    /// The lease's token: only its holder may record the trial.
    public var token: String
    /// 1 for the first claim of the trial; a failed attempt or an expired lease counts.
    public var attempt: Int
}

/// What happened to a result a worker handed in.
public enum FleetCompletion: String, Sendable, Equatable {
    /// Recorded, with the trial marked done (or pending again / failed, for a failed attempt).
    case recorded
    /// Recorded before (the commit's answer was lost with the connection): nothing written.
    case alreadyRecorded
    /// The lease expired and another worker claimed the trial: the result is dropped.
    case leaseLost
}

/// What `enqueue` did.
public struct EnqueueSummary: Sendable, Equatable, Encodable {
    public var runId: String
    public var spec: String
    /// Trials in the spec's plan.
    public var planned: Int
    /// Trials added to the queue now (0 when the spec was enqueued before).
    public var added: Int
    /// Failed trials put back to pending.
    public var requeued: Int
}

extension PostgresResultStore {
    /// Enqueues every planned trial of `spec` (idempotent: trials already queued are left as they are; failed
    /// ones are put back to pending). Refuses a run enqueued before under another version of the trial kind.
    public func enqueue(_ spec: ExperimentSpec, specText: String, kindVersion: Int) throws -> EnqueueSummary {
        let plan = spec.plan()
        return try session.transaction { c in
            try register(spec, on: c)
            let existing = try session.run("""
                INSERT INTO fleet_runs (run_id, spec_name, kind, kind_version, spec_text)
                VALUES (\(spec.runID), \(spec.name), \(spec.kind), \(kindVersion), \(specText))
                ON CONFLICT (run_id) DO UPDATE SET spec_text = excluded.spec_text
                RETURNING kind_version
                """, on: c)
            let queuedVersion = try existing.rows.first?.value("kind_version", as: Int.self) ?? kindVersion
            guard queuedVersion == kindVersion else {
                throw FleetError.refusedRun("spec \(spec.name) (run \(spec.runID)) was enqueued with trial kind "
                    + "\(spec.kind) version \(queuedVersion); this sculpt has version \(kindVersion)")
            }
            let added = try session.run("""
                INSERT INTO queue (run_id, variant, trial_index, plan_order, seed, config)
                SELECT \(spec.runID), v, i, o, s, c
                FROM unnest(\(plan.map(\.variant))::text[], \(plan.map { Int64($0.index) })::bigint[],
                            \(plan.indices.map { Int64($0) })::bigint[],
                            \(plan.map { Int64(bitPattern: $0.seed) })::bigint[],
                            \(plan.map(\.config.canonicalText))::text[]) AS t(v, i, o, s, c)
                ON CONFLICT (run_id, variant, trial_index) DO NOTHING
                """, on: c).metadata.rows ?? 0
            let requeued = try session.run("""
                UPDATE queue SET state = 'pending', attempts = 0, lease_token = NULL, lease_expires = NULL
                WHERE run_id = \(spec.runID) AND state = 'failed'
                """, on: c).metadata.rows ?? 0
            // Fresh statistics, so that claims walk `queue_claim` from the first open trial.
            if added > 0 { try session.run("ANALYZE queue", on: c) }
            return EnqueueSummary(runId: spec.runID, spec: spec.name, planned: plan.count, added: added,
                                  requeued: requeued)
        }
    }

    /// Every enqueued spec, by name then run id.
    public func fleetRuns() throws -> [FleetRun] {
        let rows = try session.query("""
            SELECT run_id, spec_name, kind, kind_version, spec_text FROM fleet_runs ORDER BY spec_name, run_id
            """)
        return try rows.rows.map {
            FleetRun(runID: try $0.value("run_id"), specName: try $0.value("spec_name"), kind: try $0.value("kind"),
                     kindVersion: try $0.value("kind_version"), specText: try $0.value("spec_text"))
        }
    }

    /// Claims the first open trial of `runIDs` in plan order: a pending one, or one whose lease expired
    /// (a worker lost) with fewer than `maxAttempts` attempts; nil when none is free. Concurrent claims
    /// skip each other's rows (`FOR UPDATE SKIP LOCKED`), so no two workers get the same trial.
    public func claim(workerID: String, runIDs: [String], leaseSeconds: Double,
                      maxAttempts: Int) throws -> FleetClaim? {
        let token = workerID + "/" + randomHex()
        let statement = ClaimStatement(runIDs: runIDs, maxAttempts: maxAttempts, workerID: workerID, token: token,
                                       leaseSeconds: leaseSeconds)
        guard let row = try session.withConnection({ try session.runPrepared(statement, on: $0) }).first else {
            return nil
        }
        let trial = PlannedTrial(variant: row.variant, index: row.index, seed: UInt64(bitPattern: row.seed),
                                 config: try JSONValue.parse(row.config))
        return FleetClaim(runID: row.runID, trial: trial, token: token, attempt: row.attempts)
    }

    /// Records `record`, the outcome of `claim`, and moves the trial on, in one statement (so one round trip and
    /// one transaction): done; or, for a failed attempt, pending again, or failed with its error after
    /// `maxAttempts` attempts. Only the lease's holder records: a result whose lease was lost is dropped.
    public func complete(_ claim: FleetClaim, record: TrialRecord, maxAttempts: Int) throws -> FleetCompletion {
        // The worker's own counts travel with its heartbeat: a counter row updated here would serialize every slot
        // of a worker on that one row.
        let statement = CompleteStatement(claim: claim, record: record, maxAttempts: maxAttempts)
        let rows = try session.withConnection { try session.runPrepared(statement, on: $0) }
        // The outer SELECT reads the queue row as it was before the statement.
        guard let row = rows.first else { return .leaseLost }
        if row.moved > 0 { return .recorded }
        return row.state == "done" && row.token == claim.token ? .alreadyRecorded : .leaseLost
    }

    /// `complete`'s statement. `moved` checks the lease and moves the queue row on; only when it did, `written`
    /// upserts the trial row (the statement the SQLite store runs: a done row is never replaced) and, when that
    /// changed the row, the trial's series are replaced by the record's (`dropped` removes those it no longer has,
    /// `added` upserts its own: two sub-statements of one statement must not touch the same row).
    static let completeSQL: String = {
        let row = Array(repeating: "?", count: 16).joined(separator: ", ")
        let upsert = ResultStoreSchema.upsertTrial.replacingOccurrences(
            of: "VALUES (\(row))", with: "SELECT \(row) FROM moved")
        precondition(upsert != ResultStoreSchema.upsertTrial, "upsertTrial no longer reads VALUES (16 parameters)")
        return ResultStoreSchema.postgres("""
            WITH moved AS (
                UPDATE queue SET finished_at = now(), lease_expires = NULL, last_error = ?,
                    state = CASE WHEN ? THEN 'done' WHEN attempts >= ? THEN 'failed' ELSE 'pending' END
                WHERE run_id = ? AND variant = ? AND trial_index = ? AND state = 'running' AND lease_token = ?
                RETURNING 1),
            written AS (\(upsert) RETURNING 1),
            dropped AS (
                DELETE FROM series WHERE run_id = ? AND variant = ? AND trial_index = ? AND name <> ALL(?::text[])
                  AND EXISTS (SELECT 1 FROM written)),
            added AS (
                INSERT INTO series (run_id, variant, trial_index, name, x, y)
                SELECT ?, ?, ?, u.name, u.x, u.y FROM unnest(?::text[], ?::text[], ?::text[]) AS u(name, x, y)
                WHERE EXISTS (SELECT 1 FROM written)
                ON CONFLICT (run_id, variant, trial_index, name) DO UPDATE SET x = excluded.x, y = excluded.y)
            SELECT (SELECT count(*) FROM moved) AS moved, q.state, q.lease_token FROM queue q
            WHERE q.run_id = ? AND q.variant = ? AND q.trial_index = ?
            """)
    }()

    /// Hands `claim` back unrecorded, as if never claimed (a worker stopping while its trial failed: SIGTERM to a
    /// whole job reaches the trial's process too, and that failure is not the trial's).
    public func abandon(_ claim: FleetClaim) throws {
        try session.query("""
            UPDATE queue SET state = 'pending', attempts = attempts - 1, lease_token = NULL, lease_expires = NULL
            WHERE run_id = \(claim.runID) AND variant = \(claim.trial.variant) AND trial_index = \(claim.trial.index)
              AND lease_token = \(claim.token) AND state = 'running'
            """)
    }

    /// Marks failed the trials of `runIDs` whose lease expired for the last allowed time (their workers were
    /// lost `maxAttempts` times); how many.
    @discardableResult
    public func failExhausted(runIDs: [String], maxAttempts: Int) throws -> Int {
        try session.query("""
            UPDATE queue SET state = 'failed', finished_at = now(),
                last_error = 'its worker was lost (lease expired) on attempt ' || attempts || ' of ' || \(maxAttempts)
            WHERE run_id = ANY(\(runIDs)::text[]) AND state = 'running' AND lease_expires < now()
              AND attempts >= \(maxAttempts)
            """).metadata.rows ?? 0
    }

    /// Trials of `runIDs` not yet done or failed (pending or running).
    public func openTrials(runIDs: [String]) throws -> Int {
        let rows = try session.query("""
            SELECT count(*) AS open FROM queue WHERE run_id = ANY(\(runIDs)::text[]) AND state IN ('pending', 'running')
            """)
        return try rows.rows.first?.value("open", as: Int.self) ?? 0
    }

    /// Adds (or revives) a worker's row.
    public func registerWorker(id: String, processes: Int, leaseSeconds: Double, pid: Int) throws {
        try session.query("""
            INSERT INTO workers (worker_id, host, pid, processes, lease_seconds, state)
            VALUES (\(id), \(TrialRowText.hostName()), \(pid), \(processes), \(leaseSeconds), 'running')
            ON CONFLICT (worker_id) DO UPDATE SET state = 'running', heartbeat_at = now()
            """)
    }

    /// Renews the leases of `tokens` and the worker's heartbeat; sets its state ("running", "stopping", "stopped")
    /// and, when given, the trials it has recorded done and failed so far.
    public func heartbeat(workerID: String, tokens: [String], leaseSeconds: Double, state: String = "running",
                          counts: (done: Int, failed: Int)? = nil) throws {
        try session.transaction { c in
            if !tokens.isEmpty {
                try session.run("""
                    UPDATE queue SET lease_expires = now() + make_interval(secs => \(leaseSeconds))
                    WHERE lease_token = ANY(\(tokens)::text[]) AND state = 'running'
                    """, on: c)
            }
            if let counts {
                try session.run("""
                    UPDATE workers SET heartbeat_at = now(), state = \(state), trials_done = \(counts.done),
                        trials_failed = \(counts.failed)
                    WHERE worker_id = \(workerID)
                    """, on: c)
            } else {
                try session.run("""
                    UPDATE workers SET heartbeat_at = now(), state = \(state) WHERE worker_id = \(workerID)
                    """, on: c)
            }
        }
    }
}

/// 16 random hex digits.
func randomHex() -> String {
    var generator = SystemRandomNumberGenerator()
    let n = generator.next() as UInt64
    let text = String(n, radix: 16)
    return String(repeating: "0", count: 16 - text.count) + text
}
/// `claim`'s statement, prepared once per connection: the first open trial of the runs in plan order, a pending
/// one or one whose lease expired with attempts left, taken under a new lease. Concurrent claims skip each other's
/// rows (`FOR UPDATE SKIP LOCKED`), so no two workers get the same trial.
struct ClaimStatement: PostgresPreparedStatement {
    static let name = "sculpt_claim_v1"
    static let sql = """
        WITH c AS (
            SELECT run_id, variant, trial_index FROM queue
            WHERE run_id = ANY($1::text[])
              AND (state = 'pending' OR (state = 'running' AND lease_expires < now() AND attempts < $2))
            ORDER BY plan_order, run_id
            LIMIT 1
            FOR UPDATE SKIP LOCKED)
        UPDATE queue q SET state = 'running', worker_id = $3, lease_token = $4,
            lease_expires = now() + make_interval(secs => $5), claimed_at = now(), attempts = q.attempts + 1
        FROM c WHERE q.run_id = c.run_id AND q.variant = c.variant AND q.trial_index = c.trial_index
        RETURNING q.run_id, q.variant, q.trial_index, q.seed, q.config, q.attempts
        """
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .int8, .text, .text, .float8]

    var runIDs: [String]
    var maxAttempts: Int
    var workerID: String
    var token: String
    var leaseSeconds: Double

    struct Row: Sendable {
        var runID: String, variant: String, index: Int, seed: Int64, config: String, attempts: Int
    }

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(runIDs)
        binds.append(maxAttempts)
        binds.append(workerID)
        binds.append(token)
        binds.append(leaseSeconds)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (runID, variant, index, seed, config, attempts) = try row.decode(
            (String, String, Int, Int64, String, Int).self)
        return Row(runID: runID, variant: variant, index: index, seed: seed, config: config, attempts: attempts)
    }
}

/// `complete`'s statement (`PostgresResultStore.completeSQL`), prepared once per connection.
struct CompleteStatement: PostgresPreparedStatement {
    static let name = "sculpt_complete_v1"
    static var sql: String { PostgresResultStore.completeSQL }
    static let bindingDataTypes: [PostgresDataType] = {
        let key: [PostgresDataType] = [.text, .text, .int8]
        let trialRow: [PostgresDataType] = [.text, .text, .text, .text, .int8, .int8, .text, .text, .text, .text,
                                            .text, .text, .text, .float8, .text, .int8]
        return [.text, .bool, .int8] + key + [.text] + trialRow + key + [.textArray] + key
            + [.textArray, .textArray, .textArray] + key
    }()

    var claim: FleetClaim
    var record: TrialRecord
    var maxAttempts: Int

    struct Row: Sendable {
        var moved: Int, state: String, token: String?
    }

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(record.error)
        binds.append(record.status == .done)
        binds.append(maxAttempts)
        PostgresResultStore.appendKey(claim.runID, claim.trial.variant, claim.trial.index, to: &binds)
        binds.append(claim.token)
        PostgresResultStore.appendRow(record, to: &binds)
        PostgresResultStore.appendKey(record.runID, record.variant, record.index, to: &binds)
        binds.append(record.series.map(\.name))
        PostgresResultStore.appendKey(record.runID, record.variant, record.index, to: &binds)
        binds.append(record.series.map(\.name))
        binds.append(record.series.map { TrialRowText.numbers($0.x) })
        binds.append(record.series.map { TrialRowText.numbers($0.y) })
        PostgresResultStore.appendKey(claim.runID, claim.trial.variant, claim.trial.index, to: &binds)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (moved, state, token) = try row.decode((Int, String, String?).self)
        return Row(moved: moved, state: state, token: token)
    }
}
#endif
