#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData
import SculptNN

/// The parameter values a training run started from (before its first step), by parameter name,
/// kept in the checkpoint as `init.safetensors` so distances from initialization can be measured
/// later. Surgery keeps them aligned with the units that survive, or drops them and records why
/// (`droppedReason`, saved as `init.json`).
public struct InitialWeights {
    /// Every parameter's initial value, in network order; empty when dropped.
    public var tensors: [(name: String, tensor: Tensor)]
    /// Why the initial weights are no longer kept (nil while they are).
    public var droppedReason: String?

    public static let file = "init.safetensors"
    public static let droppedFile = "init.json"

    public init(tensors: [(name: String, tensor: Tensor)], droppedReason: String? = nil) {
        self.tensors = tensors
        self.droppedReason = droppedReason
    }

    /// A copy of `network`'s parameter values now.
    public init(of network: Network) {
        self.init(tensors: network.namedParameters.map { ($0.name, $0.parameter.value.copy()) })
    }

    /// Initial weights that were dropped for `reason`.
    public static func dropped(_ reason: String) -> InitialWeights {
        InitialWeights(tensors: [], droppedReason: reason)
    }

    /// The initial value of parameter `name`.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// The tensors by name.
    public var byName: [String: Tensor] {
        Dictionary(tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    }

    /// Why these tensors do not fit `network`'s parameters (names and shapes), nil when they do.
    public func mismatch(with network: Network) -> String? {
        let parameters = network.namedParameters
        guard parameters.map(\.name) == tensors.map(\.name) else {
            return "parameters \(parameters.map(\.name)) but initial tensors \(tensors.map(\.name))"
        }
        for ((name, p), (_, t)) in zip(parameters, tensors) where p.value.shape != t.shape {
            return "\(name) has shape \(p.value.shape) but its initial value \(t.shape)"
        }
        return nil
    }

    /// These weights if they still fit `network`, else dropped with the mismatch as the reason.
    public func checked(against network: Network) -> InitialWeights {
        guard droppedReason == nil, let why = mismatch(with: network) else { return self }
        return .dropped("the network changed shape after initialization without realignment: \(why)")
    }

    /// The files a checkpoint writes for these weights.
    func files() throws -> [(name: String, bytes: [UInt8])] {
        if let droppedReason {
            return [(Self.droppedFile, try Checkpoint.encodeJSON(["dropped": droppedReason], pretty: true))]
        }
        let metadata = ["format": "pt", "producer": "sculpt", "content": "initial weights"]
        return [(Self.file, Safetensors(tensors: tensors, metadata: metadata).encoded())]
    }

    /// Reads the initial weights of the checkpoint folder `directory` (nil when it has none),
    /// validating them against `network`'s parameters by name and shape.
    static func load(from directory: String, network: Network) throws -> InitialWeights? {
        let tensorsPath = directory + "/" + file, droppedPath = directory + "/" + droppedFile
        if FilePaths.exists(droppedPath) {
            let note = try Checkpoint.decodeJSON([String: String].self, path: droppedPath)
            guard let reason = note["dropped"] else {
                throw CheckpointError.malformedJSON(path: droppedPath, reason: "expected {\"dropped\": reason}")
            }
            return .dropped(reason)
        }
        guard FilePaths.exists(tensorsPath) else { return nil }
        let file = try Safetensors.read(tensorsPath)
        let targets = network.namedParameters.map { ($0.name, $0.parameter.value) }
        let copies = targets.map { ($0.0, Tensor(zeros: $0.1.shape)) }
        try Checkpoint.assign(file, to: copies, path: tensorsPath)
        return InitialWeights(tensors: copies)
    }
}
