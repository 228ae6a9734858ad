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
    @Option(help: "Pruning rounds after the dense training.")
    var rounds: Int = 5
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
    @Option(help: "Checkpoint folder for the last ticket (masks included), with the rounds in its history.")
    var out: String?
    @Flag(help: "Replace an existing checkpoint at --out.")
    var overwrite = false
    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func makeConfiguration() throws -> LotteryTicketConfiguration {
        var c = LotteryTicketConfiguration()
        guard rounds >= 0 else { throw UsageError("--rounds must be >= 0, got \(rounds)") }
        guard rate > 0, rate < 1 else { throw UsageError("--rate must lie in (0, 1), got \(rate)") }
        if let r = convolutionRate, !(r >= 0 && r < 1) { throw UsageError("--conv-rate must lie in [0, 1), got \(r)") }
        if let r = outputRate, !(r >= 0 && r < 1) { throw UsageError("--output-rate must lie in [0, 1), got \(r)") }
        guard epochs >= 1 else { throw UsageError("--epochs must be >= 1, got \(epochs)") }
        guard batch >= 1 else { throw UsageError("--batch must be >= 1, got \(batch)") }
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
        guard let i = Initializer(parsing: initializer) else {
            throw UsageError("--init: unknown initializer '\(initializer)' (expected pytorch, glorot, glorot-normal, he, he-uniform, uniform:A:B or normal:MEAN:STD)")
        }
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
        let configuration = try makeConfiguration()
        if let n = trainingSamples, n < 1 { throw UsageError("--training-samples must be positive, got \(n)") }
        if let n = testSamples, n < 1 { throw UsageError("--test-samples must be positive, got \(n)") }
        if let out { try checkTarget(out) }
        let loaded = try loadData(data)
        var train = loaded.train, test = loaded.test
        if let n = trainingSamples, n < train.count { train = train.subset(Array(0..<n)) }
        if let n = testSamples, n < test.count { test = test.subset(Array(0..<n)) }
        let architecture: Architecture
        if FilePaths.isFile(model) {
            do { architecture = try Architecture(contentsOf: model) } catch { throw UsageError("--model \(error)") }
        } else {
            do { architecture = try LotteryTicketModel.architecture(named: model, inputShape: train.inputShape, classes: train.classes) } catch {
                throw UsageError("--model \(model): \(error)")
            }
        }
        var probe = RandomSource(seed: 0)
        let shapeCheck: Network
        do { shapeCheck = try Network(architecture, rng: &probe) } catch { throw UsageError("--model \(model): \(error)") }
        let trainSet = try adapt(train, to: shapeCheck, dataName: data)
        let testSet = try adapt(test, to: shapeCheck, dataName: data)
        do { try LotteryTicketPruning(configuration: configuration).check(shapeCheck) } catch { throw UsageError("--model \(model): \(error)") }
        let steps = LotteryTicketSearch(configuration: configuration).stepsPerTraining(samples: trainSet.count)
        guard rewind < steps else { throw UsageError("--rewind \(rewind) must be below the \(steps) optimizer steps of one training") }

        var search = LotteryTicketSearch(configuration: configuration)
        let totalRounds = rounds, totalEpochs = epochs, printLines = !json
        search.epochProgress = { round, control, report in
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
        let result: LotteryTicketResult
        do { result = try search.run(architecture: architecture, train: trainSet, test: testSet, seed: seed) } catch let e as LotteryTicketError {
            throw UsageError("\(e)")
        }
        Output.endProgress()
        if let out {
            let encoder = JSONEncoder()
            let details = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(LotteryHistory(
                configuration: configuration, seed: seed, data: data, rounds: result.rounds)))
            try Checkpoint(network: result.network, history: [HistoryRecord(operation: "lottery", details: details)]).save(to: out)
        }
        if json {
            try Output.printJSON(LotteryOutput(model: model, data: data, seed: seed, configuration: configuration,
                                               rounds: result.rounds, seconds: result.seconds, checkpoint: out))
        } else {
            print("searched \(rounds) rounds in \(format2(result.seconds)) s" + (out.map { ", last ticket saved to \($0)" } ?? ""))
        }
    }

    private func checkTarget(_ target: String) throws {
        guard FilePaths.exists(target) else { return }
        guard FilePaths.isDirectory(target) else { throw UsageError("--out \(target) is a file, not a checkpoint folder") }
        if Checkpoint.exists(at: target) {
            if !overwrite { throw UsageError("--out \(target) already holds a checkpoint; pass --overwrite to replace it or choose another folder") }
        } else if !FilePaths.isEmptyDirectory(target) {
            throw UsageError("--out \(target) is a non-empty folder that is not a checkpoint; choose another folder")
        }
    }
}

/// The history record a lottery checkpoint keeps.
private struct LotteryHistory: Encodable {
    var configuration: LotteryTicketConfiguration
    var seed: UInt64
    var data: String
    var rounds: [LotteryTicketRound]
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
