#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData
import SculptNN

/// A saved network: a folder holding
/// - `architecture.json`: the `Architecture`;
/// - `weights.safetensors`: parameters and buffers as `layers.N.weight` in PyTorch's layouts, so
///   `safetensors.torch.load_file` gives the state_dict of the equivalent `nn.Sequential`;
/// - `history.json`: the surgery history (`[HistoryRecord]`);
/// - with a training state, `training.json` (configuration, epoch, RNG, per-parameter step
///   counts) and `optimizer.safetensors` (`state/NAME/KEY` optimizer moments, `mask/NAME` masks);
/// - `init.safetensors`: the parameters before the first training step (`InitialWeights`), or
///   `init.json` saying why surgery dropped them.
///
/// Saving is atomic (see `AtomicDirectory`); loading validates everything and throws
/// `CheckpointError` / `SafetensorsError` naming the file, tensor and values.
public struct Checkpoint {
    public static let architectureFile = "architecture.json"
    public static let weightsFile = "weights.safetensors"
    public static let historyFile = "history.json"
    public static let trainingFile = "training.json"
    public static let optimizerFile = "optimizer.safetensors"
    /// A run's curves (`metrics.jsonl`, `curves.svg`, written by SculptExperiments' `RunLog`):
    /// saving over an existing checkpoint keeps them, in the same atomic step.
    public static let runLogFiles = ["metrics.jsonl", "curves.svg"]

    /// The network, with optimizer state, step counts and masks on its parameters.
    public var network: Network
    public var history: [HistoryRecord]
    /// Present when the checkpoint can resume training.
    public var training: TrainingState?
    /// Extra files written into the folder in the same atomic step: the state a recipe needs to
    /// resume after this checkpoint (lottery masks and rewind points, schedule positions, ...).
    /// Names are plain file names other than the checkpoint's own; `load` ignores them, read them
    /// with `attachment(named:in:)`.
    public var attachments: [(name: String, bytes: [UInt8])]
    /// The weights training started from (nil: not recorded).
    public var initialWeights: InitialWeights?

    public init(network: Network, history: [HistoryRecord] = [], training: TrainingState? = nil,
                attachments: [(name: String, bytes: [UInt8])] = [], initialWeights: InitialWeights? = nil) {
        self.network = network
        self.history = history
        self.training = training
        self.attachments = attachments
        self.initialWeights = initialWeights
    }

    /// The bytes of the attachment `name` in the checkpoint folder `directory`; nil when the
    /// folder has no such file.
    public static func attachment(named name: String, in directory: String) throws -> [UInt8]? {
        let path = (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + name
        guard FilePaths.exists(path) else { return nil }
        return try readFileBytes(path)
    }

    /// Whether `directory` looks like a checkpoint (holds an architecture file).
    public static func exists(at directory: String) -> Bool {
        FilePaths.exists(directory + "/" + architectureFile)
    }

    // MARK: Saving

    /// Writes the checkpoint folder atomically, replacing an existing checkpoint at `directory`.
    /// Refuses to replace a file or a non-empty folder that is not a checkpoint.
    public func save(to directory: String) throws {
        if FilePaths.exists(directory) {
            guard FilePaths.isDirectory(directory) else {
                throw CheckpointError.refusingToReplace(
                    path: directory, reason: "it is a file, not a checkpoint folder")
            }
            guard FilePaths.isEmptyDirectory(directory) || Self.exists(at: directory) else {
                throw CheckpointError.refusingToReplace(
                    path: directory, reason: "the folder is not empty and holds no \(Self.architectureFile)")
            }
        }
        var files = try files()
        for name in Self.runLogFiles where !files.contains(where: { $0.name == name }) {
            if let kept = try Self.attachment(named: name, in: directory) { files.append((name, kept)) }
        }
        try AtomicDirectory.write(files, to: directory)
    }

    /// The checkpoint's files as (name, bytes).
    public func files() throws -> [(name: String, bytes: [UInt8])] {
        var files: [(name: String, bytes: [UInt8])] = []
        files.append((Self.architectureFile, try Self.encodeJSON(network.architecture, pretty: true)))
        let weights =
            network.namedParameters.map { ($0.name, $0.parameter.value) }
            + network.namedBuffers.map { ($0.name, $0.buffer) }
        files.append(
            (
                Self.weightsFile,
                Safetensors(tensors: weights, metadata: ["format": "pt", "producer": "sculpt"]).encoded()
            ))
        files.append((Self.historyFile, try Self.encodeJSON(history, pretty: true)))
        if let training {
            var steps: [String: Int] = [:]
            var tensors: [(name: String, tensor: Tensor)] = []
            for (name, p) in network.namedParameters {
                steps[name] = p.step
                for key in p.state.keys.sorted() { tensors.append(("state/\(name)/\(key)", p.state[key]!)) }
                if let mask = p.mask { tensors.append(("mask/\(name)", mask)) }
            }
            files.append(
                (
                    Self.trainingFile,
                    try Self.encodeJSON(TrainingFile(state: training, parameterSteps: steps), pretty: true)
                ))
            files.append(
                (Self.optimizerFile, Safetensors(tensors: tensors, metadata: ["producer": "sculpt"]).encoded()))
        }
        if let initialWeights { files += try initialWeights.checked(against: network).files() }
        let reserved = Set(files.map(\.name) + [Self.trainingFile, Self.optimizerFile, InitialWeights.file,
                                                 InitialWeights.droppedFile])
        for attachment in attachments {
            guard !attachment.name.isEmpty, !attachment.name.contains("/"), !attachment.name.hasPrefix("."),
                  !reserved.contains(attachment.name), !files.contains(where: { $0.name == attachment.name }) else {
                throw CheckpointError.cannotWrite(
                    path: attachment.name,
                    reason:
                        "an attachment needs a plain file name other than the checkpoint's own files and other attachments"
                )
            }
            files.append(attachment)
        }
        return files
    }

    // MARK: Loading

    /// Reads and validates a checkpoint folder.
    public static func load(from directory: String) throws -> Checkpoint {
        guard FilePaths.isDirectory(directory) else {
            throw FilePaths.exists(directory)
                ? CheckpointError.notAFolder(path: directory) : CheckpointError.notFound(path: directory)
        }
        let dir = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        let architecturePath = dir + "/" + architectureFile, weightsPath = dir + "/" + weightsFile
        let architecture = try decodeJSON(Architecture.self, path: architecturePath)
        let weights = try Safetensors.read(try existing(weightsPath))
        // Generous slack so that a mismatch is reported by tensor name, yet a corrupted width
        // cannot allocate gigabytes.
        let budget = 2 * weights.elementCount + (1 << 20)
        let network = try buildNetwork(architecture, path: architecturePath, budget: budget, weightsPath: weightsPath)
        try assign(
            weights,
            to: network.namedParameters.map { ($0.name, $0.parameter.value) }
                + network.namedBuffers.map { ($0.name, $0.buffer) },
                   path: weightsPath)

        let historyPath = dir + "/" + historyFile
        let history = FilePaths.exists(historyPath) ? try decodeJSON([HistoryRecord].self, path: historyPath) : []

        let trainingPath = dir + "/" + trainingFile, optimizerPath = dir + "/" + optimizerFile
        let hasTraining = FilePaths.exists(trainingPath)
        guard hasTraining == FilePaths.exists(optimizerPath) else {
            throw CheckpointError.missingFile(path: hasTraining ? optimizerPath : trainingPath)
        }
        var training: TrainingState? = nil
        if hasTraining {
            let file = try decodeJSON(TrainingFile.self, path: trainingPath)
            try restore(
                file, optimizer: try Safetensors.read(optimizerPath), into: network, trainingPath: trainingPath,
                optimizerPath: optimizerPath)
            training = file.state
        }
        let initial = try InitialWeights.load(from: dir, network: network)
        return Checkpoint(network: network, history: history, training: training, initialWeights: initial)
    }

    /// Builds the network layer by layer, stopping as soon as it needs more than `budget` values.
    static func buildNetwork(
        _ architecture: Architecture, path: String, budget: Int, weightsPath: String
    ) throws -> Network {
        var rng = RandomSource(seed: 0)
        var layers: [Layer] = []
        var needed = 0
        do {
            for spec in architecture.layers {
                if case .dense(let i, let o, _) = spec {
                    let (n, overflow) = i.multipliedReportingOverflow(by: o)
                    if overflow || n > budget - needed {
                        throw CheckpointError.architectureTooLarge(
                            path: weightsPath, needed: overflow ? Int.max : needed + n, available: budget)
                    }
                }
                let layer = try spec.makeLayer(initializer: .uniform(low: 0, high: 0), rng: &rng)
                needed += layer.parameterCount + layer.namedBuffers.reduce(0) { $0 + $1.buffer.count }
                if needed > budget {
                    throw CheckpointError.architectureTooLarge(path: weightsPath, needed: needed, available: budget)
                }
                layers.append(layer)
            }
            return try Network(inputShape: architecture.inputShape, layers: layers)
        } catch let e as CheckpointError {
            throw e
        } catch {
            throw CheckpointError.invalidArchitecture(path: path, reason: "\(error)")
        }
    }

    /// Copies the file's tensors into `targets` by name, requiring the same names and shapes.
    static func assign(_ file: Safetensors, to targets: [(String, Tensor)], path: String) throws {
        var byName: [String: Tensor] = [:]
        for (n, t) in file.tensors { byName[n] = t }
        let missing = targets.map(\.0).filter { byName[$0] == nil }
        if !missing.isEmpty { throw CheckpointError.missingTensors(path: path, names: missing) }
        let expected = Set(targets.map(\.0))
        let extra = file.tensors.map(\.name).filter { !expected.contains($0) }
        if !extra.isEmpty { throw CheckpointError.unexpectedTensors(path: path, names: extra) }
        for (name, target) in targets where byName[name]!.shape != target.shape {
            throw CheckpointError.shapeMismatch(
                path: path, tensor: name, expected: target.shape, actual: byName[name]!.shape)
        }
        for (name, target) in targets { target.assign(byName[name]!) }
    }

    /// Validates a training file and the optimizer tensors against the network, then puts step
    /// counts, moments and masks on its parameters.
    static func restore(
        _ file: TrainingFile, optimizer: Safetensors, into network: Network, trainingPath: String, optimizerPath: String
    ) throws {
        let state = file.state
        func invalid(_ why: String) -> CheckpointError { .invalidTrainingState(path: trainingPath, reason: why) }
        do { try state.configuration.validate() } catch { throw invalid("\(error)") }
        guard state.completedEpochs >= 0 else { throw invalid("completedEpochs is \(state.completedEpochs)") }
        guard state.rng.state.count == 4, state.rng.state.contains(where: { $0 != 0 }) else {
            throw invalid("the generator state must be 4 words, not all zero, got \(state.rng.state)")
        }
        let parameters = network.namedParameters
        let names = Set(parameters.map(\.name))
        let unknownSteps = file.parameterSteps.keys.filter { !names.contains($0) }.sorted()
        if !unknownSteps.isEmpty { throw invalid("step counts for unknown parameters \(unknownSteps)") }
        var tensors: [String: Tensor] = [:]
        for (n, t) in optimizer.tensors { tensors[n] = t }
        let keys = state.configuration.optimizer.stateKeys
        var used = Set<String>()
        var restored: [(Parameter, Int, [String: Tensor], Tensor?)] = []
        for (name, p) in parameters {
            guard let step = file.parameterSteps[name] else { throw invalid("no step count for \(name)") }
            guard step >= 0 else { throw invalid("step count \(step) for \(name)") }
            var moments: [String: Tensor] = [:]
            for key in keys {
                guard let t = tensors["state/\(name)/\(key)"] else { continue }
                guard t.shape == p.value.shape else {
                    throw CheckpointError.shapeMismatch(
                        path: optimizerPath, tensor: "state/\(name)/\(key)", expected: p.value.shape, actual: t.shape)
                }
                moments[key] = t
                used.insert("state/\(name)/\(key)")
            }
            guard moments.isEmpty || moments.count == keys.count, (step > 0) == !moments.isEmpty || keys.isEmpty else {
                throw invalid(
                    "\(name) has taken \(step) steps but \(optimizerPath) holds \(moments.keys.sorted()) of \(keys.sorted())"
                )
            }
            var mask: Tensor? = nil
            if let m = tensors["mask/\(name)"] {
                guard m.shape == p.value.shape else {
                    throw CheckpointError.shapeMismatch(
                        path: optimizerPath, tensor: "mask/\(name)", expected: p.value.shape, actual: m.shape)
                }
                mask = m
                used.insert("mask/\(name)")
            }
            restored.append((p, step, moments, mask))
        }
        let extra = optimizer.tensors.map(\.name).filter { !used.contains($0) }
        if !extra.isEmpty { throw CheckpointError.unexpectedTensors(path: optimizerPath, names: extra) }
        for (p, step, moments, mask) in restored {
            p.step = step
            p.state = moments
            p.mask = mask
        }
    }

    // MARK: JSON

    static func encodeJSON<T: Encodable>(_ value: T, pretty: Bool) throws -> [UInt8] {
        let encoder = JSONEncoder.keepingNonFinite(pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys])
        return Array(try encoder.encode(value)) + [10]
    }

    static func decodeJSON<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        let bytes = try readFileBytes(try existing(path))
        let decoder = JSONDecoder.keepingNonFinite()
        do { return try decoder.decode(type, from: Data(bytes)) } catch {
            throw CheckpointError.malformedJSON(
                path: path, reason: describe(error).split(separator: "\n").joined(separator: " "))
        }
    }

    static func existing(_ path: String) throws -> String {
        guard FilePaths.exists(path) else { throw CheckpointError.missingFile(path: path) }
        return path
    }
}

/// The contents of `training.json`.
struct TrainingFile: Codable {
    var format = 1
    var state: TrainingState
    /// Optimizer steps taken on each parameter, by name.
    var parameterSteps: [String: Int]

    init(state: TrainingState, parameterSteps: [String: Int]) {
        self.state = state
        self.parameterSteps = parameterSteps
    }
}
