import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptVisual

/// `sculpt paint`: trains a painting network (Hyatt & Lee 2018, Sections 2-3) and writes its pictures.
struct Paint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network to paint a shape and draw its ReLU decision boundaries.",
        discussion: """
        Trains plainly, or with --reinit R in-training reinitializations (steps 1-14 of the paper's \
        Section 4.1, ending with a prune of non-contributing units), then folds the linear layers into \
        the output layer. Writes DIR/target.png, DIR/prediction.png (prediction with each ReLU unit's \
        boundary in red), DIR/units.png (each ReLU unit's output, the pre-sigmoid sum and the output) \
        and the final (collapsed) network as a checkpoint (DIR/architecture.json, DIR/weights.safetensors, \
        DIR/history.json, and DIR/init.safetensors, the weights before training, or DIR/init.json saying why \
        a collapse or prune dropped them) that `sculpt inspect DIR` and `sculpt analyze DIR` read.
        """
    )

    @Option(help: "square, star, triangle, circle, polygon:N, star:N, rectangle:W:H or image:PATH (PGM or PNG).")
    var shape = "square"
    @Option(help: "Image side in pixels.")
    var size = 64
    @Option(help: "Width of the ReLU layer.")
    var hidden = 3
    @Option(help: "Widths of linear (identity) layers after the ReLU layer, comma separated, e.g. 3,3,3.")
    var linear = ""
    @Option(help: "Maximum number of epochs.")
    var epochs = 5000
    @Option(help: "Early-stopping patience in epochs (on the training loss).")
    var patience = 20
    @Option(name: .customLong("min-delta"), help: "Smallest loss decrease that counts as an improvement.")
    var minDelta: Float = 0
    @Option(help: "Mini-batch size.")
    var batch = 128
    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3
    @Option(help: "Random seed (initialization and shuffling).")
    var seed: UInt64 = 0
    @Option(name: .customLong("init"),
            help: "Weight initialization: glorot (default: Keras, as the paper), pytorch, he, uniform:A:B, normal:M:S.")
    var initialization = "glorot"
    @Option(help: "Activation of the output unit: sigmoid (the paper) or identity.")
    var output = "sigmoid"
    @Option(help: "Reinitialization training with R rounds (0: train, prune, train again) instead of plain training.")
    var reinit: Int?
    @Option(help: "Output folder.")
    var out = "paint-out"
    @Flag(help: "Replace an earlier painting (a checkpoint folder) at --out.")
    var overwrite = false
    @Flag(help: "Print one JSON object on stdout.")
    var json = false
    @OptionGroup var memory: MemoryOptions

    /// The `--json` object.
    struct Report: Encodable {
        var shape: String
        var size: Int
        var hidden: Int
        var linear: [Int]
        var seed: UInt64
        var learningRate: Float
        var initializer: String
        var batch: Int
        var patience: Int
        var maxEpochs: Int
        var reinitializations: Int?
        /// Full-image MSE of the final (collapsed) network.
        var finalLoss: Float
        /// Mean training loss of the last epoch (plain training only).
        var finalTrainingLoss: Float?
        var epochs: Int
        var bestEpoch: Int?
        var stopReason: String
        var seconds: Double
        /// Parameters of the final network (= parametersFinal).
        var parameters: Int
        var parametersTrained: Int
        var parametersFinal: Int
        var activeUnits: Int
        var pixelAgreement: Double
        var sides: Int
        var revertedRounds: Int?
        var files: [String]
    }

    func run() throws {
        try Output.guarded(outputs: [out]) {
            let job = try makeJob()
            try job.validate()
            // The network, a batch, and the painting's size x size samples (inputs, targets, predictions).
            try memory.checkTraining(job.architecture, batchSize: job.batch,
                                     flag: "--hidden \(hidden)" + (linear.isEmpty ? "" : "/--linear"))
            try memory.check(Double(job.size) * Double(job.size) * 4 * 8, flag: "--size \(job.size)",
                             what: "the painting's samples")
            let painting = try job.makePainting()  // validates every flag and reads an image before anything is written
            try createFolder(out)

            var lastDrawn = 0.0
            let reinitialization = reinit.map { rounds -> ReinitializationConfiguration in
                var c = ReinitializationConfiguration()
                c.reinitializations = rounds
                c.patience = job.patience
                c.finalPatience = job.patience
                return c
            }
            let result = try job.train(on: painting, reinitialization: reinitialization) { report in
                let now = Clock.now()
                guard now - lastDrawn >= 0.1 else { return }
                lastDrawn = now
                Output.progress("epoch \(report.epoch)  loss \(String(format: "%.3e", report.loss))")
            }
            Output.endProgress()

            let paths = try write(result, painting: painting, size: job.size)

            let report = makeReport(job, result: result, files: paths)
            if json {
                try Output.printJSON(report)
            } else {
                let widths = ([2, job.hidden] + job.linear + [1]).map(String.init).joined(separator: "-")
                let how = reinit.map { " with \($0) reinitialization\($0 == 1 ? "" : "s")" } ?? ""
                print("painted \(job.shape) \(job.size)x\(job.size) with a \(widths) network\(how) " +
                      "(\(report.parametersTrained) parameters trained, "
                      + "\(report.parametersFinal) after collapse)")
                print("\(report.activeUnits) active ReLU units, \(report.sides) sides, "
                      + "\(String(format: "%.2f", 100 * report.pixelAgreement))% of pixels right")
                print("full-image MSE \(String(format: "%.3e", report.finalLoss)) after \(report.epochs) epochs "
                      + "(\(report.stopReason)) in \(String(format: "%.2f", report.seconds)) s")
                print("wrote \(paths.joined(separator: ", "))")
            }
        }
    }

    /// The `--json` object of a finished painting.
    func makeReport(_ job: PaintingJob, result: PaintingOutcome, files: [String]) -> Report {
        Report(shape: job.shape.description, size: job.size, hidden: job.hidden, linear: job.linear, seed: job.seed,
               learningRate: job.learningRate, initializer: initialization, batch: job.batch, patience: job.patience,
               maxEpochs: job.epochs, reinitializations: reinit, finalLoss: result.finalLoss,
               finalTrainingLoss: result.history?.epochs.last?.loss, epochs: result.epochs,
               bestEpoch: result.history?.bestEpoch.map { $0 + 1 }, stopReason: result.stopReason.rawValue,
               seconds: result.trainingSeconds, parameters: result.parametersFinal,
               parametersTrained: result.parametersTrained, parametersFinal: result.parametersFinal,
               activeUnits: result.assessment.activeUnits, pixelAgreement: result.assessment.pixelAgreement,
               sides: result.assessment.sides,
               revertedRounds: result.reinitialization.map { $0.rounds.filter(\.reverted).count }, files: files)
    }

    /// Writes the pictures and the final network as a checkpoint (architecture, weights, history
    /// and the initial weights, or why they were dropped: `sculpt inspect` and `sculpt analyze`
    /// read them); returns the paths written.
    func write(_ result: PaintingOutcome, painting: Painting, size: Int) throws -> [String] {
        let figures = PaintingFigures(size: size, scale: Swift.max(1, Swift.min(8, 256 / size)))
        let files = [
            (name: "target.png", bytes: try figures.target(painting).pngBytes()),
            (name: "prediction.png", bytes: try figures.prediction(of: result.network).pngBytes()),
            (name: "units.png", bytes: try figures.units(of: result.network).pngBytes()),
        ] + (try Checkpoint(network: result.network, initialWeights: result.initialWeights).files())
        // A painted network carries no training state; an earlier painting's initial weights may be stale.
        let stale = [Checkpoint.trainingFile, Checkpoint.optimizerFile, InitialWeights.file, InitialWeights.droppedFile]
        for name in stale where !files.contains(where: { $0.name == name }) {
            try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(name))
        }
        var paths: [String] = []
        for file in files {
            let path = (out as NSString).appendingPathComponent(file.name)
            try writeFileAtomically(file.bytes, to: path)
            paths.append(path)
        }
        return paths
    }

    /// The job the flags describe; throws a `UsageError` naming the flag for text that does not parse.
    func makeJob() throws -> PaintingJob {
        let parsedShape = try PaintingShape(parsing: shape)
        var widths: [Int] = []
        let trimmed = linear.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty && trimmed.lowercased() != "none" {
            for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
                guard let w = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageError("--linear \(linear): '\(part)' is not an integer (give widths like 3,3,3)")
                }
                widths.append(w)
            }
        }
        if let reinit {
            guard reinit >= 0 else { throw UsageError("--reinit \(reinit): the number of reinitializations must be 0 " +
                                                      "or more") }
            guard minDelta == 0 else { throw UsageError("--min-delta \(minDelta): not supported with --reinit (its " +
                                                        "phases stop on any lack of improvement)") }
        }
        let initializer: Initializer
        do { initializer = try Initializer.parse(initialization) } catch { throw UsageError("--init \(error)") }
        guard let outputActivation = PaintingJob.outputActivations.first(where: { $0.name == output }) else {
            let names = PaintingJob.outputActivations.map(\.name).joined(separator: " or ")
            throw UsageError("--output \(output): unknown output activation; use \(names)")
        }
        return PaintingJob(shape: parsedShape, size: size, hidden: hidden, linear: widths, epochs: epochs,
                           patience: patience, batch: batch, learningRate: lr, seed: seed, minDelta: minDelta,
                           initializer: initializer, outputActivation: outputActivation)
    }

    /// Creates `path` (and parents); an empty folder is fine, an earlier painting needs `--overwrite`,
    /// anything else is an error.
    func createFolder(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError("--out \(path): exists and is not a folder") }
            if FilePaths.isEmptyDirectory(path) { return }
            guard Checkpoint.exists(at: path) else {
                throw UsageError("--out \(path) is a non-empty folder that is not a painting; choose another folder")
            }
            guard overwrite else {
                throw UsageError("--out \(path) already holds a painting; pass --overwrite to replace it or choose " +
                                 "another folder")
            }
            return
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw UsageError("--out \(path): cannot create the folder (\(error.localizedDescription))")
        }
    }
}
