#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptIO
import SculptNN

/// Why a recipe's run folder cannot be resumed: it is not one, or what it holds is damaged.
public enum RecipeRunError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The folder holds no `file` of this recipe.
    case notARun(folder: String, recipe: String, file: String)
    /// A state file (or the checkpoint) that does not decode or lacks what resuming needs.
    case damaged(path: String, reason: String)

    public var description: String {
        switch self {
        case .notARun(let folder, let recipe, let file):
            return "\(folder): not a \(recipe) run folder (no \(file)); sculpt \(recipe) --out writes it"
        case .damaged(let path, let reason): return "\(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// The one layout of a resumable recipe run, shared by every recipe that saves one (lottery,
/// partial training, cheap ensembles; partial restart keeps one such folder per round):
///
/// - the checkpoint: `architecture.json`, `weights.safetensors`, `history.json`, the optimizer
///   state when the run trains epoch by epoch (`training.json`, `optimizer.safetensors`), and
///   the weights before the first step (`init.safetensors`, or `init.json` saying why they
///   were dropped);
/// - the recipe's state: `<recipe>.json` (its settings and position) and, where the recipe
///   keeps tensors beside the network, `<recipe>.safetensors`;
/// - the run log `metrics.jsonl` and `curves.svg`, written by the caller's log after each epoch
///   and carried over by `Checkpoint.save`.
///
/// Everything is rewritten atomically (temp folder then rename) after each finished step, so a
/// run killed at any point resumes from its last finished step.
public enum RecipeRunFolder {
    /// Writes `checkpoint` to `directory` with `state` attached as `stateFile` (pretty JSON) and
    /// `tensors`, when given, as `tensorsFile`.
    public static func save<State: Encodable>(
        _ checkpoint: Checkpoint, state: State, stateFile: String,
        tensors: (file: String, tensors: [(name: String, tensor: Tensor)])? = nil, to directory: String
    ) throws {
        var checkpoint = checkpoint
        checkpoint.attachments.append((stateFile, try encode(state)))
        if let tensors {
            let bytes = Safetensors(tensors: tensors.tensors, metadata: ["producer": "sculpt"]).encoded()
            checkpoint.attachments.append((tensors.file, bytes))
        }
        try checkpoint.save(to: directory)
    }

    /// The state `stateFile` of the run in `directory`, nil when the folder has none.
    public static func state<State: Decodable>(_ type: State.Type, file stateFile: String,
                                              in directory: String) throws -> State? {
        guard let bytes = try Checkpoint.attachment(named: stateFile, in: directory) else { return nil }
        do { return try JSONDecoder().decode(State.self, from: Data(bytes)) } catch {
            throw RecipeRunError.damaged(path: directory + "/" + stateFile, reason: "malformed: \(error)")
        }
    }

    /// The tensors `file` of the run in `directory`; throws when the file is missing or damaged.
    public static func tensors(file: String, in directory: String) throws -> Safetensors {
        guard let bytes = try Checkpoint.attachment(named: file, in: directory) else {
            throw RecipeRunError.damaged(path: directory, reason: "\(file) is missing")
        }
        do { return try Safetensors.decode(bytes, path: directory + "/" + file) } catch {
            throw RecipeRunError.damaged(path: directory + "/" + file, reason: "\(error)")
        }
    }

    /// The checkpoint of the run in `directory`.
    public static func checkpoint(in directory: String) throws -> Checkpoint {
        do { return try Checkpoint.load(from: directory) } catch {
            throw RecipeRunError.damaged(path: directory, reason: "\(error)")
        }
    }

    /// `value` as sorted, indented JSON.
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return [UInt8](try encoder.encode(value))
    }
}
