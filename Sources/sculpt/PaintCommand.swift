import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptNN
import SculptRecipes
import SculptVisual

/// `sculpt paint`: trains a painting network (Hyatt & Lee 2018, Sections 2-3) and writes its pictures.
struct Paint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a network to paint a shape and draw its ReLU decision boundaries.",
        discussion: """
        Writes DIR/target.png, DIR/prediction.png (prediction with each ReLU unit's boundary in red),
        DIR/units.png (each ReLU unit's output, the pre-sigmoid sum and the output) and DIR/architecture.json.
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
    @Option(name: .customLong("init"), help: "Weight initialization: glorot (default: Keras, as the paper used), pytorch, he, uniform:A:B, normal:M:S.")
    var initialization = "glorot"
    @Option(help: "Output folder.")
    var out = "paint-out"
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

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
        var finalLoss: Float
        var finalTrainingLoss: Float?
        var epochs: Int
        var bestEpoch: Int?
        var stopReason: String
        var seconds: Double
        var parameters: Int
        var files: [String]
    }

    func run() throws {
        try Output.guarded {
            let job = try makeJob()
            let painting = try job.makePainting()  // validates every flag and reads an image before anything is written
            try createFolder(out)

            var lastDrawn = 0.0
            let result = try job.run(on: painting) { report in
                let now = Clock.now()
                guard now - lastDrawn >= 0.1 else { return }
                lastDrawn = now
                Output.progress("epoch \(report.epoch)/\(job.epochs)  loss \(String(format: "%.3e", report.loss))")
            }
            Output.endProgress()

            let figures = PaintingFigures(size: job.size, scale: Swift.max(1, Swift.min(8, 256 / job.size)))
            let files = [
                (name: "target.png", bytes: try figures.target(painting).pngBytes()),
                (name: "prediction.png", bytes: try figures.prediction(of: result.network).pngBytes()),
                (name: "units.png", bytes: try figures.units(of: result.network).pngBytes()),
                (name: "architecture.json", bytes: try architectureJSON(result.network.architecture)),
            ]
            var paths: [String] = []
            for file in files {
                let path = (out as NSString).appendingPathComponent(file.name)
                try writeFileAtomically(file.bytes, to: path)
                paths.append(path)
            }

            let report = Report(shape: job.shape.description, size: job.size, hidden: job.hidden, linear: job.linear,
                                seed: job.seed, learningRate: job.learningRate, initializer: initialization, batch: job.batch, patience: job.patience,
                                maxEpochs: job.epochs, finalLoss: result.finalLoss,
                                finalTrainingLoss: result.history.epochs.last?.loss, epochs: result.epochs,
                                bestEpoch: result.history.bestEpoch.map { $0 + 1 }, stopReason: result.stopReason.rawValue,
                                seconds: result.seconds, parameters: result.parameterCount, files: paths)
            if json {
                try Output.printJSON(report)
            } else {
                let widths = ([2, job.hidden] + job.linear + [1]).map(String.init).joined(separator: "-")
                print("painted \(job.shape) \(job.size)x\(job.size) with a \(widths) network (\(report.parameters) parameters)")
                print("full-image MSE \(String(format: "%.3e", report.finalLoss)) after \(report.epochs) epochs "
                      + "(\(report.stopReason)) in \(String(format: "%.2f", report.seconds)) s")
                print("wrote \(paths.joined(separator: ", "))")
            }
        }
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
        guard let initializer = Initializer(parsing: initialization) else {
            throw UsageError("--init \(initialization): unknown initializer; use pytorch, glorot, glorot-normal, he, he-uniform, uniform:A:B or normal:MEAN:STD")
        }
        return PaintingJob(shape: parsedShape, size: size, hidden: hidden, linear: widths, epochs: epochs,
                           patience: patience, batch: batch, learningRate: lr, seed: seed, minDelta: minDelta,
                           initializer: initializer)
    }

    /// Creates `path` (and parents); an existing folder is fine, an existing file is an error.
    func createFolder(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw UsageError("--out \(path): exists and is not a folder") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw UsageError("--out \(path): cannot create the folder (\(error.localizedDescription))")
        }
    }

    func architectureJSON(_ architecture: Architecture) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(architecture)) + [10]
    }
}
