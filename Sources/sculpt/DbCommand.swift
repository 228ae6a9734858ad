import ArgumentParser
import Foundation
import SculptData
import SculptExperiments
#if Fleet
import SculptFleet
#endif

/// The results database a command names: `--db` (an SQLite file, or a `postgres://` URL with the Fleet trait),
/// else the `SCULPT_DB` environment variable, else `sculpt.db`.
enum ResultsDatabase {
    /// The database to use.
    static func resolve(_ flag: String?) -> String {
        flag ?? ProcessInfo.processInfo.environment["SCULPT_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "sculpt.db"
    }

    /// Whether `db` names a PostgreSQL server rather than an SQLite file.
    static func isServer(_ db: String) -> Bool { db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") }

    /// The line a fleet command prints when this `sculpt` was built without the trait.
    static func disabled(_ what: String) -> String {
        "\(what): this sculpt was built without PostgreSQL; build it with the Fleet trait: "
            + "swift build -c release --traits Fleet"
    }

    /// Opens `db` for reading (`sculpt table`, `sculpt report`): never creates or changes anything.
    static func openForReading(_ db: String) throws -> any ResultStoring {
        if isServer(db) {
            #if Fleet
            return try PostgresResultStore(location: try PostgresLocation(url: db))
            #else
            throw UsageError(disabled("--db \(masked(db))"))
            #endif
        }
        guard FileManager.default.fileExists(atPath: db) else { throw UsageError("--db: no database at \(db)") }
        do { return try ResultStore(path: db, readOnly: true) } catch { throw UsageError("--db \(db): \(error)") }
    }

    /// `db` with any password replaced by `***`.
    static func masked(_ db: String) -> String {
        guard isServer(db), let at = db.firstIndex(of: "@"), let scheme = db.range(of: "://"), scheme.upperBound < at,
              let colon = db[scheme.upperBound..<at].firstIndex(of: ":") else { return db }
        return String(db[..<colon]) + ":***" + String(db[at...])
    }

    #if Fleet
    /// The server `db` names; a usage error for an SQLite file.
    static func server(_ db: String, for command: String) throws -> PostgresLocation {
        guard isServer(db) else {
            throw UsageError("--db \(db): \(command) needs a PostgreSQL store (postgres://USER@HOST/DB or SCULPT_DB)")
        }
        return try PostgresLocation(url: db)
    }
    #endif
}

/// `sculpt db migrate`: creates or upgrades a PostgreSQL store's schema.
struct DbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage a PostgreSQL results store (Fleet trait).",
        subcommands: [DbMigrate.self]
    )
}

/// `sculpt db migrate --db URL`.
struct DbMigrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the Sculpt schema of a PostgreSQL results store (schema upgrades are explicit).",
        discussion: "Every other command refuses a store whose schema is not this build's, with one line."
    )

    @Option(help: "The store: postgres://USER@HOST[:PORT]/DB[?sslmode=require] (default: $SCULPT_DB).")
    var db: String?

    @Flag(help: "Print one JSON object (the schema versions before and after) instead of text.")
    var json = false

    func run() throws {
        try Output.guarded {
            let db = ResultsDatabase.resolve(self.db)
            #if Fleet
            let location = try ResultsDatabase.server(db, for: "sculpt db migrate")
            let (from, to) = try PostgresResultStore.migrate(location)
            if json {
                try Output.printJSON(MigrateReport(db: location.description, from: from, to: to))
            } else if from == to {
                print("\(location): schema already at version \(to)")
            } else {
                print("\(location): schema upgraded from version \(from) to \(to)")
            }
            #else
            throw UsageError(ResultsDatabase.disabled("sculpt db migrate"))
            #endif
        }
    }
}

/// `sculpt db migrate --json`'s object.
struct MigrateReport: Encodable {
    var db: String
    var from: Int
    var to: Int
}
