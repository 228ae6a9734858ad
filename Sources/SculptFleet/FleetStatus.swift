#if Fleet
import PostgresNIO
import SculptExperiments

/// Where a fleet stands (`sculpt status`): each enqueued spec's trials by state with throughput and time
/// left, and each worker with its last heartbeat.
public struct FleetStatus: Sendable, Equatable, Encodable {
    /// One enqueued spec.
    public struct Run: Sendable, Equatable, Encodable {
        public var spec: String
        public var runId: String
        public var kind: String
        public var kindVersion: Int
        public var pending: Int
        public var running: Int
        public var done: Int
        public var failed: Int
        /// Trials done per minute over the last 10 minutes (0 when none finished then).
        public var trialsPerMinute: Double
        /// Seconds until the open trials are done at that pace (nil when nothing is open or the pace is 0).
        public var secondsLeft: Double?
        /// The errors of up to 3 failed trials.
        public var failures: [String]
    }

    /// One worker.
    public struct Worker: Sendable, Equatable, Encodable {
        public var id: String
        public var host: String
        public var pid: Int
        public var processes: Int
        /// "running", "stopping" or "stopped" as the worker last said.
        public var state: String
        /// Whether it said "running" within three lease lengths.
        public var alive: Bool
        public var secondsSinceHeartbeat: Double
        public var done: Int
        public var failed: Int
    }

    public var runs: [Run]
    /// Workers seen in the last hour, most recent heartbeat first.
    public var workers: [Worker]

    public init(runs: [Run], workers: [Worker]) {
        self.runs = runs
        self.workers = workers
    }
}

extension PostgresResultStore {
    /// The fleet's state, for every spec or the specs called `specName`.
    public func status(specName: String? = nil) throws -> FleetStatus {
        let rows = try session.query("""
            SELECT r.spec_name, r.run_id, r.kind, r.kind_version,
                count(*) FILTER (WHERE q.state = 'pending') AS pending,
                count(*) FILTER (WHERE q.state = 'running') AS running,
                count(*) FILTER (WHERE q.state = 'done') AS done,
                count(*) FILTER (WHERE q.state = 'failed') AS failed,
                count(*) FILTER (WHERE q.state = 'done' AND q.finished_at > now() - interval '10 minutes') AS recent,
                coalesce(EXTRACT(EPOCH FROM now() - min(q.claimed_at)
                    FILTER (WHERE q.claimed_at > now() - interval '10 minutes'))::float8, 0) AS window_seconds,
                (array_agg(q.variant || ' #' || q.trial_index || ': ' || coalesce(q.last_error, '')
                    ORDER BY q.plan_order) FILTER (WHERE q.state = 'failed'))[1:3] AS failures
            FROM fleet_runs r JOIN queue q ON q.run_id = r.run_id
            WHERE \(specName == nil) OR r.spec_name = \(specName ?? "")
            GROUP BY r.spec_name, r.run_id, r.kind, r.kind_version
            ORDER BY r.spec_name, r.run_id
            """)
        let runs = try rows.rows.map { row -> FleetStatus.Run in
            let pending: Int = try row.value("pending"), running: Int = try row.value("running")
            let recent: Int = try row.value("recent"), window: Double = try row.value("window_seconds")
            let perMinute = recent > 0 && window > 0 ? Double(recent) / window * 60 : 0
            let open = pending + running
            return FleetStatus.Run(
                spec: try row.value("spec_name"), runId: try row.value("run_id"), kind: try row.value("kind"),
                kindVersion: try row.value("kind_version"), pending: pending, running: running,
                done: try row.value("done"), failed: try row.value("failed"), trialsPerMinute: perMinute,
                secondsLeft: open > 0 && perMinute > 0 ? Double(open) / perMinute * 60 : nil,
                failures: try row.value("failures", as: [String]?.self) ?? [])
        }
        return FleetStatus(runs: runs, workers: try workers())
    }

    private func workers() throws -> [FleetStatus.Worker] {
        let rows = try session.query("""
            SELECT worker_id, host, pid, processes, state, trials_done, trials_failed, lease_seconds,
                EXTRACT(EPOCH FROM now() - heartbeat_at)::float8 AS age
            FROM workers WHERE heartbeat_at > now() - interval '1 hour' OR state = 'running'
            ORDER BY heartbeat_at DESC, worker_id
            """)
        return try rows.rows.map { row in
            let age: Double = try row.value("age"), lease: Double = try row.value("lease_seconds")
            let state: String = try row.value("state")
            return FleetStatus.Worker(
                id: try row.value("worker_id"), host: try row.value("host"), pid: try row.value("pid"),
                processes: try row.value("processes"), state: state, alive: state != "stopped" && age < 3 * lease,
                secondsSinceHeartbeat: age, done: try row.value("trials_done"), failed: try row.value("trials_failed"))
        }
    }
}
#endif
