/// One structural change applied to a network (surgery), as stored in a checkpoint's
/// `history.json`. Later issues append records; `details` holds the operation's plan.
public struct HistoryRecord: Codable, Equatable, Sendable {
    /// The operation's name, e.g. "remove-units".
    public var operation: String
    /// The training epoch after which it was applied, if during training.
    public var epoch: Int?
    /// The operation's parameters (its Codable plan, as JSON).
    public var details: JSONValue

    public init(operation: String, epoch: Int? = nil, details: JSONValue = .object([:])) {
        self.operation = operation
        self.epoch = epoch
        self.details = details
    }
}

/// Any JSON value; lets a record carry a plan whose type lives in a higher module.
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
