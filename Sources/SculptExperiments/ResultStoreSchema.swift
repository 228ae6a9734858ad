import Foundation

/// The results tables and the statements that write them, once for every store: the SQLite store runs them as
/// they are; the PostgreSQL store (Fleet trait) runs `postgres` forms (64-bit `BIGINT` for `INTEGER`,
/// `DOUBLE PRECISION` for `REAL`, `$1, $2, ...` for `?`). Parameters are bound in the order the columns are named.
public enum ResultStoreSchema {
    /// The schema's steps, in migration order: v1 (`runs`, `trials`), v2 (`series`).
    public static let steps: [String] = [
        """
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY NOT NULL,
            spec_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            identity TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE trials (
            run_id TEXT NOT NULL REFERENCES runs(run_id),
            spec_name TEXT NOT NULL,
            kind TEXT NOT NULL,
            variant TEXT NOT NULL,
            trial_index INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            config TEXT NOT NULL,
            metrics TEXT NOT NULL,
            details TEXT,
            status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
            error TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT NOT NULL,
            seconds REAL NOT NULL,
            host TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (run_id, variant, trial_index)
        );
        """,
        """
        CREATE TABLE series (
            run_id TEXT NOT NULL,
            variant TEXT NOT NULL,
            trial_index INTEGER NOT NULL,
            name TEXT NOT NULL,
            x TEXT NOT NULL,
            y TEXT NOT NULL,
            PRIMARY KEY (run_id, variant, trial_index, name),
            FOREIGN KEY (run_id, variant, trial_index) REFERENCES trials(run_id, variant, trial_index)
        );
        """,
    ]

    /// Registers a run (run_id, spec_name, kind, identity, created_at); nothing when it exists.
    public static let insertRun = """
        INSERT INTO runs (run_id, spec_name, kind, identity, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id) DO NOTHING
        """

    /// Writes a trial row (its 16 columns in order): a new row, or over a failed one with `attempts` counting
    /// up; a done row is never replaced (no row changes).
    public static let upsertTrial = """
        INSERT INTO trials (run_id, spec_name, kind, variant, trial_index, seed, config, metrics, details,
                            status, error, started_at, finished_at, seconds, host, attempts)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (run_id, variant, trial_index) DO UPDATE SET
            seed = excluded.seed, config = excluded.config, metrics = excluded.metrics,
            details = excluded.details, status = excluded.status, error = excluded.error,
            started_at = excluded.started_at, finished_at = excluded.finished_at,
            seconds = excluded.seconds, host = excluded.host, attempts = trials.attempts + 1
        WHERE trials.status <> 'done'
        """

    /// Removes a trial's series (run_id, variant, trial_index) before its new ones are written.
    public static let deleteSeries = "DELETE FROM series WHERE run_id = ? AND variant = ? AND trial_index = ?"

    /// Writes one series (run_id, variant, trial_index, name, x, y).
    public static let insertSeries =
        "INSERT INTO series (run_id, variant, trial_index, name, x, y) VALUES (?, ?, ?, ?, ?, ?)"

    /// A run's rows, in bytewise variant order, then index.
    public static let selectTrials = "SELECT * FROM trials WHERE run_id = ? ORDER BY variant COLLATE \"C\", trial_index"

    /// The runs of a spec (its name and trial kind), oldest first.
    public static let selectRunsOfSpec = """
        SELECT run_id FROM runs WHERE spec_name = ? AND kind = ? ORDER BY created_at, run_id COLLATE "C"
        """

    /// A run's series, by trial, then bytewise name.
    public static let selectSeries = """
        SELECT * FROM series WHERE run_id = ? ORDER BY variant COLLATE "C", trial_index, name COLLATE "C"
        """

    /// A statement in PostgreSQL's form: `?` numbered `$1, $2, ...`; in DDL, `INTEGER` as `BIGINT` and `REAL` as
    /// `DOUBLE PRECISION`; SQLite's bytewise collation `"C"` named as PostgreSQL names it (the same).
    public static func postgres(_ sql: String) -> String {
        var out = "", n = 0
        for c in sql {
            if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out.replacingOccurrences(of: " INTEGER ", with: " BIGINT ")
            .replacingOccurrences(of: " REAL ", with: " DOUBLE PRECISION ")
    }

    /// SQLite's form: the collation named `"C"` in the shared statements is SQLite's `BINARY`.
    public static func sqlite(_ sql: String) -> String {
        sql.replacingOccurrences(of: "COLLATE \"C\"", with: "COLLATE BINARY")
    }
}
