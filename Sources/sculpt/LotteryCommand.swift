import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptExperiments
import SculptIO
import SculptNN
import SculptRecipes

struct Lottery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search for lottery tickets: iterative magnitude pruning with rewinding, against random "
            + "re-initialization.",
        discussion: "Defaults: --batch 60, --lr 1.2e-3, adam (Frankle & Carbin's LeNet). The flags are read by the "
            + "same reader as the lottery trial kind's config.")

    @Option(help: "A built-in model name, mlp:W1,W2,... (mlp:300,100 is LeNet-300-100) or an architecture JSON file.")
    var model: String = "mlp:300,100"
    @OptionGroup var dataOptions: DataOptions
    @Option(help: ArgumentHelp("Pruning rounds after the dense training (default 5; with --resume, a larger number "
                + "extends the saved search)."))
    var rounds: Int?
    @Option(help: "Fraction of the remaining hidden Dense weights (or units) pruned per round, in (0, 1).")
    var rate: Double = 0.2
    @Option(name: .customLong("conv-rate"), help: "Per-round rate of Conv2D layers (default: rate / 2).")
    var convolutionRate: Double?
    @Option(name: .customLong("output-rate"),
            help: "Per-round rate of the output layer's weights (default: rate / 2; unstructured only).")
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
    @Option(help: "adam or sgd.")
    var optimizer: String = "adam"
    @OptionGroup var optimizerOptions: OptimizerOptions
    @Option(name: .customLong("init"), help: "Initializer of the network and the controls (default glorot-normal).")
    var initializer: String = "glorot-normal"
    @Option(help: "Seed of initialization, controls and data order.")
    var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Checkpoint folder, rewritten atomically after every round: the last ticket, the "
                + "rounds in its history, and what --resume needs (lottery.json, lottery.safetensors)."))
    var out: String?
    @Option(help: ArgumentHelp("Continue the search saved in this folder after its last finished round, with its "
                + "saved model, data, seed and protocol (the flags above are not used, except --rounds to extend it; "
                + "--out defaults to this folder)."))
    var resume: String?
    @Flag(help: "Replace an existing checkpoint at --out.")
    var overwrite = false
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded(outputs: [out]) { try execute() } }

    /// The flag of each key of the lottery config (`LotteryTicketSettings(reading:)`).
    static let flags = [
        "model": "--model", "data": "--data", "trainingSamples": "--train-limit", "testSamples": "--test-limit",
        "rounds": "--rounds", "rate": "--rate", "convolutionRate": "--conv-rate", "outputRate": "--output-rate",
        "structured": "--structured", "norm": "--norm", "scope": "--scope", "rewindStep": "--rewind",
        "control": "--control", "epochs": "--epochs", "batchSize": "--batch", "optimizer": "--optimizer",
        "learningRate": "--lr", "momentum": "--momentum", "initializer": "--init",
    ]

    /// The settings the flags describe, read as a lottery trial config.
    func settings() throws -> LotteryTicketSettings {
        try optimizerOptions.refuseWeightDecay("a lottery search trains without weight decay")
        var config: [String: JSONValue] = [
            "model": .string(model), "data": .string(dataOptions.data(default: "fashion-mnist")),
            "rounds": .number(Double(rounds ?? 5)), "rate": .number(rate), "structured": .bool(structured),
            "norm": .string(norm.lowercased()), "scope": .string(scope.lowercased()),
            "rewindStep": .number(Double(rewind)), "control": .bool(control), "epochs": .number(Double(epochs)),
            "batchSize": .number(Double(optimizerOptions.batch ?? 60)), "optimizer": .string(optimizer.lowercased()),
            "learningRate": .number(Double(optimizerOptions.lr ?? 1.2e-3)), "initializer": .string(initializer),
        ]
        config["convolutionRate"] = convolutionRate.map { .number($0) }
        config["outputRate"] = outputRate.map { .number($0) }
        config["momentum"] = optimizerOptions.momentum.map { .number(Double($0)) }
        if optimizer.lowercased() == "adam", let m = optimizerOptions.momentum {
            throw UsageError("--momentum \(m) applies to sgd only (adam uses beta1 0.9)")
        }
        let (train, test) = (try dataOptions.trainLimit(), try dataOptions.testLimit())
        if train > 0 { config["trainingSamples"] = .number(Double(train)) }
        if test > 0 { config["testSamples"] = .number(Double(test)) }
        do { return try LotteryTicketSettings(config: .object(config)) } catch let e as ConfigError {
            throw e.usage(Self.flags)
        }
    }

    /// What the search is: from the flags, or from the folder being resumed (with `--rounds`).
    private func start() throws -> (state: LotteryTicketRunState, progress: LotteryTicketProgress?) {
        guard let resume else { return (LotteryTicketRunState(settings: try settings(), seed: seed), nil) }
        var loaded: (state: LotteryTicketRunState, progress: LotteryTicketProgress)
        do { loaded = try LotteryTicketRunState.load(from: resume) } catch { throw UsageError("--resume \(error)") }
        if let rounds {
            let finished = loaded.state.rounds.count - 1
            guard rounds >= finished else {
                throw UsageError("--rounds \(rounds): the saved search has already finished \(finished) rounds")
            }
            loaded.state.configuration.rounds = rounds
        }
        return (loaded.state, loaded.progress)
    }

    private func execute() throws {
        try threadOptions.apply()
        let (state, progress) = try start()
        let target = out ?? resume
        if let target, target != resume { try Output.checkCheckpointTarget(target, overwrite: overwrite) }
        let (architecture, train, test) = try prepare(state)
        let configuration = state.configuration
        if let progress, progress.rounds.count > configuration.rounds {
            // Already finished: report the saved rounds.
            return try report(state, rounds: progress.rounds, seconds: 0, checkpoint: target)
        }
        if let progress, !json { print("resuming after round \(progress.rounds.count - 1) of \(configuration.rounds)") }
        var search = makeSearch(configuration, log: RunLog(folder: target))
        if let target { search.afterRound = { try state.save($0, architecture: architecture, to: target) } }
        let result: LotteryTicketResult
        do {
            result = try search.run(architecture: architecture, train: train, test: test, seed: state.seed,
                                    resumingFrom: progress)
        } catch let e as LotteryTicketError {
            throw UsageError("\(e)")
        }
        Output.endProgress()
        try report(state, rounds: result.rounds, seconds: result.seconds, checkpoint: target)
    }

    /// The architecture and the data of the search, checked against each other and the memory limit.
    private func prepare(_ state: LotteryTicketRunState) throws -> (Architecture, Dataset, Dataset) {
        let (modelName, dataName, configuration) = (state.model, state.data, state.configuration)
        let loaded = try loadData(dataName)
        let train = loaded.train.limited(to: state.trainingSamples ?? 0)
        let test = loaded.test.limited(to: state.testSamples ?? 0)
        let architecture = try resolveArchitecture(modelName, dataShape: (train.inputShape, train.classes))
        do { _ = try architecture.outputShapes() } catch { throw UsageError("--model \(modelName): \(error)") }
        // The ticket, its rewind point, mask and best weights, and the control network.
        try memory.checkTraining(architecture, batchSize: configuration.batchSize, flag: "--model \(modelName)",
                                 copies: 2)
        var probe = RandomSource(seed: 0)
        let shapeCheck: Network
        do { shapeCheck = try Network(architecture, rng: &probe) } catch {
            throw UsageError("--model \(modelName): \(error)")
        }
        let trainSet = try adapt(train, to: shapeCheck, dataName: dataName)
        let testSet = try adapt(test, to: shapeCheck, dataName: dataName)
        do { try LotteryTicketPruning(configuration: configuration).check(shapeCheck) } catch {
            throw UsageError("--model \(modelName): \(error)")
        }
        let steps = LotteryTicketSearch(configuration: configuration).stepsPerTraining(samples: trainSet.count)
        guard configuration.rewindStep < steps else {
            throw UsageError("--rewind \(configuration.rewindStep) must be below the \(steps) optimizer steps of one "
                             + "training")
        }
        return (architecture, trainSet, testSet)
    }

    /// The search with its progress lines and run log.
    private func makeSearch(_ configuration: LotteryTicketConfiguration, log: RunLog) -> LotteryTicketSearch {
        var search = LotteryTicketSearch(configuration: configuration)
        let totalRounds = configuration.rounds, totalEpochs = configuration.epochs, json = self.json
        search.epochProgress = { round, control, report in
            let series = "round \(round) \(control ? "control" : "ticket")"
            try? log.record(report, series: series)
            Output.progress("round \(round)/\(totalRounds) \(control ? "control" : "ticket") epoch "
                            + "\(report.epoch)/\(totalEpochs): loss \(format4(report.loss))")
        }
        search.roundProgress = { r in
            Output.endProgress()
            var line = "round \(r.round)/\(totalRounds): \(String(format: "%.2f", 100 * r.weightFraction))% of "
                + "weights remain"
            if configuration.structured { line += " (\(String(format: "%.1f", 100 * r.unitFraction))% of units)" }
            line += ", ticket accuracy \(format4(Float(r.testAccuracy)))"
            if let c = r.controlAccuracy { line += ", control \(format4(Float(c)))" }
            Output.stepLine(line + ", \(format2(r.seconds)) s", json: json)
        }
        return search
    }

    private func report(_ state: LotteryTicketRunState, rounds: [LotteryTicketRound], seconds: Double,
                        checkpoint: String?) throws {
        Output.endProgress()
        if json {
            try Output.printJSON(LotteryOutput(model: state.model, data: state.data, seed: state.seed,
                                               configuration: state.configuration, rounds: rounds, seconds: seconds,
                                               checkpoint: checkpoint))
        } else {
            print("searched \(state.configuration.rounds) rounds in \(format2(seconds)) s"
                  + (checkpoint.map { ", last ticket saved to \($0)" } ?? ""))
        }
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
