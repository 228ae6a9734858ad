import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

struct Lottery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search for lottery tickets: iterative magnitude pruning with rewinding, against random re-initialization.")

    @Option(help: "A built-in model name, mlp:W1,W2,... (mlp:300,100 is LeNet-300-100) or an architecture JSON file.")
    var model: String = "mlp:300,100"
    @Option(help: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR.")
    var data: String = "fashion-mnist"
    @Option(help: "Pruning rounds after the dense training (default 5; with --resume, a larger number extends the saved search).")
    var rounds: Int?
    @Option(help: "Fraction of the remaining hidden Dense weights (or units) pruned per round, in (0, 1).")
    var rate: Double = 0.2
    @Option(name: .customLong("conv-rate"), help: "Per-round rate of Conv2D layers (default: rate / 2).")
    var convolutionRate: Double?
    @Option(name: .customLong("output-rate"), help: "Per-round rate of the output layer's weights (default: rate / 2; unstructured only).")
    var outputRate: Double?
    @Flag(help: "Prune whole units/filters (incoming weights, bias, BatchNorm entries) instead of single weights.")
    var structured = false
    @Option(help: "Unit score for --structured: l1 or l2 (norm of the incoming weights per fan-in).")
    var norm: String = "l1"
    @Option(help: "Ranking: layer (each layer at its rate) or global (all hidden layers together).")
    var scope: String = "layer"
    @Option(help: "Rewind survivors to their values after K optimizer steps (0 = initialization).")
    var rewind: Int = 0
    @Flag(help: "Also train the random-reinitialization control (same mask, fresh weights) each round.")
    var control = false
    @Option(help: "Epochs of every training.")
    var epochs: Int = 5
    @Option(help: "Mini-batch size.")
    var batch: Int = 60
    @Option(help: "adam or sgd.")
    var optimizer: String = "adam"
    @Option(help: "Learning rate (Frankle & Carbin's LeNet: Adam 1.2e-3).")
    var lr: Float = 1.2e-3
    @Option(help: "SGD momentum.")
    var momentum: Float?
    @Option(name: .customLong("init"), help: "Initializer of the network and the controls (default glorot-normal).")
    var initializer: String = "glorot-normal"
    @Option(name: .customLong("training-samples"), help: "Use only the first N training samples.")
    var trainingSamples: Int?
    @Option(name: .customLong("test-samples"), help: "Use only the first N test samples.")
    var testSamples: Int?
    @Option(help: "Seed of initialization, controls and data order.")
    var seed: UInt64 = 0
    @Option(help: "Checkpoint folder, rewritten atomically after every round: the last ticket, the rounds in its history, and what --resume needs (lottery.json, lottery.safetensors).")
    var out: String?
    @Option(help: "Continue the search saved in this folder after its last finished round, with its saved model, data, seed and protocol (the flags above are not used, except --rounds to extend it; --out defaults to this folder).")
    var resume: String?
    @Flag(help: "Replace an existing checkpoint at --out.")
    var overwrite = false
    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded(outputs: [out]) { try execute() } }

    private func makeConfiguration() throws -> LotteryTicketConfiguration {
        var c = LotteryTicketConfiguration()
        let rounds = self.rounds ?? 5
        guard rounds >= 0, rounds <= 1000 else { throw UsageError("--rounds must lie in [0, 1000], got \(rounds)") }
        guard rate > 0, rate < 1 else { throw UsageError("--rate must lie in (0, 1), got \(rate)") }
        if let r = convolutionRate, !(r >= 0 && r < 1) { throw UsageError("--conv-rate must lie in [0, 1), got \(r)") }
        if let r = outputRate, !(r >= 0 && r < 1) { throw UsageError("--output-rate must lie in [0, 1), got \(r)") }
        guard epochs >= 1, epochs <= 1_000_000 else { throw UsageError("--epochs must lie in [1, 1000000], got \(epochs)") }
        guard batch >= 1, batch <= 1 << 20 else { throw UsageError("--batch must lie in [1, \(1 << 20)], got \(batch)") }
        guard rewind >= 0 else { throw UsageError("--rewind must be >= 0, got \(rewind)") }
        guard let n = UnitNorm(rawValue: norm.lowercased()) else { throw UsageError("--norm must be l1 or l2, got '\(norm)'") }
        guard let s = PruningScope(rawValue: scope.lowercased()) else { throw UsageError("--scope must be layer or global, got '\(scope)'") }
        guard lr > 0, lr.isFinite else { throw UsageError("--lr must be positive, got \(lr)") }
        switch optimizer.lowercased() {
        case "adam":
            if momentum != nil { throw UsageError("--momentum applies to sgd only (adam uses beta1 0.9)") }
            c.optimizer = .adam(learningRate: lr)
        case "sgd":
            let m = momentum ?? 0
            guard m >= 0, m < 1 else { throw UsageError("--momentum must lie in [0, 1), got \(m)") }
            c.optimizer = .sgd(learningRate: lr, momentum: m)
        default: throw UsageError("--optimizer must be adam or sgd, got '\(optimizer)'")
        }
        let i: Initializer
        do { i = try Initializer.parse(initializer) } catch { throw UsageError("--init \(error)") }
        c.rounds = rounds
        c.rate = rate
        c.convolutionRate = convolutionRate
        c.outputRate = outputRate
        c.structured = structured
        c.norm = n
        c.scope = s
        c.rewindStep = rewind
        c.control = control
        c.epochs = epochs
        c.batchSize = batch
        c.initializer = i
        return c
    }

    private func execute() throws {
        if let threads {
            guard threads > 0 else { throw UsageError("--threads must be positive, got \(threads)") }
            BLAS.setThreads(threads)
        }
        // What the search is: from the flags, or from the folder being resumed.
        var saved: LotteryState? = nil
        var progress: LotteryTicketProgress? = nil
        if let resume {
            let loaded = try LotteryState.load(from: resume)
            saved = loaded.state
            progress = loaded.progress
        }
        var configuration = try saved?.configuration ?? makeConfiguration()
        if let saved, let rounds {
            guard rounds >= saved.rounds.count - 1 else {
                throw UsageError("--rounds \(rounds): the saved search has already finished \(saved.rounds.count - 1) rounds")
            }
            configuration.rounds = rounds
        }
        let modelName = saved?.model ?? model, dataName = saved?.data ?? data, seed = saved?.seed ?? self.seed
        let trainingSamples = saved == nil ? self.trainingSamples : saved?.trainingSamples
        let testSamples = saved == nil ? self.testSamples : saved?.testSamples
        if let n = trainingSamples, n < 1 { throw UsageError("--training-samples must be positive, got \(n)") }
        if let n = testSamples, n < 1 { throw UsageError("--test-samples must be positive, got \(n)") }
        let target = out ?? resume
        if let target, target != resume { try Output.checkCheckpointTarget(target, overwrite: overwrite) }
        let loaded = try loadData(dataName)
        var train = loaded.train, test = loaded.test
        if let n = trainingSamples, n < train.count { train = train.subset(Array(0..<n)) }
        if let n = testSamples, n < test.count { test = test.subset(Array(0..<n)) }
        let architecture: Architecture
        if FilePaths.isFile(modelName) {
            do { architecture = try Architecture(contentsOf: modelName) } catch { throw UsageError("--model \(error)") }
        } else {
            do { architecture = try LotteryTicketModel.architecture(named: modelName, inputShape: train.inputShape, classes: train.classes) } catch {
                throw UsageError("--model \(modelName): \(error)")
            }
        }
        do { _ = try architecture.outputShapes() } catch { throw UsageError("--model \(modelName): \(error)") }
        // The ticket, its rewind point, mask and best weights, and the control network.
        try memory.checkTraining(architecture, batchSize: configuration.batchSize, flag: "--model \(modelName)", copies: 2)
        var probe = RandomSource(seed: 0)
        let shapeCheck: Network
        do { shapeCheck = try Network(architecture, rng: &probe) } catch { throw UsageError("--model \(modelName): \(error)") }
        let trainSet = try adapt(train, to: shapeCheck, dataName: dataName)
        let testSet = try adapt(test, to: shapeCheck, dataName: dataName)
        do { try LotteryTicketPruning(configuration: configuration).check(shapeCheck) } catch { throw UsageError("--model \(modelName): \(error)") }
        let steps = LotteryTicketSearch(configuration: configuration).stepsPerTraining(samples: trainSet.count)
        guard configuration.rewindStep < steps else {
            throw UsageError("--rewind \(configuration.rewindStep) must be below the \(steps) optimizer steps of one training")
        }

        var search = LotteryTicketSearch(configuration: configuration)
        let totalRounds = configuration.rounds, totalEpochs = configuration.epochs, printLines = !json
        let log = RunLog(folder: target)
        search.epochProgress = { round, control, report in
            try? log.record(report, series: "round \(round) \(control ? "control" : "ticket")")
            Output.progress("round \(round)/\(totalRounds) \(control ? "control" : "ticket") epoch \(report.epoch)/\(totalEpochs): loss \(format4(report.loss))")
        }
        search.roundProgress = { r in
            Output.endProgress()
            var line = "round \(r.round)/\(totalRounds): \(String(format: "%.2f", 100 * r.weightFraction))% of weights remain"
            if configuration.structured { line += " (\(String(format: "%.1f", 100 * r.unitFraction))% of units)" }
            line += ", ticket accuracy \(format4(Float(r.testAccuracy)))"
            if let c = r.controlAccuracy { line += ", control \(format4(Float(c)))" }
            line += ", \(format2(r.seconds)) s"
            if printLines { print(line) } else if Output.isTerminal { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let state = LotteryState(model: modelName, data: dataName, seed: seed, trainingSamples: trainingSamples,
                                 testSamples: testSamples, configuration: configuration)
        if let target {
            search.afterRound = { progress in
                try state.save(progress, architecture: architecture, to: target)
            }
        }
        if let progress, progress.rounds.count > configuration.rounds {
            // Already finished: report the saved rounds.
            Output.endProgress()
            try report(modelName: modelName, dataName: dataName, seed: seed, configuration: configuration,
                       rounds: progress.rounds, seconds: 0, checkpoint: target)
            return
        }
        if let progress, !json { print("resuming after round \(progress.rounds.count - 1) of \(configuration.rounds)") }
        let result: LotteryTicketResult
        do {
            result = try search.run(architecture: architecture, train: trainSet, test: testSet, seed: seed, resumingFrom: progress)
        } catch let e as LotteryTicketError {
            throw UsageError("\(e)")
        }
        Output.endProgress()
        try report(modelName: modelName, dataName: dataName, seed: seed, configuration: configuration,
                   rounds: result.rounds, seconds: result.seconds, checkpoint: target)
    }

    private func report(modelName: String, dataName: String, seed: UInt64, configuration: LotteryTicketConfiguration,
                        rounds: [LotteryTicketRound], seconds: Double, checkpoint: String?) throws {
        if json {
            try Output.printJSON(LotteryOutput(model: modelName, data: dataName, seed: seed, configuration: configuration,
                                               rounds: rounds, seconds: seconds, checkpoint: checkpoint))
        } else {
            print("searched \(configuration.rounds) rounds in \(format2(seconds)) s" + (checkpoint.map { ", last ticket saved to \($0)" } ?? ""))
        }
    }
}

/// What a lottery checkpoint folder keeps besides the last ticket: the search's definition and
/// rounds (`lottery.json`, also the checkpoint's history record) and its rewind point and mask
/// (`lottery.safetensors`). Rewritten with the checkpoint, atomically, after every round.
struct LotteryState: Codable {
    static let stateFile = "lottery.json"
    static let tensorsFile = "lottery.safetensors"

    var model: String
    var data: String
    var seed: UInt64
    var trainingSamples: Int?
    var testSamples: Int?
    var configuration: LotteryTicketConfiguration
    var rounds: [LotteryTicketRound] = []
    var random: RandomSource? = nil

    /// Writes the ticket of `progress` as a checkpoint with this state attached.
    func save(_ progress: LotteryTicketProgress, architecture: Architecture, to directory: String) throws {
        var state = self
        state.rounds = progress.rounds
        state.random = progress.random
        var rng = RandomSource(seed: 0)
        let network = try Network(architecture, initializer: .uniform(low: 0, high: 0), rng: &rng)
        network.restore(progress.weights)
        var tensors: [(name: String, tensor: Tensor)] = progress.rewindPoint.enumerated().map { ("rewind/\($0.offset)", $0.element) }
        for name in progress.mask.entries.keys.sorted() {
            let values = progress.mask.entries[name]!
            tensors.append(("mask/\(name)", Tensor(values, shape: [values.count])))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let stateBytes = [UInt8](try encoder.encode(state))
        let details = try JSONDecoder().decode(JSONValue.self, from: Data(stateBytes))
        // The ticket trains from the rewind point: its parameters are the ticket's initial weights.
        let names = network.namedParameters.map(\.name)
        let initial = InitialWeights(tensors: Array(zip(names, progress.rewindPoint.prefix(names.count))))
        try Checkpoint(network: network, history: [HistoryRecord(operation: "lottery", details: details)],
                       attachments: [(Self.stateFile, stateBytes),
                                     (Self.tensorsFile, Safetensors(tensors: tensors, metadata: ["producer": "sculpt"]).encoded())],
                       initialWeights: initial)
            .save(to: directory)
    }

    /// Reads a folder written by `save`.
    static func load(from directory: String) throws -> (state: LotteryState, progress: LotteryTicketProgress) {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: directory) } catch { throw UsageError("--resume \(directory): \(error)") }
        guard let stateBytes = try Checkpoint.attachment(named: stateFile, in: directory),
              let tensorBytes = try Checkpoint.attachment(named: tensorsFile, in: directory) else {
            throw UsageError("--resume \(directory): not a lottery folder (no \(stateFile) and \(tensorsFile)); sculpt lottery --out writes them")
        }
        let state: LotteryState
        do { state = try JSONDecoder().decode(LotteryState.self, from: Data(stateBytes)) } catch {
            throw UsageError("--resume \(directory)/\(stateFile): malformed: \(error)")
        }
        let tensors: Safetensors
        do { tensors = try Safetensors.decode(tensorBytes, path: directory + "/" + tensorsFile) } catch {
            throw UsageError("--resume \(directory): \(error)")
        }
        guard let random = state.random, !state.rounds.isEmpty else {
            throw UsageError("--resume \(directory)/\(stateFile): no finished round to resume after")
        }
        let network = checkpoint.network
        let count = network.snapshot().count
        var rewind: [Tensor] = []
        for i in 0..<count {
            guard let t = tensors["rewind/\(i)"] else { throw UsageError("--resume \(directory)/\(tensorsFile): missing tensor rewind/\(i)") }
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

/// What `sculpt lottery --json` prints.
struct LotteryOutput: Encodable {
    var model: String
    var data: String
    var seed: UInt64
    var configuration: LotteryTicketConfiguration
    var rounds: [LotteryTicketRound]
    var seconds: Double
    var checkpoint: String?
}
