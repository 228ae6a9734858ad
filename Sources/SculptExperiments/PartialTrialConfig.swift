import SculptCore
import SculptData
import SculptNN
import SculptRecipes

/// The config keys the partial-training and cheap-ensembles kinds share, read strictly.
///
/// Keys: `model` (a built-in name, "cnn-small"), `widthMultiplier` (1), `data` (as `--data`,
/// "fashion-mnist"), `trainLimit` / `testLimit` (use the first N samples; 0 = all), `mode`
/// (as `sculpt partial --mode`), `rest` ("fixed" / "zeroed"), `learnBatchNorm` (true),
/// `selection` ("leading" / "random"), `denseLayers` ("whole", the paper's rule: hidden Dense layers
/// learn whole in the filter, count and slice modes; "split": a fraction of their units learns), `batchNorm` (false: true inserts a BatchNorm after every
/// convolution and hidden Dense layer of the built-in model, as the paper's networks have),
/// `epochs` (10), `batchSize` (128), `learningRate` (0.01), `momentum` (0.9), `weightDecay`
/// (5e-4): the plan read by `PartialTrainingPlan(mode:rest:selection:...)` and the settings by
/// `PartialTrainingSettings(reading:)`, as `sculpt partial` reads its flags.
struct PartialTrialConfig {
    var model: String
    var widthMultiplier: Double
    var batchNorm: Bool
    var data: DataSource
    var trainLimit: Int
    var testLimit: Int
    var plan: PartialTrainingPlan
    var settings: PartialTrainingSettings

    init(reading reader: ConfigReader, defaultMode: String, defaultEpochs: Int) throws {
        model = try reader.string("model", default: "cnn-small")
        widthMultiplier = try reader.double("widthMultiplier", default: 1, range: 1e-3...64)
        batchNorm = try reader.bool("batchNorm", default: false)
        let dataText = try reader.string("data", default: "fashion-mnist")
        do { data = try DataSource(parsing: dataText) } catch { throw ConfigError(keyPath: reader.keyPath("data"),
            reason: "\(error)") }
        trainLimit = try reader.int("trainLimit", default: 0, minimum: 0)
        testLimit = try reader.int("testLimit", default: 0, minimum: 0)
        let modeText = try reader.string("mode", default: defaultMode)
        let rest = try reader.string("rest", default: "fixed", allowed: RestPolicy.allCases.map(\.rawValue))
        let selection = try reader.string("selection", default: "leading",
                                          allowed: SelectionOrder.allCases.map(\.rawValue))
        let learnBatchNorm = try reader.bool("learnBatchNorm", default: true)
        let denseLayers = try reader.string("denseLayers", default: DenseRule.whole.rawValue,
                                            allowed: DenseRule.allCases.map(\.rawValue))
        do {
            plan = try PartialTrainingPlan(mode: modeText, rest: rest, selection: selection,
                                           learnBatchNorm: learnBatchNorm, denseLayers: denseLayers)
        } catch { throw ConfigError(keyPath: reader.keyPath("mode"), reason: "\(error)") }
        settings = try PartialTrainingSettings(reading: reader, defaultEpochs: defaultEpochs)
        _ = try architecture(reader.path)
    }

    /// The built-in architecture for 28x28 grayscale or 32x32 colour inputs and 10 classes (100 for CIFAR-100).
    func architecture(_ path: String) throws -> Architecture {
        let architecture: Architecture
        do {
            architecture = try Architecture.builtin(named: model, widthMultiplier: widthMultiplier,
                                                    inputShape: data.sampleShape,
                                                    classes: data.classCount)
        } catch { throw ConfigError(keyPath: ConfigReader.join(path, "model"), reason: "\(error)") }
        return batchNorm ? Self.withBatchNorm(architecture) : architecture
    }

    /// `architecture` with a BatchNorm after every top-level convolution and hidden Dense layer
    /// (not after the classifier, nor where one already follows).
    static func withBatchNorm(_ architecture: Architecture) -> Architecture {
        var layers: [LayerSpec] = []
        let last = architecture.layers.lastIndex { if case .dense = $0 { return true } else { return false } }
        for (i, spec) in architecture.layers.enumerated() {
            layers.append(spec)
            if i + 1 < architecture.layers.count, case .batchNorm = architecture.layers[i + 1] { continue }
            switch spec {
            case .conv2d(_, let outputs, _, _, _, _): layers.append(.batchNorm(features: outputs, momentum: 0.1,
                epsilon: 1e-5))
            case .dense(_, let outputs, _) where i != last: layers.append(.batchNorm(features: outputs, momentum: 0.1,
                epsilon: 1e-5))
            default: break
            }
        }
        return Architecture(inputShape: architecture.inputShape, layers: layers)
    }

    /// The training and test sets, cut to the limits.
    func loadData() throws -> (train: ImageDataset, test: ImageDataset) {
        try data.load(trainLimit: trainLimit, testLimit: testLimit)
    }

    /// Where the data comes from, as a partial-training run folder keeps it.
    var source: PartialTrainingSource {
        PartialTrainingSource(model: model, data: data.description, width: widthMultiplier, trainLimit: trainLimit,
                              testLimit: testLimit)
    }

    /// A fresh network for `seed`; its masks are validated against the plan before any training.
    func makeNetwork(rng: inout RandomSource) throws -> Network {
        try checkedNetwork(architecture(""), batchSize: settings.batchSize, keyPath: "model", rng: &rng)
    }
}
