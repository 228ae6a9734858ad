import SculptAnalysis
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery

/// The `redundancy` trial kind: trains a built-in network (MLP or CNN) at one width and records
/// what SculptAnalysis measures of its redundancy: train/test accuracy, per weight layer i
/// (1-based, network order) ‖W − W₀‖_F (`distance{i}`, `relativeDistance{i}`), power-law alpha
/// trained and at initialization (`alpha{i}`, `alphaInit{i}`, absent when there is no fit), the
/// median k-means angle trained and initial and the KS p-value (`angle{i}`, `angleInit{i}`,
/// `angleP{i}`); per hidden unit group repeated and removable counts (`repeated{i}`,
/// `removable{i}`, totals `repeatedUnits`, `removableUnits`, `hiddenUnits`); the projection test at
/// rank `projectionRank` (`projectionAccuracy`, `projectionLoss`).
///
/// Config: data ("fashion-mnist"), model ("mlp" or "cnn-small"), width (the first hidden layer's
/// units or channels; the others scale with it), trainLimit, testLimit, epochs, batchSize,
/// learningRate, momentum, samples (test samples for unit correlations), correlation, tolerance,
/// projectionRank, clusters.
public struct RedundancyTrial: TrialKind {
    public init() {}

    public var name: String { "redundancy" }

    struct Settings {
        var source: DataSource
        var model: String
        var width: Int
        var trainLimit: Int
        var testLimit: Int
        var epochs: Int
        var configuration: TrainingConfiguration
        var samples: Int
        var options: AnalysisOptions

        /// The built-in's first hidden width at multiplier 1 (mlp 512, cnn-small 32).
        var baseWidth: Double { model == "mlp" ? 512 : 32 }

        func architecture() throws -> Architecture {
            do {
                return try Architecture.builtin(
                    named: model, widthMultiplier: Double(width) / baseWidth,
                    inputShape: source.sampleShape, classes: source.classCount)
            } catch { throw ConfigError(keyPath: "width", reason: "\(error)") }
        }
    }

    func read(_ config: JSONValue) throws -> Settings {
        let r = try ConfigReader(config)
        let dataText = try r.string("data", default: "fashion-mnist")
        let source: DataSource
        do { source = try DataSource(parsing: dataText) } catch {
            throw ConfigError(keyPath: r.keyPath("data"), reason: "\(error)")
        }
        let model = try r.string("model", default: "mlp", allowed: ["mlp", "cnn-small"])
        let width = try r.int("width", minimum: 1, maximum: 1 << 16)
        let trainLimit = try r.int("trainLimit", default: 0, minimum: 0)
        let testLimit = try r.int("testLimit", default: 0, minimum: 0)
        let epochs = try r.int("epochs", default: 10, minimum: 1)
        let batchSize = try r.int("batchSize", default: 128, minimum: 1)
        let lr = try r.double("learningRate", default: 0.05, range: 1e-9...10)
        let momentum = try r.double("momentum", default: 0.9, range: 0...0.999_999)
        let samples = try r.int("samples", default: 512, minimum: 2)
        var options = AnalysisOptions()
        options.correlationThreshold = try r.double("correlation", default: 0.9, range: 1e-6...1)
        options.lossTolerance = try r.double("tolerance", default: 0.01, range: 0...10)
        options.projectionRanks = [try r.int("projectionRank", default: 16, minimum: 1)]
        options.clusters = try r.int("clusters", default: 4, minimum: 1)
        try r.finish()
        let configuration = TrainingConfiguration(
            optimizer: .sgd(
                learningRate: Float(lr), momentum: Float(momentum), dampening: 0, weightDecay: 0, nesterov: false),
            loss: .crossEntropy, batchSize: batchSize, seed: 0, data: source.description, validationFraction: 0,
            augmentation: false)
        return Settings(
            source: source, model: model, width: width, trainLimit: trainLimit, testLimit: testLimit, epochs: epochs,
            configuration: configuration, samples: samples, options: options)
    }

    public func validate(config: JSONValue) throws {
        _ = try read(config).architecture()
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, the training run's checkpoint is saved there after every epoch and resumes
    /// after the last epoch an earlier attempt of the same job saved.
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        var s = try read(config)
        s.configuration.seed = seed
        let (train, test) = try s.source.load(trainLimit: s.trainLimit, testLimit: s.testLimit)
        let start = Clock.now()
        let run: TrainingRun
        if let folder, Checkpoint.exists(at: folder), let saved = TrialFolder.earlierProgress(in: folder, {
            try TrainingRun(resuming: Checkpoint.load(from: folder))
        }) {
            run = saved
        } else {
            var rng = RandomSource(seed: seed)
            run = try TrainingRun(network: try Network(try s.architecture(), rng: &rng), configuration: s.configuration,
                                  rng: rng)
        }
        let network = run.network
        let trainData = ReshapedDataset(train, inputShape: network.inputShape)
        let testData = ReshapedDataset(test, inputShape: network.inputShape)
        while run.completedEpochs < s.epochs {
            try run.runEpoch(train: trainData)
            if let folder { try run.checkpoint().save(to: folder) }
        }
        let evaluator = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 1))
        let trainScore = evaluator.evaluate(trainData, batchSize: 128)
        let testScore = evaluator.evaluate(testData, batchSize: 128)
        guard let initial = run.initialWeights?.byName else {
            throw ConfigError(keyPath: "model", reason: "no initial weights")
        }
        let report = try NetworkAnalysis.analyze(
            network: network, initial: initial,
            sample: PrefixDataset(testData, count: Swift.min(s.samples, testData.count)),
            test: testData, loss: SoftmaxCrossEntropy(), options: s.options)
        var metrics: [String: Double] = [
            "trainAccuracy": Double(trainScore.accuracy ?? 0), "testAccuracy": Double(testScore.accuracy ?? 0),
            "trainLoss": Double(trainScore.loss), "testLoss": Double(testScore.loss),
            "width": Double(s.width), "parameters": Double(network.parameterCount),
        ]
        try addLayerMetrics(report, initial: initial, to: &metrics)
        if let point = report.projection?.points.first {
            metrics["projectionAccuracy"] = point.testAccuracy
            metrics["projectionLoss"] = point.testLoss
        }
        metrics["seconds"] = Clock.now() - start
        return TrialResult(metrics: metrics)
    }

    /// Per-layer and per-group metrics of `report`, numbered from 1.
    func addLayerMetrics(
        _ report: NetworkAnalysisReport, initial: [String: Tensor], to metrics: inout [String: Double]
    ) throws {
        for (i, layer) in report.layers.enumerated() {
            let k = i + 1
            if let d = layer.distance {
                metrics["distance\(k)"] = d.frobenius
                metrics["relativeDistance\(k)"] = d.relative
            }
            metrics["alpha\(k)"] = layer.spectrum?.powerLaw.alpha
            if let w0 = initial[layer.name] {
                metrics["alphaInit\(k)"] = try LayerSpectrum(name: layer.name, weight: w0).powerLaw.alpha
            }
            if let c = layer.clustering {
                metrics["angle\(k)"] = c.trained.median
                metrics["angleInit\(k)"] = c.initial?.median
                metrics["angleP\(k)"] = c.test?.pValue
            }
        }
        var repeated = 0
        var removable = 0
        var units = 0
        for (i, group) in (report.units ?? []).enumerated() {
            metrics["repeated\(i + 1)"] = Double(group.repeatedCount)
            metrics["removable\(i + 1)"] = Double(group.removable.count)
            repeated += group.repeatedCount
            removable += group.removable.count
            units += group.units
        }
        metrics["repeatedUnits"] = Double(repeated)
        metrics["removableUnits"] = Double(removable)
        metrics["hiddenUnits"] = Double(units)
        metrics["repeatedFraction"] = units > 0 ? Double(repeated) / Double(units) : 0
        metrics["removableFraction"] = units > 0 ? Double(removable) / Double(units) : 0
    }
}
