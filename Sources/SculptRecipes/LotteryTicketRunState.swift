#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptIO
import SculptNN

/// What a lottery-ticket search runs on and how: the model and data names, the sample limits and
/// the search's configuration. `sculpt lottery` (from its flags) and the `lottery` trial kind
/// (from a spec) read it with one reader (`LotteryTicketSettings(config:)` in SculptExperiments).
public struct LotteryTicketSettings: Equatable, Sendable {
    /// A built-in name, `mlp:W1,W2,...` or an architecture JSON file.
    public var model: String
    /// As `--data`.
    public var data: String
    /// The first N training / test samples only (nil: all).
    public var trainingSamples: Int?
    public var testSamples: Int?
    public var configuration: LotteryTicketConfiguration

    public init(model: String = "mlp:300,100", data: String = "fashion-mnist", trainingSamples: Int? = nil,
                testSamples: Int? = nil, configuration: LotteryTicketConfiguration = LotteryTicketConfiguration()) {
        self.model = model
        self.data = data
        self.trainingSamples = trainingSamples
        self.testSamples = testSamples
        self.configuration = configuration
    }
}

/// A lottery-ticket search's run folder (`RecipeRunFolder`'s layout), rewritten after every round:
/// the last ticket as the checkpoint (its rewind point as `init.safetensors`), the settings and
/// finished rounds as `lottery.json` (also the checkpoint's history record), and the rewind point
/// and mask as `lottery.safetensors`. Resume with `load(from:)` and `LotteryTicketSearch.run(...,
/// resumingFrom:)`.
public struct LotteryTicketRunState: Codable {
    public static let recipe = "lottery"
    public static let stateFile = "lottery.json"
    public static let tensorsFile = "lottery.safetensors"

    // The keys of the folders written before the state moved into the library: they still resume.
    public var model: String
    public var data: String
    public var seed: UInt64
    public var trainingSamples: Int?
    public var testSamples: Int?
    public var configuration: LotteryTicketConfiguration
    public var rounds: [LotteryTicketRound] = []
    public var random: RandomSource? = nil

    /// The state of a search of `settings` from `seed`, before its first round.
    public init(settings: LotteryTicketSettings, seed: UInt64) {
        model = settings.model
        data = settings.data
        self.seed = seed
        trainingSamples = settings.trainingSamples
        testSamples = settings.testSamples
        configuration = settings.configuration
    }

    /// The search's settings.
    public var settings: LotteryTicketSettings {
        LotteryTicketSettings(model: model, data: data, trainingSamples: trainingSamples, testSamples: testSamples,
                              configuration: configuration)
    }

    /// Writes the ticket of `progress` to `directory` with this state (and the progress) attached.
    public func save(_ progress: LotteryTicketProgress, architecture: Architecture, to directory: String) throws {
        var state = self
        state.rounds = progress.rounds
        state.random = progress.random
        var rng = RandomSource(seed: 0)
        let network = try Network(architecture, initializer: .uniform(low: 0, high: 0), rng: &rng)
        network.restore(progress.weights)
        var tensors = progress.rewindPoint.enumerated().map { (name: "rewind/\($0.offset)", tensor: $0.element) }
        for name in progress.mask.entries.keys.sorted() {
            let values = progress.mask.entries[name] ?? []
            tensors.append((name: "mask/\(name)", tensor: Tensor(values, shape: [values.count])))
        }
        let details = try JSONDecoder().decode(JSONValue.self, from: Data(try RecipeRunFolder.encode(state)))
        // The ticket trains from the rewind point: its parameters are the ticket's initial weights.
        let names = network.namedParameters.map(\.name)
        let initial = InitialWeights(tensors: Array(zip(names, progress.rewindPoint.prefix(names.count))))
        let checkpoint = Checkpoint(network: network, history: [HistoryRecord(operation: "lottery", details: details)],
                                    initialWeights: initial)
        try RecipeRunFolder.save(checkpoint, state: state, stateFile: Self.stateFile,
                                 tensors: (Self.tensorsFile, tensors), to: directory)
    }

    /// Reads a folder written by `save`: the state and the progress to resume from.
    public static func load(from directory: String) throws -> (state: LotteryTicketRunState,
                                                               progress: LotteryTicketProgress) {
        let checkpoint = try RecipeRunFolder.checkpoint(in: directory)
        guard let state = try RecipeRunFolder.state(Self.self, file: stateFile, in: directory) else {
            throw RecipeRunError.notARun(folder: directory, recipe: recipe, file: stateFile)
        }
        let tensors = try RecipeRunFolder.tensors(file: tensorsFile, in: directory)
        guard let random = state.random, !state.rounds.isEmpty else {
            throw RecipeRunError.damaged(path: directory + "/" + stateFile, reason: "no finished round to resume after")
        }
        let network = checkpoint.network
        var rewind: [Tensor] = []
        for i in 0..<network.snapshot().count {
            guard let t = tensors["rewind/\(i)"] else {
                throw RecipeRunError.damaged(path: directory + "/" + tensorsFile, reason: "missing tensor rewind/\(i)")
            }
            rewind.append(t)
        }
        var entries: [String: [Float]] = [:]
        for (name, tensor) in tensors.tensors where name.hasPrefix("mask/") {
            entries[String(name.dropFirst(5))] = Array(UnsafeBufferPointer(start: tensor.data, count: tensor.count))
        }
        let progress = LotteryTicketProgress(rounds: state.rounds, mask: LotteryTicketMask(entries: entries),
                                             weights: network.snapshot(), rewindPoint: rewind, random: random)
        return (state, progress)
    }
}
