import SculptData
import SculptNN

extension Architecture {
    /// Reads an architecture JSON file; throws `CheckpointError` naming the file and the problem.
    public init(contentsOf path: String) throws {
        self = try Checkpoint.decodeJSON(Architecture.self, path: path)
    }

    /// Writes the architecture as pretty-printed JSON (atomically).
    public func write(to path: String) throws {
        try writeFileAtomically(try Checkpoint.encodeJSON(self, pretty: true), to: path)
    }
}
