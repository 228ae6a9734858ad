#if Fleet
import Foundation

/// What goes wrong with a PostgreSQL results store, as one line for people; never holds a password.
public enum FleetError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The URL does not parse (the URL is given masked).
    case badURL(String, String)
    /// No server answers at the location (refused, timed out, name not found).
    case unreachable(String, String)
    /// The server refused the user or the password.
    case authentication(String, String)
    /// The database has no Sculpt schema yet.
    case noSchema(String)
    /// The database's schema is older than this build's: `sculpt db migrate` upgrades it.
    case olderSchema(String, found: Int, current: Int)
    /// The database's schema is newer than this build's.
    case newerSchema(String, found: Int, current: Int)
    /// The server rejected a statement.
    case server(String, String)
    /// A run in the database that this worker must not work on (another spec content hash or kind version).
    case refusedRun(String)

    public var description: String {
        switch self {
        case .badURL(let url, let reason): return "--db \(url): \(reason)"
        case .unreachable(let at, let reason): return "--db \(at): no PostgreSQL server reachable (\(reason))"
        case .authentication(let at, let reason):
            return "--db \(at): the server refused the login (\(reason)); "
                + "give the password in PGPASSWORD or ~/.pgpass"
        case .noSchema(let at):
            return "--db \(at): the database holds no Sculpt results schema; "
                + "create it with `sculpt db migrate --db URL`"
        case .olderSchema(let at, let found, let current):
            return "--db \(at): the database's schema is version \(found), this sculpt needs \(current); "
                + "upgrade it with `sculpt db migrate --db URL`"
        case .newerSchema(let at, let found, let current):
            return "--db \(at): the database's schema is version \(found), newer than this sculpt's \(current); "
                + "use a newer sculpt"
        case .server(let at, let reason): return "--db \(at): \(reason)"
        case .refusedRun(let reason): return reason
        }
    }

    public var errorDescription: String? { description }
}
#endif
