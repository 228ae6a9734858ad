import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

/// Graham (2019), section 4.1.2 (Tables 4.1-4.4): a VGG-style network trained with one layer
/// after another compressed (EigenRemove, Minimum Weight Selection) or expanded (WeakExpand,
/// ZeroExpand) while it trains, in the thesis's fixed random layer order `c10, c7, c2, f2, c9,
/// c5, c6, c4, c3, f1`. One trial is one training run at one ratio with one method.
///
/// Config: `data` ("fashion-mnist"), `model` ("vgg16"), `widthMultiplier` (0.25), `trainLimit` /
/// `testLimit` (first N samples; 0 = all), `epochs` (20), `batchSize` (128), `learningRate`
/// (0.01), `momentum` (0.9), `weightDecay` (5e-4), `augment` (false; CIFAR crop + flip),
/// `method` (required: "eigenremove", "minweight", "random-remove", "expand", "zero-expand" or
/// "none" for the unmodified baseline), `ratio` (required unless "none": the fraction kept by a
/// compression, in (0, 1), or added by an expansion, > 0), `rankRatio` (0.125, the thesis's
/// delta for training; eigenremove only), `layers` (the thesis's order; paths or counted names),
/// `firstEpoch` (2) and `every` (1): operation k runs after epoch `firstEpoch + (k - 1) * every`;
/// `probeSamples` (5000, the first training samples, for the loss factors), `expandInit` (zero-expand only:
/// "zero", the default, is the thesis's Zero Weight Expansion with zero incoming and outgoing weights;
/// an initializer name such as "pytorch" gives the new units random incoming weights).
///
/// Metrics: `finalAccuracy` (test accuracy after the last epoch), `testLoss`, `trainAccuracy`
/// and `trainLoss` (last epoch's running values), `ratio`, `lossFactor{k}` (probe loss just after
/// / just before operation k), `epochFactor{k}` (training loss of the epoch after / the epoch
/// before operation k), `medianLossFactor`, `medianEpochFactor`, `maxLossFactorDeviation` (largest
/// |lossFactor - 1|: rounding only for function-preserving operations), `parametersStart`,
/// `parametersFinal`, `operationMilliseconds` and `epochSeconds` (means), `seconds`. Series: `trainLoss` and
/// `trainAccuracy` per epoch, `lossFactor` and `parameters` at each operation's epoch (for the report's curves).
public struct InterruptibleTrial: TrialKind {
    public init() {}

    public var name: String { "interruptible" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["finalAccuracy", "testLoss", "trainAccuracy", "trainLoss", "ratio", "parametersStart",
                                     "parametersFinal", "epochSeconds", "maxLossFactorDeviation", "medianLossFactor",
                                     "medianEpochFactor", "operationMilliseconds", "seconds"],
                        numbered: ["lossFactor", "epochFactor"])
    }

    /// The thesis's randomly generated layer order, held constant across its experiments.
    public static let thesisLayerOrder = ["c10", "c7", "c2", "f2", "c9", "c5", "c6", "c4", "c3", "f1"]

    struct Settings {
        var source: DataSource
        var model: String
        var widthMultiplier: Double
        var trainLimit: Int
        var testLimit: Int
        var epochs: Int
        var configuration: TrainingConfiguration
        var method: ScheduleOperationKind?
        var ratio: Double?
        var rankRatio: Double
        var layers: [String]
        var firstEpoch: Int
        var every: Int
        var probeSamples: Int
        /// ZeroExpand's incoming weights: "zero" (the thesis) or an initializer name.
        var expandInit: String?

        func architecture() throws -> Architecture {
            do {
                return try Architecture.builtin(
                    named: model, widthMultiplier: widthMultiplier, inputShape: source.sampleShape,
                                                classes: source.classCount)
            } catch { throw ConfigError(keyPath: "model", reason: "\(error)") }
        }

        /// The schedule: one operation per layer, at `firstEpoch`, `firstEpoch + every`, ...
        func schedule() -> TrainingSchedule {
            guard let method, let ratio else { return TrainingSchedule() }
            return TrainingSchedule(layers.enumerated().map { k, layer in
                ScheduleEntry(epoch: firstEpoch + k * every,
                              operation: ScheduleOperation(operation: method, layer: layer, fraction: ratio,
                                                           rankRatio: method == .eigenremove ? rankRatio : nil,
                                                           initialization: method == .zeroExpand ? expandInit : nil))
            })
        }
    }

    func read(_ config: JSONValue) throws -> Settings {
        let r = try ConfigReader(config)
        let dataText = try r.string("data", default: "fashion-mnist")
        let source: DataSource
        do { source = try DataSource(parsing: dataText) } catch {
            throw ConfigError(keyPath: r.keyPath("data"), reason: "\(error)")
        }
        let model = try r.string("model", default: "vgg16")
        let width = try r.double("widthMultiplier", default: 0.25, range: 1e-3...64)
        let trainLimit = try r.int("trainLimit", default: 0, minimum: 0)
        let testLimit = try r.int("testLimit", default: 0, minimum: 0)
        let epochs = try r.int("epochs", default: 20, minimum: 1)
        let batchSize = try r.int("batchSize", default: 128, minimum: 1)
        let lr = try r.double("learningRate", default: 0.01, range: 1e-9...10)
        let momentum = try r.double("momentum", default: 0.9, range: 0...0.999_999)
        let weightDecay = try r.double("weightDecay", default: 5e-4, range: 0...1)
        let augment = try r.bool("augment", default: false)
        let methodNames = ScheduleOperationKind.allCases.filter { $0.shrinks || $0.expands }.map(\.rawValue) + ["none"]
        let methodText = try r.string("method", allowed: methodNames)
        let method = methodText == "none" ? nil : ScheduleOperationKind(rawValue: methodText)
        var ratio: Double? = nil
        if let method {
            let f = try r.double("ratio")
            if method.shrinks, !(f > 0 && f < 1) {
                throw ConfigError(
                    keyPath: r.keyPath("ratio"),
                    reason:
                        "the fraction of units a compression keeps must lie in (0, 1), found \(JSONValue.numberText(f))"
                )
            }
            if method.expands, !(f > 0 && f.isFinite) {
                throw ConfigError(
                    keyPath: r.keyPath("ratio"),
                    reason: "the fraction of units an expansion adds must be positive, found \(JSONValue.numberText(f))"
                )
            }
            ratio = f
        } else if r.contains("ratio") {
            throw ConfigError(keyPath: r.keyPath("ratio"), reason: "method \"none\" takes no ratio")
        }
        let rankRatio = try r.double("rankRatio", default: 0.125, range: 1e-9...1)
        var layers = Self.thesisLayerOrder
        if let raw = r.value("layers") {
            guard case .array(let items) = raw, !items.isEmpty else {
                throw ConfigError(
                    keyPath: r.keyPath("layers"),
                    reason: "expected a non-empty array of layer names (c10, f2, layers.3, ...)")
            }
            layers = try items.enumerated().map { i, item in
                guard case .string(let s) = item else {
                    throw ConfigError(
                        keyPath: r.keyPath("layers") + "[\(i)]",
                        reason: "expected a layer name such as \"c10\" or \"layers.3\", found \(item.canonicalText)")
                }
                return s
            }
        }
        let firstEpoch = try r.int("firstEpoch", default: 2, minimum: 0)
        let every = try r.int("every", default: 1, minimum: 1)
        let probeSamples = try r.int("probeSamples", default: 5000, minimum: 1)
        let expandInit = try r.string("expandInit", default: "zero")
        if method != .zeroExpand, r.contains("expandInit") {
            throw ConfigError(
                keyPath: r.keyPath("expandInit"), reason: "expandInit applies to method \"zero-expand\" only")
        }
        try r.finish()
        let configuration = TrainingConfiguration(
            optimizer: .sgd(
                learningRate: Float(lr), momentum: Float(momentum), dampening: 0, weightDecay: Float(weightDecay),
                nesterov: false),
            loss: .crossEntropy, batchSize: batchSize, seed: 0, data: source.description, validationFraction: 0,
            augmentation: augment)
        return Settings(
            source: source, model: model, widthMultiplier: width, trainLimit: trainLimit, testLimit: testLimit,
            epochs: epochs, configuration: configuration, method: method, ratio: ratio, rankRatio: rankRatio,
                        layers: layers, firstEpoch: firstEpoch, every: every, probeSamples: probeSamples,
                        expandInit: method == .zeroExpand ? expandInit : nil)
    }

    public func validate(config: JSONValue) throws {
        let s = try read(config)
        let network = try validationNetwork(
            try s.architecture(), batchSize: s.configuration.batchSize, keyPath: "widthMultiplier")
        do { try s.schedule().validate(against: network, epochs: s.epochs) } catch {
            throw ConfigError(keyPath: "layers", reason: "\(error)")
        }
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, the scheduled run saves its checkpoint there after every epoch and resumes
    /// (`ScheduledTraining.load`) after the last epoch an earlier attempt of the same job saved.
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        var s = try read(config)
        s.configuration.seed = seed
        let (train, test) = try s.source.load(trainLimit: s.trainLimit, testLimit: s.testLimit)
        let start = Clock.now()
        var rng = RandomSource(seed: seed)
        let fresh = try Network(try s.architecture(), rng: &rng)
        let parametersStart = fresh.parameterCount
        let probe = PrefixDataset(train, count: s.probeSamples)
        let scheduled: ScheduledTraining
        if let folder, Checkpoint.exists(at: folder), let saved = TrialFolder.earlierProgress(in: folder, {
            try ScheduledTraining.load(from: folder, probe: { _ in probe })
        }) {
            scheduled = saved
        } else {
            let run = try TrainingRun(network: fresh, configuration: s.configuration, rng: rng)
            scheduled = try ScheduledTraining(run: run, schedule: s.schedule(), epochs: s.epochs, probe: probe)
        }
        let run = scheduled.run, network = run.network
        try scheduled.train(train, augmentation: s.configuration.augmentation ? s.source.defaultAugmentation() : nil,
                            saveTo: folder)
        let score = network.evaluate(on: test, loss: SoftmaxCrossEntropy(), batchSize: 128)

        var metrics: [String: Double] = [
            "finalAccuracy": Double(score.accuracy ?? .nan), "testLoss": Double(score.loss),
            "trainAccuracy": Double(run.reports.last?.accuracy ?? .nan),
            "trainLoss": Double(run.reports.last?.loss ?? .nan),
            "ratio": s.ratio ?? 0, "parametersStart": Double(parametersStart),
            "parametersFinal": Double(network.parameterCount),
            "epochSeconds": run.reports.reduce(0) { $0 + $1.seconds } / Double(max(run.reports.count, 1)),
        ]
        let applied = scheduled.events.filter(\.applied)
        for (k, event) in applied.enumerated() {
            metrics["lossFactor\(k + 1)"] = event.lossFactor
            metrics["epochFactor\(k + 1)"] = event.epochFactor ?? .nan
        }
        metrics["maxLossFactorDeviation"] = applied.map { abs($0.lossFactor - 1) }.max() ?? .nan
        metrics["medianLossFactor"] = ScheduledTraining.median(applied.map(\.lossFactor)) ?? .nan
        metrics["medianEpochFactor"] = ScheduledTraining.median(applied.compactMap(\.epochFactor)) ?? .nan
        metrics["operationMilliseconds"] =
            applied.isEmpty ? .nan : applied.reduce(0) { $0 + $1.seconds } * 1000 / Double(applied.count)
        metrics["seconds"] = Clock.now() - start
        let details: JSONValue = .object([
            "operations": .array(applied.map { event in
                .object(["epoch": .number(Double(event.epoch)), "operation": .string(event.text),
                        "widthBefore": .number(Double(event.widthBefore ?? 0)),
                        "widthAfter": .number(Double(event.widthAfter ?? 0)),
                         "lossBefore": .number(event.lossBefore), "lossAfter": .number(event.lossAfter),
                        "epochFactor": event.epochFactor.map { .number($0) } ?? .null,
                        "milliseconds": .number(event.seconds * 1000),
                    ])
            }),
            "trainLossByEpoch": .array(run.reports.map { .number(Double($0.loss)) }),
        ])
        let series = [
            TrialSeries(name: "trainLoss", perEpoch: run.reports.map { Double($0.loss) }),
            TrialSeries(name: "trainAccuracy", perEpoch: run.reports.map { Double($0.accuracy ?? .nan) }),
            TrialSeries(name: "lossFactor", x: applied.map { Double($0.epoch) }, y: applied.map(\.lossFactor)),
            TrialSeries(name: "parameters", x: [0] + applied.map { Double($0.epoch) },
                        y: [Double(parametersStart)] + applied.map { Double($0.parametersAfter) }),
        ]
        return TrialResult(metrics: metrics, details: details, series: series)
    }
}
