import SculptCore

/// A problem with one value of a spec or a trial config: where (a key path such as
/// `variants[2].config.width`) and why.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// Dotted key path with array indices, "" for the whole document.
    public var keyPath: String
    /// What is wrong, in words.
    public var reason: String

    public init(keyPath: String, reason: String) {
        self.keyPath = keyPath
        self.reason = reason
    }

    public var description: String { keyPath.isEmpty ? reason : "\(keyPath): \(reason)" }

    /// The same error seen from a parent object at `prefix`.
    func prefixed(_ prefix: String) -> ConfigError {
        ConfigError(keyPath: ConfigReader.join(prefix, keyPath), reason: reason)
    }
}

/// Strict reading of one JSON object: typed getters that name the key path in their errors,
/// and `finish()` that rejects every key nobody asked for (so a typo cannot be ignored).
///
/// Used for spec files and offered to trial kinds for their configs:
/// `let r = try ConfigReader(config); let width = try r.int("width", range: 1...); try r.finish()`.
public final class ConfigReader {
    /// Key path of this object in the document ("" at the top).
    public let path: String
    private let members: [String: JSONValue]
    private var used: Set<String> = []

    /// Reads `value`, which must be an object.
    public init(_ value: JSONValue, path: String = "") throws {
        guard case .object(let members) = value else {
            throw ConfigError(keyPath: path, reason: "expected an object, found \(value.typeName)")
        }
        self.path = path
        self.members = members
    }

    static func join(_ prefix: String, _ key: String) -> String {
        if prefix.isEmpty { return key }
        if key.isEmpty { return prefix }
        return key.hasPrefix("[") ? prefix + key : prefix + "." + key
    }

    /// Key path of `key` in this object.
    public func keyPath(_ key: String) -> String { Self.join(path, key) }

    /// Whether the object has `key` (marks it as read).
    public func contains(_ key: String) -> Bool {
        used.insert(key)
        return members[key] != nil
    }

    /// The raw value at `key`, nil when absent (marks it as read).
    public func value(_ key: String) -> JSONValue? {
        used.insert(key)
        return members[key]
    }

    /// The raw value at `key`; throws when absent.
    public func required(_ key: String) throws -> JSONValue {
        guard let v = value(key) else { throw ConfigError(keyPath: keyPath(key), reason: "missing required key") }
        return v
    }

    /// A string, from `allowed` when given.
    public func string(_ key: String, default fallback: String? = nil, allowed: [String]? = nil) throws -> String {
        let raw = try fallback.map { value(key) ?? .string($0) } ?? required(key)
        guard case .string(let s) = raw else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected a string, found \(raw.typeName)")
        }
        if let allowed, !allowed.contains(s) {
            throw ConfigError(
                keyPath: keyPath(key),
                reason: "unknown value \"\(s)\" (expected one of: \(allowed.joined(separator: ", ")))")
        }
        return s
    }

    /// A finite number within `range`.
    public func double(_ key: String, default fallback: Double? = nil,
        range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
    ) throws -> Double {
        let raw = try fallback.map { value(key) ?? .number($0) } ?? required(key)
        guard case .number(let x) = raw, x.isFinite else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected a finite number, found \(raw.typeName)")
        }
        guard range.contains(x) else {
            throw ConfigError(
                keyPath: keyPath(key),
                reason:
                    "\(JSONValue.numberText(x)) is out of range \(JSONValue.numberText(range.lowerBound))...\(JSONValue.numberText(range.upperBound))"
            )
        }
        return x
    }

    /// An integer at least `minimum` and at most `maximum` (by default 2^31 - 1: every count and
    /// size in a spec is bounded, so later arithmetic on it cannot overflow).
    public func int(
        _ key: String, default fallback: Int? = nil, minimum: Int = Int.min, maximum: Int = ConfigReader.largestInteger
    ) throws -> Int {
        let raw = try fallback.map { value(key) ?? .number(Double($0)) } ?? required(key)
        guard case .number(let x) = raw, x == x.rounded(), abs(x) < 9_007_199_254_740_992 else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected an integer, found \(raw.canonicalText)")
        }
        let n = Int(x)
        if n < minimum { throw ConfigError(keyPath: keyPath(key), reason: "must be at least \(minimum), found \(n)") }
        if n > maximum { throw ConfigError(keyPath: keyPath(key), reason: "must be at most \(maximum), found \(n)") }
        return n
    }

    /// The default bound of `int`.
    public static let largestInteger = Int(Int32.max)

    /// A boolean.
    public func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        let raw = try fallback.map { value(key) ?? .bool($0) } ?? required(key)
        guard case .bool(let b) = raw else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected true or false, found \(raw.typeName)")
        }
        return b
    }

    /// An array of integers, each at least `minimum`.
    public func ints(_ key: String, default fallback: [Int]? = nil, minimum: Int = Int.min) throws -> [Int] {
        guard let raw = value(key) else {
            if let fallback { return fallback }
            throw ConfigError(keyPath: keyPath(key), reason: "missing required key")
        }
        guard case .array(let items) = raw else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected an array of integers, found \(raw.typeName)")
        }
        return try items.enumerated().map { i, item in
            guard case .number(let x) = item, x == x.rounded(), abs(x) < 9_007_199_254_740_992, Int(x) >= minimum else {
                throw ConfigError(
                    keyPath: keyPath(key) + "[\(i)]",
                    reason: "expected an integer of at least \(minimum), found \(item.canonicalText)")
            }
            return Int(x)
        }
    }

    /// The object at `key`, read strictly too.
    public func object(_ key: String) throws -> ConfigReader {
        try ConfigReader(required(key), path: keyPath(key))
    }

    /// The elements of the array at `key` with their key paths.
    public func array(_ key: String) throws -> [(path: String, value: JSONValue)] {
        let raw = try required(key)
        guard case .array(let items) = raw else {
            throw ConfigError(keyPath: keyPath(key), reason: "expected an array, found \(raw.typeName)")
        }
        return items.enumerated().map { (keyPath(key) + "[\($0.offset)]", $0.element) }
    }

    /// Throws for the first key (alphabetically) that no getter asked for.
    public func finish() throws {
        for key in members.keys.sorted() where !used.contains(key) {
            let expected = used.sorted().joined(separator: ", ")
            throw ConfigError(keyPath: keyPath(key), reason: "unknown key (expected one of: \(expected))")
        }
    }
}
