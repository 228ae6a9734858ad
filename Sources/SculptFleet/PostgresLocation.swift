#if Fleet
import Foundation
import PostgresNIO

/// A PostgreSQL results store's address, read from a `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE]`
/// URL (as in `--db` or `SCULPT_DB`). The password comes from the URL, else `PGPASSWORD`, else the password
/// file (`PGPASSFILE` or `~/.pgpass`, libpq's format); it is never part of `description`.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// libpq's TLS modes that this store supports.
    public enum TLSMode: String, Sendable, Equatable {
        /// No TLS (the default, as for a server on loopback or a private network).
        case disable
        /// TLS when the server offers it, no certificate check.
        case prefer
        /// TLS required, no certificate check (libpq's meaning of `require`).
        case require
        /// TLS required, the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    /// Whether `text` names a PostgreSQL store (rather than an SQLite file).
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads `url`; `environment` supplies PGPASSWORD, PGPASSFILE, PGUSER and HOME.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isURL(url), let parts = URLComponents(string: url) else {
            throw FleetError.badURL(Self.masked(url), "expected postgres://USER@HOST[:PORT]/DATABASE")
        }
        guard let host = parts.host, !host.isEmpty else { throw FleetError.badURL(Self.masked(url), "no host") }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw FleetError.badURL(Self.masked(url), "expected one database name after the host")
        }
        self.host = host
        self.port = parts.port ?? 5432
        self.database = database
        self.user = parts.user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        self.tls = .disable
        for item in parts.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: item.value ?? "") else {
                    throw FleetError.badURL(Self.masked(url), "sslmode: expected disable, prefer, require or "
                                            + "verify-full, found \(item.value ?? "")")
                }
                tls = mode
            default:
                throw FleetError.badURL(Self.masked(url), "unknown parameter \(item.name) (only sslmode is read)")
            }
        }
        password = parts.password ?? environment["PGPASSWORD"]
        if password == nil {
            password = Self.passwordFromFile(host: host, port: port, database: self.database, user: user,
                                             environment: environment)
        }
    }

    /// The URL without its password: safe to print and log.
    public var description: String {
        "postgres://\(user)@\(host)\(port == 5432 ? "" : ":\(port)")/\(database)"
            + (tls == .disable ? "" : "?sslmode=\(tls.rawValue)")
    }

    /// `url` with any password replaced by `***` (for messages about URLs that did not parse).
    public static func masked(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://"), scheme.upperBound < at else {
            return url
        }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }

    /// The password of the first matching line of the password file (`host:port:database:user:password`,
    /// `*` matching anything, `\:` and `\\` escaped), nil when there is none.
    static func passwordFromFile(host: String, port: Int, database: String, user: String,
                                 environment: [String: String]) -> String? {
        let path = environment["PGPASSFILE"] ?? (environment["HOME"].map { $0 + "/.pgpass" } ?? "")
        guard !path.isEmpty, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let wanted = [host, String(port), database, user]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = splitPassFileLine(String(line))
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// A password-file line's fields, split at unescaped colons.
    static func splitPassFileLine(_ line: String) -> [String] {
        var fields: [String] = [], current = "", escaped = false
        for c in line {
            if escaped {
                current.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        fields.append(current)
        return fields
    }

    /// postgres-nio's connection settings for this location.
    func configuration() throws -> PostgresConnection.Configuration {
        let tlsSetting: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable:
            tlsSetting = .disable
        case .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tlsSetting = tls == .prefer ? .prefer(context) : .require(context)
        case .verifyFull:
            tlsSetting = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                             database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
#endif
