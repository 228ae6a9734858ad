#if Dashboard
import SculptCore
import SculptRecipes

/// Typed errors of the dashboard; each becomes one clear error reply and changes nothing.
public enum DashboardError: Error, Equatable, CustomStringConvertible {
    case badMessage(String)
    case rejected(String)
    case unavailable(String)
    case cannotStart(String)

    public var description: String {
        switch self {
        case .badMessage(let why): return "bad message: \(why)"
        case .rejected(let why): return "rejected: \(why)"
        case .unavailable(let why): return "not available yet: \(why)"
        case .cannotStart(let why): return "cannot start the dashboard: \(why)"
        }
    }
}

/// What a browser (or script) may send: one JSON object with a `type`.
///
/// - `{"type": "request", "text": "expand:fc1:to=40"}`: an operation as `sculpt schedule` reads it;
/// - `{"type": "control", "action": "pause" | "resume" | "stop"}`;
/// - `{"type": "preview", "text": "eigenremove:conv2:to=12:rank=0.125"}`: what it would do, nothing applied;
/// - `{"type": "units", "layer": "layers.3"}`: the layer's unit measurements.
public enum ClientMessage: Equatable, Sendable {
    case request(ScheduleOperation)
    case control(String)
    case preview(ScheduleOperation)
    case units(layer: String)

    /// The largest message accepted, in bytes.
    public static let maximumBytes = 8192
    static let controls = ["pause", "resume", "stop"]

    /// Parses a message; throws `DashboardError.badMessage` naming what is wrong.
    public init(json bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumBytes else {
            throw DashboardError.badMessage(
                "\(bytes.count) bytes is more than the \(Self.maximumBytes) a message may have")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw DashboardError.badMessage("not JSON (\(error))") }
        guard case .object(let members) = value else {
            throw DashboardError.badMessage("expected a JSON object, found \(value.typeName)")
        }
        guard let type = members["type"]?.stringValue else {
            throw DashboardError.badMessage("the \"type\" field (a string) is missing")
        }
        let expected: [String: String] = ["request": "text", "preview": "text", "control": "action", "units": "layer"]
        guard let field = expected[type] else {
            throw DashboardError.badMessage("unknown type '\(type)' (expected request, preview, control or units)")
        }
        if let extra = members.keys.sorted().first(where: { $0 != "type" && $0 != field }) {
            throw DashboardError.badMessage("unknown field '\(extra)' in a \(type) message (it takes \"\(field)\")")
        }
        guard let argument = members[field]?.stringValue, !argument.isEmpty else {
            throw DashboardError.badMessage("a \(type) message needs \"\(field)\", a non-empty string")
        }
        switch type {
        case "control":
            guard Self.controls.contains(argument) else {
                throw DashboardError.badMessage("unknown action '\(argument)' (expected pause, resume or stop)")
            }
            self = .control(argument)
        case "units": self = .units(layer: argument)
        default:
            let operation: ScheduleOperation
            do { operation = try ScheduleOperation(parsing: argument) } catch {
                throw DashboardError.badMessage("\(error)")
            }
            self = type == "request" ? .request(operation) : .preview(operation)
        }
    }
}
#endif
