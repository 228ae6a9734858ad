import SculptCore
import SculptData
import SculptNN
import SculptRecipes
import SculptSurgery

/// The config keys both painting trial kinds share, read strictly into a `PaintingJob`.
///
/// Keys (defaults are the paper's Keras protocol): `shape` (as `sculpt paint --shape`),
/// `size` (64), `hidden` (ReLU width), `output` ("sigmoid" or "identity"), `patience` (20),
/// `batchSize` (128), `learningRate` (Adam, 1e-3), `maxEpochs` (500,000: early stopping decides),
/// `initializer` ("glorot", as `sculpt paint --init`), `minimalUnits` (active units of a minimal
/// solution), `requiredAgreement` (0.99), `activityThreshold` (1.5).
struct PaintingTrialConfig {
    var job: PaintingJob
    var assessor: PaintingAssessor

    /// Reads the shared keys from `reader`; `defaultShape` and `defaultMinimalUnits` differ per kind.
    init(reading reader: ConfigReader, linear: (Int) throws -> [Int], defaultShape: String,
         defaultMinimalUnits: Int) throws {
        let shapeText = try reader.string("shape", default: defaultShape)
        let shape: PaintingShape
        do { shape = try PaintingShape(parsing: shapeText) } catch {
            throw ConfigError(keyPath: reader.keyPath("shape"), reason: "\(error)")
        }
        let size = try reader.int("size", default: 64, minimum: 2, maximum: PaintingJob.maximumSize)
        let hidden = try reader.int("hidden", minimum: 1)
        let outputName = try reader.string("output", default: "sigmoid",
                                           allowed: PaintingJob.outputActivations.map(\.name))
        let output = PaintingJob.outputActivations.first { $0.name == outputName } ?? .sigmoid
        let initializer = try reader.initializer("initializer", default: "glorot")
        job = PaintingJob(shape: shape, size: size, hidden: hidden, linear: try linear(hidden),
                          epochs: try reader.int("maxEpochs", default: 500_000, minimum: 1),
                          patience: try reader.int("patience", default: 20, minimum: 1),
                          batch: try reader.int("batchSize", default: 128, minimum: 1),
                          learningRate: Float(try reader.double("learningRate", default: 1e-3, range: 1e-12...10)),
                          seed: 0, minDelta: 0, initializer: initializer, outputActivation: output)
        assessor = PaintingAssessor(minimalUnits: try reader.int("minimalUnits", default: defaultMinimalUnits,
                                                                 minimum: 1),
                                    requiredAgreement: try reader.double("requiredAgreement", default: 0.99,
                                        range: 0...1))
        assessor.activityThreshold = Float(try reader.double("activityThreshold",
                                                             default: Double(UnitContributions.defaultThreshold),
                                                             range: 1e-6...1e6))
        do { try job.validate() } catch {
            throw ConfigError(keyPath: reader.path, reason: "\(error)")
        }
        do { try MemoryEstimate.training(job.architecture, batchSize: job.batch).check(.standard,
            flag: "hidden") } catch {
            throw ConfigError(keyPath: reader.keyPath("hidden"), reason: "\(error)")
        }
    }

    /// The picture, rendered (an image file is read here); a failure names the `shape` key.
    func painting(path: String) throws -> Painting {
        do { return try job.makePainting() } catch {
            throw ConfigError(keyPath: ConfigReader.join(path, "shape"), reason: "\(error)")
        }
    }
}
