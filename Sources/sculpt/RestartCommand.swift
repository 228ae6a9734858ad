import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptExperiments
import SculptIO
import SculptNN
import SculptRecipes

/// `sculpt restart`: partial restart of useless convolution filters (Han & Zhang, Algorithm 1).
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Partial restart: reset the filters the Taylor criterion finds useless, fine-tune, repeat "
            + "(Han & Zhang).",
        discussion: """
        Trains the model (higher then lower learning rate), then for each restart scores the filters of the \
        Conv2D layers, resets the lowest-scoring ones and fine-tunes again, stopping early when the useless set \
        repeats. The control is a copy of the base network fine-tuned on the same schedule without resets. \
        With --out every finished round is saved; --resume continues an interrupted run from its last one.
        """)

    @Option(help: ArgumentHelp("A built-in model name (mininet, alexnet, cnn-small, vgg16, mlp:W1,W2, ...) or an "
                + "architecture JSON file."))
    var model: String = "mininet"
    @Option(name: .customLong("width"), help: "Width multiplier of a built-in model.")
    var width: Double?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "How useless filters are reset: uniform (U(-0.05,0.05)), he, xavier, minmax or fitted.")
    var reset: String = "uniform"
    @Option(help: "Restart rounds after the base training.")
    var restarts: Int = 3
    @Option(help: ArgumentHelp("Fraction of each layer's filters that are useless (lowest Taylor scores), in (0, 1] "
                + "(default 0.1)."))
    var fraction: Double?
    @Option(help: "Number of useless filters per layer instead of a fraction.")
    var count: Int?
    @Option(help: "Comma-separated Conv2D layer paths to score (layers.0,layers.3 or 0,3; default: every Conv2D).")
    var layers: String?
    @Option(help: "The next layer's weights reading a reset filter: keep, zero or redraw.")
    var outgoing: String = "keep"
    @Flag(name: .customLong("no-stop"), help: "Run every restart even when the useless set repeats.")
    var noStop = false
    @Flag(name: .customLong("no-control"), help: "Skip the equal-budget control (fine-tuning without resets).")
    var noControl = false
    @Option(name: .customLong("epochs-high"), help: "Base training epochs at the higher learning rate.")
    var epochsHigh: Int = 30
    @Option(name: .customLong("epochs-low"), help: "Base training epochs at the lower learning rate.")
    var epochsLow: Int = 10
    @Option(name: .customLong("validation-fraction"),
            help: "Fraction of the training samples held out (split by --seed); nothing trains on them.")
    var validationFraction: Double?
    @Option(help: ArgumentHelp("Train the base to convergence: each phase stops once the validation loss has not "
                + "improved for this many epochs and keeps its best weights (--epochs-high/--epochs-low are then "
                + "the most it trains; needs --validation-fraction)."))
    var patience: Int?
    @Option(name: .customLong("restart-epochs-high"),
            help: "Fine-tuning epochs per restart at the higher learning rate.")
    var restartEpochsHigh: Int = 30
    @Option(name: .customLong("restart-epochs-low"), help: "Fine-tuning epochs per restart at the lower learning rate.")
    var restartEpochsLow: Int = 10
    @OptionGroup var optimizerOptions: OptimizerOptions
    @Option(name: .customLong("low-lr"), help: "Lower SGD learning rate.")
    var lowLR: Float = 0.001
    @Option(name: .customLong("measure-samples"), help: "Training samples the Taylor criterion is averaged over.")
    var measureSamples: Int = 2000
    @Option(name: .customLong("init"), help: "Initializer of the network (default pytorch).")
    var initializer: String = "pytorch"
    @Option(help: "Seed of initialization, data order and reset draws.")
    var seed: UInt64 = 0
    @Option(help: "Run folder: every finished round is saved there (round-K/ and round-K-control/ checkpoints).")
    var out: String?
    @Flag(help: "Continue the run in --out after its last finished round (same flags and seed).")
    var resume = false
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded(outputs: [out]) { try execute() } }

    /// The flag of each key of the partial-restart config (`PartialRestartSettings(reading:)`).
    static let flags = [
        "model": "--model", "data": "--data", "widthMultiplier": "--width", "trainLimit": "--train-limit",
        "testLimit": "--test-limit", "restarts": "--restarts", "uselessFraction": "--fraction",
        "uselessCount": "--count", "layers": "--layers", "outgoing": "--outgoing", "stopWhenUnchanged": "--no-stop",
        "epochsHigh": "--epochs-high", "epochsLow": "--epochs-low", "restartEpochsHigh": "--restart-epochs-high",
        "restartEpochsLow": "--restart-epochs-low", "learningRate": "--lr", "lowLearningRate": "--low-lr",
        "momentum": "--momentum", "weightDecay": "--weight-decay", "batchSize": "--batch",
        "measureSamples": "--measure-samples", "initializer": "--init",
        "validationFraction": "--validation-fraction", "patience": "--patience",
    ]

    /// The settings the flags describe, read as a partial-restart trial config, with `--reset`
    /// and `--no-control`.
    func settings() throws -> PartialRestartSettings {
        guard let method = PartialRestartReset(rawValue: reset.lowercased()) else {
            let names = PartialRestartReset.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("--reset must be one of \(names), got '\(reset)'")
        }
        if fraction != nil && count != nil { throw UsageError("--fraction and --count exclude each other") }
        let o = optimizerOptions
        var config: [String: JSONValue] = [
            "model": .string(model), "data": .string(dataOptions.data(default: "fashion-mnist")),
            "trainLimit": .number(Double(try dataOptions.trainLimit())),
            "testLimit": .number(Double(try dataOptions.testLimit())),
            "restarts": .number(Double(restarts)), "outgoing": .string(outgoing.lowercased()),
            "stopWhenUnchanged": .bool(!noStop), "epochsHigh": .number(Double(epochsHigh)),
            "epochsLow": .number(Double(epochsLow)), "restartEpochsHigh": .number(Double(restartEpochsHigh)),
            "restartEpochsLow": .number(Double(restartEpochsLow)), "learningRate": .number(Double(o.lr ?? 0.01)),
            "lowLearningRate": .number(Double(lowLR)), "momentum": .number(Double(o.momentum ?? 0.9)),
            "weightDecay": .number(Double(o.weightDecay ?? 0)), "batchSize": .number(Double(o.batch ?? 64)),
            "measureSamples": .number(Double(measureSamples)), "initializer": .string(initializer),
        ]
        config["widthMultiplier"] = width.map { .number($0) }
        config["validationFraction"] = validationFraction.map { .number($0) }
        config["patience"] = patience.map { .number(Double($0)) }
        config["uselessFraction"] = fraction.map { .number($0) }
        config["uselessCount"] = count.map { .number(Double($0)) }
        config["layers"] = layers.map { text in
            .array(text.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
        var settings: PartialRestartSettings
        do { settings = try PartialRestartSettings(config: .object(config)) } catch let e as ConfigError {
            throw e.usage(Self.flags)
        }
        settings.configuration.reset = method
        settings.configuration.control = !noControl
        return settings
    }

    /// The run folder, checked against `--resume`.
    private func store() throws -> PartialRestartStore? {
        if resume && out == nil { throw UsageError("--resume needs --out, the run folder to continue") }
        guard let out else { return nil }
        let store = PartialRestartStore(directory: out)
        if FilePaths.exists(out) && !FilePaths.isDirectory(out) { throw UsageError("--out \(out) is a file, not a " +
            "run folder") }
        if resume && !store.hasSavedRound {
            throw UsageError("--resume: --out \(out) holds no partial restart to continue (start one without --resume)")
        }
        if store.hasSavedRound && !resume {
            throw UsageError("--out \(out) already holds a partial restart; pass --resume to continue it or choose "
                             + "another folder")
        }
        if !store.hasSavedRound && FilePaths.isDirectory(out) && !FilePaths.isEmptyDirectory(out) && !resume {
            throw UsageError("--out \(out) is a non-empty folder that holds no partial restart; choose another folder")
        }
        return store
    }

    private func execute() throws {
        try threadOptions.apply()
        let settings = try settings()
        let configuration = settings.configuration
        let store = try store()
        let (architecture, train, test) = try prepare(settings)
        if resume, let store, let saved = try? store.savedResult() {
            guard saved.configuration == configuration, saved.seed == seed else {
                throw UsageError("--resume: \(store.directory) was started with other flags or another seed (seed "
                                 + "\(saved.seed)); repeat its flags")
            }
        }
        let outcome: PartialRestartOutcome
        do {
            outcome = try makeRecipe(configuration, log: RunLog(folder: store?.directory))
                .run(architecture: architecture, train: train, test: test, seed: seed, store: store, resume: resume)
        } catch let e as PartialRestartError {
            throw UsageError("\(e)")
        }
        Output.endProgress()
        try report(outcome, configuration: configuration)
    }

    /// The architecture and the data, checked against each other, the memory limit and the recipe.
    private func prepare(_ settings: PartialRestartSettings) throws -> (Architecture, Dataset, Dataset) {
        let configuration = settings.configuration
        let loaded = try loadData(settings.data)
        let train = loaded.train.limited(to: settings.trainLimit), test = loaded.test.limited(to: settings.testLimit)
        let architecture = try resolveArchitecture(model, width: width, dataShape: (train.inputShape, train.classes))
        let sizeFlag = width.map { "--width \($0)" } ?? "--model \(model)"
        do { _ = try architecture.outputShapes() } catch { throw UsageError("\(sizeFlag): \(error)") }
        // The restarted network and its equal-budget control.
        try memory.checkTraining(architecture, batchSize: configuration.batchSize, optimizerSlots: 1, flag: sizeFlag,
                                 copies: 2)
        var probe = RandomSource(seed: 0)
        let shapeCheck: Network
        do { shapeCheck = try Network(architecture, rng: &probe) } catch { throw UsageError("--model \(model): " +
            "\(error)") }
        let trainSet = try adapt(train, to: shapeCheck, dataName: settings.data)
        let testSet = try adapt(test, to: shapeCheck, dataName: settings.data)
        let recipe = PartialRestart(configuration: configuration)
        do { _ = try recipe.check(shapeCheck) } catch let e as PartialRestartError {
            switch e {
            case .unknownLayer, .countTooLarge:
                throw UsageError(configuration.layers == nil && !isCount(e) ? "--model \(model): \(e)"
                                                                           : "\(flagName(e)): \(e)")
            default: throw UsageError("\(e)")
            }
        }
        return (architecture, trainSet, testSet)
    }

    /// The recipe with its progress lines and run log.
    private func makeRecipe(_ configuration: PartialRestartConfiguration, log: RunLog) -> PartialRestart {
        var recipe = PartialRestart(configuration: configuration)
        let totalRestarts = configuration.restarts, json = self.json
        let epochsBase = epochsHigh + epochsLow, epochsRestart = restartEpochsHigh + restartEpochsLow
        recipe.epochProgress = { round, control, report in
            try? log.record(report, series: round == 0 ? "base" : "round \(round) \(control ? "control" : "restart")")
            let of = round == 0 ? (configuration.patience == nil ? "\(epochsBase)" : "at most \(epochsBase)")
                                : "\(epochsRestart)"
            let validation = report.validationLoss.map { ", validation loss \(format4($0))" } ?? ""
            Output.progress("round \(round)/\(totalRestarts) \(control ? "control" : "restart") epoch "
                            + "\(report.epoch)/\(of): loss \(format4(report.loss))" + validation)
        }
        recipe.roundProgress = { r in
            Output.endProgress()
            var line = r.round == 0 ? "base training, \(r.epochs) epochs:" : "restart \(r.round)/\(totalRestarts): "
                + "reset \(r.resetCount) filters,"
            if let v = r.validationAccuracy { line += " validation accuracy \(format4(Float(v)))," }
            line += " test accuracy \(format4(Float(r.testAccuracy)))"
            if let c = r.controlAccuracy { line += ", control \(format4(Float(c)))" }
            Output.stepLine(line + ", \(format2(r.seconds)) s", json: json)
        }
        return recipe
    }

    private func report(_ outcome: PartialRestartOutcome, configuration: PartialRestartConfiguration) throws {
        let r = outcome.result
        if json {
            return try Output.printJSON(RestartOutput(
                model: model, data: dataOptions.data(default: "fashion-mnist"), seed: seed,
                configuration: configuration, rounds: r.rounds, stop: r.stop?.rawValue ?? "",
                finalUseless: r.finalUseless, baselineAccuracy: r.baselineAccuracy, finalAccuracy: r.finalAccuracy,
                finalControlAccuracy: r.finalControlAccuracy, resumedAfterRound: outcome.resumedAfterRound,
                seconds: outcome.seconds, out: out))
        }
        var line = "baseline \(format4(Float(r.baselineAccuracy))), after \(r.rounds.count - 1) restarts "
            + "\(format4(Float(r.finalAccuracy)))"
        if let c = r.finalControlAccuracy { line += ", control \(format4(Float(c)))" }
        switch r.stop {
        case .unchanged: line += " (stopped: the useless set repeated)"
        case .diverged: line += " (stopped: restart \(r.rounds.count - 1) diverged: \(r.rounds.last?.divergence ?? ""))"
        case .restarts, nil: break
        }
        line += ", \(format2(outcome.seconds)) s" + (out.map { ", saved in \($0)" } ?? "")
        print(line)
    }

    private func isCount(_ e: PartialRestartError) -> Bool {
        if case .countTooLarge = e { return true }
        return false
    }

    private func flagName(_ e: PartialRestartError) -> String { isCount(e) ? "--count" : "--layers" }
}

/// What `sculpt restart --json` prints.
struct RestartOutput: Encodable {
    var model: String
    var data: String
    var seed: UInt64
    var configuration: PartialRestartConfiguration
    var rounds: [PartialRestartRound]
    /// "restarts", "unchanged".
    var stop: String
    var finalUseless: [UselessFilters]?
    var baselineAccuracy: Double
    var finalAccuracy: Double
    var finalControlAccuracy: Double?
    var resumedAfterRound: Int?
    var seconds: Double
    var out: String?
}
