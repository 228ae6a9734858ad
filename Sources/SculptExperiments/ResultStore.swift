import SculptCore
import GRDB
import SculptData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A results database that cannot be opened or read; names the file.
public struct ResultStoreError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "results database \(path): \(reason)" }
}

/// Whether a trial finished.
public enum TrialStatus: String, Sendable, Codable {
    case done, failed
}

/// One trial's row in the results database.
public struct TrialRecord: Sendable, Equatable {
    public var runID: String
    public var specName: String
    public var kind: String
    public var variant: String
    public var index: Int
    public var seed: UInt64
    public var config: JSONValue
    /// Empty for a failed trial.
    public var metrics: [String: Double]
    public var details: JSONValue?
    public var status: TrialStatus
    /// The error of a failed trial.
    public var error: String?
    /// UTC, ISO 8601 with milliseconds.
    public var startedAt: String
    public var finishedAt: String
    public var seconds: Double
    public var host: String
    /// How many times the trial ran (a failed trial is retried by the next run).
    public var attempts: Int = 1
    /// The trial's curves, stored in the `series` table (`trials(runID:)` leaves them empty;
    /// `series(runID:)` reads them).
    public var series: [TrialSeries] = []

    public init(runID: String, specName: String, kind: String, variant: String, index: Int, seed: UInt64,
                config: JSONValue, metrics: [String: Double], details: JSONValue?, status: TrialStatus,
                error: String?, startedAt: String, finishedAt: String, seconds: Double, host: String,
                attempts: Int = 1, series: [TrialSeries] = []) {
        self.runID = runID
        self.specName = specName
        self.kind = kind
        self.variant = variant
        self.index = index
        self.seed = seed
        self.config = config
        self.metrics = metrics
        self.details = details
        self.status = status
        self.error = error
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seconds = seconds
        self.host = host
        self.attempts = attempts
        self.series = series
    }
}

/// The SQLite results database (GRDB, WAL mode): a `runs` table (one row per spec identity),
/// a `trials` table (one row per trial, unique per run, variant and index) and a `series` table
/// (one row per trial and curve name, written in the same transaction as its trial).
///
/// Every write is one short transaction, so killing the writer at any moment leaves a readable
/// database that holds every trial recorded before the kill.
public final class ResultStore: ResultStoring {
    private let pool: any DatabaseWriter
    /// The database file.
    public let path: String
    public var location: String { path }

    /// Opens the database at `path`: for writing (creating it if needed), or `readOnly` for
    /// readers (`sculpt table`), which then never change the file. Errors name the file.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        do {
            pool = try Self.open(path: path, readOnly: readOnly)
        } catch let e as ResultStoreError { throw e } catch {
            throw ResultStoreError(path: path, reason: "\(error)")
        }
    }

    private static func open(path: String, readOnly: Bool) throws -> any DatabaseWriter {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        if readOnly {
            guard FilePaths.isFile(path) else { throw ResultStoreError(path: path, reason: "no database file there") }
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let hasTrials = try queue.read { try $0.tableExists("trials") }
            guard hasTrials else {
                throw ResultStoreError(path: path, reason: "not a Sculpt results database (no trials table)")
            }
            return queue
        }
        let pool = try openPoolRetryingBusy(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        for (name, step) in zip(["v1", "v2-series"], ResultStoreSchema.steps) {
            migrator.registerMigration(name) { db in try db.execute(sql: step) }
        }
        try migrateConcurrently(migrator, pool)
        return pool
    }

    /// Opens a pool on a file that other processes may be creating at the same moment. Switching a
    /// fresh file to WAL needs an exclusive lock, and SQLite can answer `PRAGMA journal_mode = WAL`
    /// with SQLITE_BUSY despite the busy timeout (it skips the busy handler where waiting could
    /// deadlock), as CI saw; so the open is retried, pausing longer each time for up to about 30 s.
    private static func openPoolRetryingBusy(path: String, configuration: Configuration) throws -> DatabasePool {
        var pauseMicroseconds: UInt32 = 2_000
        var waited: UInt64 = 0
        while true {
            do { return try DatabasePool(path: path, configuration: configuration) } catch let error as DatabaseError
                where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED) && waited < 30_000_000 {
                usleep(pauseMicroseconds)
                waited += UInt64(pauseMicroseconds)
                pauseMicroseconds = min(pauseMicroseconds * 2, 200_000)
            }
        }
    }

    /// Runs `migrator` on a database that another process (a second `sculpt run`, a test polling
    /// the file) may be migrating at the same moment. GRDB reads the applied migrations before it
    /// takes the write lock, so the loser of that race replays a migration the winner committed
    /// ("table runs already exists"); a retry reads the applied list again and finds nothing to do.
    private static func migrateConcurrently(_ migrator: DatabaseMigrator, _ pool: DatabasePool) throws {
        var attempt = 1
        while true {
            do { return try migrator.migrate(pool) } catch {
                // The other process finished the migrations meanwhile: nothing is left to do.
                if (try? pool.read(migrator.hasCompletedMigrations)) == true { return }
                // One lost race per migration at most.
                guard attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    /// Records that `spec`'s run exists (idempotent).
    public func registerRun(_ spec: ExperimentSpec) throws {
        try pool.write { db in
            try db.execute(sql: ResultStoreSchema.insertRun,
                           arguments: [spec.runID, spec.name, spec.kind, spec.identity.canonicalText, Timestamp.now()])
        }
    }

    /// Stores a trial's outcome. A finished (done) row is never replaced; a failed row is
    /// replaced by the new attempt, with `attempts` counting up.
    public func record(_ r: TrialRecord) throws {
        try pool.write { db in
            try db.execute(sql: ResultStoreSchema.upsertTrial, arguments: [
                    r.runID, r.specName, r.kind, r.variant, r.index, Int64(bitPattern: r.seed), r.config.canonicalText,
                    TrialRowText.metrics(r.metrics), r.details?.canonicalText, r.status.rawValue, r.error,
                    r.startedAt, r.finishedAt, r.seconds, r.host, r.attempts,
                ])
            guard db.changesCount > 0 else { return }  // a finished row stays, and so do its series
            try db.execute(sql: ResultStoreSchema.deleteSeries,
                           arguments: [r.runID, r.variant, r.index])
            for s in r.series {
                try db.execute(sql: ResultStoreSchema.insertSeries,
                               arguments: [r.runID, r.variant, r.index, s.name,
                                           TrialRowText.numbers(s.x), TrialRowText.numbers(s.y)])
            }
        }
    }

    /// Every stored series of `runID`'s trials, by trial, each trial's in name order.
    public func series(runID: String) throws -> [TrialKey: [TrialSeries]] {
        try pool.read { db in
            var out: [TrialKey: [TrialSeries]] = [:]
            let rows = try Row.fetchAll(db, sql: ResultStoreSchema.sqlite(ResultStoreSchema.selectSeries),
                                        arguments: [runID])
            for row in rows {
                let key = TrialKey(variant: row["variant"], index: row["trial_index"])
                out[key, default: []].append(try TrialRowText.series(name: row["name"], x: row["x"], y: row["y"]))
            }
            return out
        }
    }

    public func runIDs(specName: String, kind: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: ResultStoreSchema.sqlite(ResultStoreSchema.selectRunsOfSpec),
                                arguments: [specName, kind])
        }
    }

    /// The (variant, index) pairs of `runID` that finished.
    public func finishedTrials(runID: String) throws -> Set<TrialKey> {
        try pool.read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT variant, trial_index FROM trials WHERE run_id = ? AND status = 'done'",
                arguments: [runID])
            return Set(rows.map { TrialKey(variant: $0["variant"], index: $0["trial_index"]) })
        }
    }

    /// All trial rows of `runID`, ordered by variant and index.
    public func trials(runID: String) throws -> [TrialRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: ResultStoreSchema.sqlite(ResultStoreSchema.selectTrials), arguments: [runID]).map
            { row in
                let details: String? = row["details"]
                return TrialRecord(
                    runID: row["run_id"], specName: row["spec_name"], kind: row["kind"], variant: row["variant"],
                    index: row["trial_index"], seed: UInt64(bitPattern: row["seed"] as Int64),
                    config: try JSONValue.parse(row["config"] as String),
                    metrics: try TrialRowText.metrics(fromText: row["metrics"]),
                    details: try details.map { try JSONValue.parse($0) },
                    status: TrialStatus(rawValue: row["status"]) ?? .failed, error: row["error"],
                    startedAt: row["started_at"], finishedAt: row["finished_at"], seconds: row["seconds"],
                    host: row["host"], attempts: row["attempts"])
            }
        }
    }
}

/// A trial's place in a run.
public struct TrialKey: Hashable, Sendable {
    public var variant: String
    public var index: Int

    public init(variant: String, index: Int) {
        self.variant = variant
        self.index = index
    }
}

/// Wall-clock timestamps for the database.
enum Timestamp {
    /// Now, UTC, as `2026-11-22T04:21:07.123Z`.
    static func now() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var seconds = time_t(tv.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ n: Int32, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(tv.tv_usec / 1000), 3))Z"
    }

    /// This machine's host name.
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        return string(fromCString: buffer)
    }

    /// The text of a NUL-terminated C character buffer.
    static func string(fromCString buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
