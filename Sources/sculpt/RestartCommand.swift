import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

/// `sculpt restart`: partial restart of useless convolution filters (Han & Zhang, Algorithm 1).
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Partial restart: reset the filters the Taylor criterion finds useless, fine-tune, repeat (Han & Zhang).",
        discussion: """
        Trains the model (higher then lower learning rate), then for each restart scores the filters of the \
        Conv2D layers, resets the lowest-scoring ones and fine-tunes again, stopping early when the useless set \
        repeats. The control is a copy of the base network fine-tuned on the same schedule without resets. \
        With --out every finished round is saved; --resume continues an interrupted run from its last one.
        """)

    @Option(help: "A built-in model name (mininet, alexnet, cnn-small, vgg16, ...) or an architecture JSON file.")
    var model: String = "mininet"
    @Option(name: .customLong("width"), help: "Width multiplier of a built-in model.")
    var width: Double?
    @Option(help: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR.")
    var data: String = "fashion-mnist"
    @Option(help: "How useless filters are reset: uniform (U(-0.05,0.05)), he, xavier, minmax or fitted.")
    var reset: String = "uniform"
    @Option(help: "Restart rounds after the base training.")
    var restarts: Int = 3
    @Option(help: "Fraction of each layer's filters that are useless (lowest Taylor scores), in (0, 1] (default 0.1).")
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
    @Option(name: .customLong("restart-epochs-high"), help: "Fine-tuning epochs per restart at the higher learning rate.")
    var restartEpochsHigh: Int = 30
    @Option(name: .customLong("restart-epochs-low"), help: "Fine-tuning epochs per restart at the lower learning rate.")
    var restartEpochsLow: Int = 10
    @Option(help: "Higher SGD learning rate.")
    var lr: Float = 0.01
    @Option(name: .customLong("low-lr"), help: "Lower SGD learning rate.")
    var lowLR: Float = 0.001
    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay.")
    var weightDecay: Float = 0
    @Option(help: "Mini-batch size.")
    var batch: Int = 64
    @Option(name: .customLong("measure-samples"), help: "Training samples the Taylor criterion is averaged over.")
    var measureSamples: Int = 2000
    @Option(name: .customLong("init"), help: "Initializer of the network (default pytorch).")
    var initializer: String = "pytorch"
    @Option(name: .customLong("train-limit"), help: "Train on the first N training samples only (0 = all).")
    var trainLimit: Int = 0
    @Option(name: .customLong("test-limit"), help: "Evaluate on the first N test samples only (0 = all).")
    var testLimit: Int = 0
    @Option(help: "Seed of initialization, data order and reset draws.")
    var seed: UInt64 = 0
    @Option(help: "Run folder: every finished round is saved there (round-K/ and round-K-control/ checkpoints).")
    var out: String?
    @Flag(help: "Continue the run in --out after its last finished round (same flags and seed).")
    var resume = false
    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded(outputs: [out]) { try execute() } }

    func makeConfiguration() throws -> PartialRestartConfiguration {
        var c = PartialRestartConfiguration()
        guard let method = PartialRestartReset(rawValue: reset.lowercased()) else {
            throw UsageError("--reset must be one of \(PartialRestartReset.allCases.map(\.rawValue).joined(separator: ", ")), got '\(reset)'")
        }
        guard let out = PartialRestartOutgoing(rawValue: outgoing.lowercased()) else {
            throw UsageError("--outgoing must be keep, zero or redraw, got '\(outgoing)'")
        }
        guard restarts >= 0, restarts <= 1000 else { throw UsageError("--restarts must lie in [0, 1000], got \(restarts)") }
        switch (fraction, count) {
        case (.some, .some): throw UsageError("--fraction and --count exclude each other")
        case (.some(let f), nil):
            guard f > 0, f <= 1 else { throw UsageError("--fraction must lie in (0, 1], got \(f)") }
            c.useless = .fraction(f)
        case (nil, .some(let n)):
            guard n >= 1 else { throw UsageError("--count must be >= 1, got \(n)") }
            c.useless = .count(n)
        case (nil, nil): break
        }
        for (flag, e) in [("--epochs-high", epochsHigh), ("--epochs-low", epochsLow), ("--restart-epochs-high", restartEpochsHigh),
                          ("--restart-epochs-low", restartEpochsLow)] where !(0...1_000_000).contains(e) {
            throw UsageError("\(flag) must lie in [0, 1000000], got \(e)")
        }
        guard epochsHigh + epochsLow >= 1 else { throw UsageError("--epochs-high plus --epochs-low must be at least 1") }
        guard restarts == 0 || restartEpochsHigh + restartEpochsLow >= 1 else {
            throw UsageError("--restart-epochs-high plus --restart-epochs-low must be at least 1")
        }
        for (flag, v) in [("--lr", lr), ("--low-lr", lowLR)] where !(v > 0 && v.isFinite) {
            throw UsageError("\(flag) must be positive, got \(v)")
        }
        guard momentum >= 0, momentum < 1 else { throw UsageError("--momentum must lie in [0, 1), got \(momentum)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw UsageError("--weight-decay must be >= 0, got \(weightDecay)") }
        guard batch >= 1, batch <= 1 << 20 else { throw UsageError("--batch must lie in [1, \(1 << 20)], got \(batch)") }
        guard measureSamples >= 1, measureSamples <= 1 << 24 else {
            throw UsageError("--measure-samples must lie in [1, \(1 << 24)], got \(measureSamples)")
        }
        let i: Initializer
        do { i = try Initializer.parse(initializer) } catch { throw UsageError("--init \(error)") }
        if let layers {
            c.layers = layers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !(c.layers ?? []).isEmpty else { throw UsageError("--layers must name at least one layer") }
        }
        c.restarts = restarts
        c.reset = method
        c.outgoing = out
        c.stopWhenUnchanged = !noStop
        c.control = !noControl
        c.epochsHigh = epochsHigh
        c.epochsLow = epochsLow
        c.restartEpochsHigh = restartEpochsHigh
        c.restartEpochsLow = restartEpochsLow
        c.learningRate = lr
        c.lowLearningRate = lowLR
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.batchSize = batch
        c.measureSamples = measureSamples
        c.initializer = i
        return c
    }

    private func execute() throws {
        if let threads {
            guard threads > 0 else { throw UsageError("--threads must be positive, got \(threads)") }
            BLAS.setThreads(threads)
        }
        let configuration = try makeConfiguration()
        guard trainLimit >= 0 else { throw UsageError("--train-limit must be >= 0, got \(trainLimit)") }
        guard testLimit >= 0 else { throw UsageError("--test-limit must be >= 0, got \(testLimit)") }
        if resume && out == nil { throw UsageError("--resume needs --out, the run folder to continue") }
        let store = out.map { PartialRestartStore(directory: $0) }
        if let out, let store {
            if FilePaths.exists(out) && !FilePaths.isDirectory(out) { throw UsageError("--out \(out) is a file, not a run folder") }
            if resume && !store.hasSavedRound {
                throw UsageError("--resume: --out \(out) holds no partial restart to continue (start one without --resume)")
            }
            if store.hasSavedRound && !resume {
                throw UsageError("--out \(out) already holds a partial restart; pass --resume to continue it or choose another folder")
            }
            if !store.hasSavedRound && FilePaths.isDirectory(out) && !FilePaths.isEmptyDirectory(out) && !resume {
                throw UsageError("--out \(out) is a non-empty folder that holds no partial restart; choose another folder")
            }
        }
        let loaded = try loadData(data)
        var train = loaded.train, test = loaded.test
        train = train.limited(to: trainLimit)
        test = test.limited(to: testLimit)
        let architecture = try resolveArchitecture(model, width: width, dataShape: (train.inputShape, train.classes))
        let sizeFlag = width.map { "--width \($0)" } ?? "--model \(model)"
        do { _ = try architecture.outputShapes() } catch { throw UsageError("\(sizeFlag): \(error)") }
        // The restarted network and its equal-budget control.
        try memory.checkTraining(architecture, batchSize: configuration.batchSize, optimizerSlots: 1, flag: sizeFlag, copies: 2)
        var probe = RandomSource(seed: 0)
        let shapeCheck: Network
        do { shapeCheck = try Network(architecture, rng: &probe) } catch { throw UsageError("--model \(model): \(error)") }
        let trainSet = try adapt(train, to: shapeCheck, dataName: data)
        let testSet = try adapt(test, to: shapeCheck, dataName: data)
        var recipe = PartialRestart(configuration: configuration)
        do { _ = try recipe.check(shapeCheck) } catch let e as PartialRestartError {
            switch e {
            case .unknownLayer, .countTooLarge: throw UsageError(configuration.layers == nil && !isCount(e) ? "--model \(model): \(e)" : "\(flagName(e)): \(e)")
            default: throw UsageError("\(e)")
            }
        }
        if resume, let store, let saved = try? store.savedResult() {
            guard saved.configuration == configuration, saved.seed == seed else {
                throw UsageError("--resume: \(store.directory) was started with other flags or another seed (seed \(saved.seed)); repeat its flags")
            }
        }

        let totalRestarts = restarts, printLines = !json
        let epochsBase = epochsHigh + epochsLow, epochsRestart = restartEpochsHigh + restartEpochsLow
        let log = RunLog(folder: store?.directory)
        recipe.epochProgress = { round, control, report in
            try? log.record(report, series: round == 0 ? "base" : "round \(round) \(control ? "control" : "restart")")
            let of = round == 0 ? epochsBase : epochsRestart
            Output.progress("round \(round)/\(totalRestarts) \(control ? "control" : "restart") epoch \(report.epoch)/\(of): loss \(format4(report.loss))")
        }
        recipe.roundProgress = { r in
            Output.endProgress()
            var line = r.round == 0 ? "base training" : "restart \(r.round)/\(totalRestarts): reset \(r.resetCount) filters,"
            line += " test accuracy \(format4(Float(r.testAccuracy)))"
            if let c = r.controlAccuracy { line += ", control \(format4(Float(c)))" }
            line += ", \(format2(r.seconds)) s"
            if printLines { print(line) } else if Output.isTerminal { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        let outcome: PartialRestartOutcome
        do {
            outcome = try recipe.run(architecture: architecture, train: trainSet, test: testSet, seed: seed, store: store, resume: resume)
        } catch let e as PartialRestartError {
            throw UsageError("\(e)")
        }
        Output.endProgress()
        let r = outcome.result
        if json {
            try Output.printJSON(RestartOutput(model: model, data: data, seed: seed, configuration: configuration, rounds: r.rounds,
                                               stop: r.stop?.rawValue ?? "", finalUseless: r.finalUseless,
                                               baselineAccuracy: r.baselineAccuracy, finalAccuracy: r.finalAccuracy,
                                               finalControlAccuracy: r.finalControlAccuracy, resumedAfterRound: outcome.resumedAfterRound,
                                               seconds: outcome.seconds, out: out))
        } else {
            var line = "baseline \(format4(Float(r.baselineAccuracy))), after \(r.rounds.count - 1) restarts \(format4(Float(r.finalAccuracy)))"
            if let c = r.finalControlAccuracy { line += ", control \(format4(Float(c)))" }
            line += r.stop == .unchanged ? " (stopped: the useless set repeated)" : ""
            line += ", \(format2(outcome.seconds)) s" + (out.map { ", saved in \($0)" } ?? "")
            print(line)
        }
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
