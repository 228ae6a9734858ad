import SculptCore

/// A named sequence of (x, y) values one trial measured: loss per epoch, accuracy per round,
/// the width of a layer per epoch, the loss factor of each operation. Stored in the results
/// database's `series` table, keyed by trial and name, for the report's figures.
public struct TrialSeries: Sendable, Equatable {
    /// Unique within a trial ("loss", "testAccuracy", "width/layers.0").
    public var name: String
    public var x: [Double]
    /// One value per x (non-finite values are kept and stored as "nan"/"inf").
    public var y: [Double]

    public init(name: String, x: [Double], y: [Double]) {
        precondition(x.count == y.count, "series \(name): \(x.count) x values for \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
    }

    /// `y[i]` at x = 1, 2, ... (per-epoch values).
    public init(name: String, perEpoch values: [Double]) {
        self.init(name: name, x: values.indices.map { Double($0 + 1) }, y: values)
    }

    /// `{"name": ..., "x": [...], "y": [...]}` (non-finite numbers as the strings "nan", "inf", "-inf").
    public var json: JSONValue {
        .object(["name": .string(name), "x": .array(x.map { .number($0) }), "y": .array(y.map { .number($0) })])
    }

    /// Reads `json`'s form back.
    public init(json: JSONValue) throws {
        let r = try ConfigReader(json)
        let name = try r.string("name")
        func numbers(_ key: String) throws -> [Double] {
            guard case .array(let items) = try r.required(key) else {
                throw ConfigError(keyPath: key, reason: "expected an array of numbers")
            }
            return items.map(Self.number)
        }
        let x = try numbers("x")
        let y = try numbers("y")
        try r.finish()
        guard x.count == y.count else {
            throw ConfigError(keyPath: "y", reason: "\(y.count) values for \(x.count) x values")
        }
        self.init(name: name, x: x, y: y)
    }

    /// A stored number: a JSON number, or "inf"/"-inf"; anything else is NaN.
    static func number(_ value: JSONValue) -> Double {
        switch value {
        case .number(let v): v
        case .string("inf"): .infinity
        case .string("-inf"): -.infinity
        default: .nan
        }
    }
}
