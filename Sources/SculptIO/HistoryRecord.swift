import SculptCore

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
