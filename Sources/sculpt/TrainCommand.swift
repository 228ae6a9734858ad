import ArgumentParser
import SculptCore
import SculptData
import SculptIO
import SculptNN

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network on a dataset, writing a resumable checkpoint after every epoch.")

    @OptionGroup var options: TrainingOptions

    func run() throws { try Output.guarded(outputs: [options.out]) { try execute() } }

    private func execute() throws {
        let prepared = try options.prepare()
        prepared.announceOverrides(json: options.json)
        let run = prepared.run, target = prepared.target
        let start = Clock.now()
        let firstEpoch = run.completedEpochs
        let epochs = prepared.epochs
        // A run of 0 epochs (or one already at its length) still leaves the checkpoint it names.
        if let target, run.completedEpochs >= epochs, !Checkpoint.exists(at: target) {
            try run.checkpoint().save(to: target)
        }
        let log = RunLog(folder: target)
        while run.completedEpochs < epochs {
            let report = try run.runEpoch(train: prepared.train, validation: prepared.validation,
                                          augmentation: prepared.augmentation)
            if let target { try run.checkpoint().save(to: target) }
            try log.record(report, network: run.network)
            Output.progress(options.progressLine(report, total: epochs))
            if !options.json, !Output.isTerminal { print(options.progressLine(report, total: epochs)) }
        }
        Output.endProgress()
        let seconds = Clock.now() - start
        let trained = run.completedEpochs - firstEpoch
        let (testLoss, testAccuracy) = evaluate(run.network, on: prepared.test, loss: run.configuration.loss)
        let result = TrainResult(testAccuracy: testAccuracy ?? 0, testLoss: testLoss, epochs: run.completedEpochs,
                                 epochsThisRun: trained, seconds: seconds,
                                 secondsPerEpoch: trained > 0
                                    ? run.reports.suffix(trained).reduce(0) { $0 + $1.seconds } / Double(trained) : 0,
                                 parameters: run.network.parameterCount,
                                 trainLoss: run.reports.last?.loss,
                                 validationAccuracy: run.reports.last?.validationAccuracy,
                                 checkpoint: target)
        if options.json { try Output.printJSON(result) } else {
            print("test accuracy \(result.testAccuracy), test loss \(result.testLoss) after \(result.epochs) epochs "
                  + "(\(trained) here, \(String(format2(result.secondsPerEpoch))) s/epoch), \(result.parameters) " +
                    "parameters"
                  + (target.map { ", checkpoint \($0)" } ?? ""))
        }
    }
}

/// What `sculpt train --json` prints.
struct TrainResult: Encodable {
    var testAccuracy: Float
    var testLoss: Float
    /// Epochs the network has been trained in total.
    var epochs: Int
    /// Epochs trained by this invocation.
    var epochsThisRun: Int
    /// Wall-clock seconds of this invocation's epochs (including checkpoint writes).
    var seconds: Double
    /// Mean wall-clock seconds of one epoch's training (without checkpoint writes).
    var secondsPerEpoch: Double
    var parameters: Int
    var trainLoss: Float?
    var validationAccuracy: Float?
    var checkpoint: String?
}

/// Whether two paths name the same folder.
func sameFolder(_ a: String, _ b: String) -> Bool {
    var sa = stat(), sb = stat()
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}

func format2(_ x: Double) -> String { NumberFormatting.fixed(x, digits: 2) }
func format4(_ x: Float) -> String { NumberFormatting.fixed(x, digits: 4) }

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
