import ArgumentParser
import SculptData
import SculptIO
import SculptNN

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a saved network on a dataset's test set.")

    @Argument(help: "A checkpoint folder (as `sculpt train --out` writes).")
    var modelDirectory: String
    @Option(help: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR.")
    var data: String
    @Option(name: .customLong("test-limit"), help: ArgumentHelp(DataOptions.testLimitHelp))
    var testLimit: Int = 0
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): " +
            "\(error)") }
        let limit = try DataOptions.checkedLimit(testLimit, "--test-limit")
        let loaded = try loadData(data)
        let test = try adapt(loaded.test.limited(to: limit), to: checkpoint.network, dataName: data,
                             modelName: "the network in \(modelDirectory)")
        let loss = checkpoint.training?.configuration.loss ?? .crossEntropy
        let (testLoss, testAccuracy) = evaluate(checkpoint.network, on: test, loss: loss)
        let result = EvalResult(testAccuracy: testAccuracy ?? 0, testLoss: testLoss, samples: test.count,
                                parameters: checkpoint.network.parameterCount,
                                epochs: checkpoint.training?.completedEpochs)
        if json { try Output.printJSON(result) } else {
            print("test accuracy \(result.testAccuracy), test loss \(result.testLoss) on \(result.samples) samples")
        }
    }
}

/// What `sculpt eval --json` prints.
struct EvalResult: Encodable {
    var testAccuracy: Float
    var testLoss: Float
    var samples: Int
    var parameters: Int
    var epochs: Int?
}
