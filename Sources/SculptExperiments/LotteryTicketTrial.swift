import SculptCore
import SculptData
import SculptNN
import SculptRecipes

/// The lottery-ticket figure (Frankle & Carbin 2019, as summarized in the thesis's section 2.2):
/// one iterative-magnitude-pruning search, with the random-reinitialization control each round.
///
/// Config (defaults: Frankle & Carbin's LeNet protocol, `LotteryTicketConfiguration`):
/// `data` ("fashion-mnist", any `--data` value), `model` ("mlp:300,100"; a built-in name or
/// `mlp:W1,W2,...`), `trainingSamples` / `testSamples` (the first N of each set; all by default),
/// `rounds` (5), `rate` (0.2), `convolutionRate` (rate/2), `outputRate` (rate/2), `structured`
/// (false), `norm` ("l1" / "l2"), `scope` ("layer" / "global"), `rewindStep` (0), `control`
/// (true), `epochs` (5), `batchSize` (60), `optimizer` ("adam" / "sgd"), `learningRate`
/// (1.2e-3), `momentum` (0, sgd only), `initializer` ("glorot-normal").
///
/// Metrics, for each round r (0 = dense): `remaining{r}` (percent of the prunable weights kept),
/// `accuracy{r}` (ticket test accuracy), `control{r}` (control test accuracy, r >= 1), and
/// `epochs` (per training), `denseAccuracy`, `finalAccuracy`, `finalControl`, `finalRemaining`,
/// `seconds`.
public struct LotteryTicketTrial: TrialKind {
    public init() {}

    public var name: String { "lottery" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["epochs", "seconds", "denseAccuracy", "finalAccuracy", "finalRemaining", "finalControl"],
                        numbered: ["remaining", "accuracy", "control"])
    }

    struct Settings {
        var configuration: LotteryTicketConfiguration
        var source: DataSource
        var model: String
        var trainingSamples: Int?
        var testSamples: Int?
    }

    func read(_ config: JSONValue) throws -> Settings {
        let r = try ConfigReader(config)
        var c = LotteryTicketConfiguration()
        let dataText = try r.string("data", default: "fashion-mnist")
        let source: DataSource
        do { source = try DataSource(parsing: dataText) } catch { throw ConfigError(keyPath: r.keyPath("data"), reason: "\(error)") }
        let model = try r.string("model", default: "mlp:300,100")
        let trainingSamples = r.contains("trainingSamples") ? try r.int("trainingSamples", minimum: 1) : nil
        let testSamples = r.contains("testSamples") ? try r.int("testSamples", minimum: 1) : nil
        c.rounds = try r.int("rounds", default: c.rounds, minimum: 0, maximum: 100)
        c.rate = try r.double("rate", default: c.rate, range: 1e-9...0.999_999)
        if r.contains("convolutionRate") { c.convolutionRate = try r.double("convolutionRate", range: 0...0.999_999) }
        if r.contains("outputRate") { c.outputRate = try r.double("outputRate", range: 0...0.999_999) }
        c.structured = try r.bool("structured", default: false)
        c.norm = UnitNorm(rawValue: try r.string("norm", default: "l1", allowed: UnitNorm.allCases.map(\.rawValue))) ?? .l1
        c.scope = PruningScope(rawValue: try r.string("scope", default: "layer", allowed: PruningScope.allCases.map(\.rawValue))) ?? .layer
        c.rewindStep = try r.int("rewindStep", default: 0, minimum: 0)
        c.control = try r.bool("control", default: true)
        c.epochs = try r.int("epochs", default: c.epochs, minimum: 1)
        c.batchSize = try r.int("batchSize", default: c.batchSize, minimum: 1)
        let optimizer = try r.string("optimizer", default: "adam", allowed: ["adam", "sgd"])
        let lr = Float(try r.double("learningRate", default: 1.2e-3, range: 1e-9...10))
        let momentum = Float(try r.double("momentum", default: 0, range: 0...0.999_999))
        if optimizer == "adam" && momentum != 0 {
            throw ConfigError(keyPath: r.keyPath("momentum"), reason: "applies to sgd only (adam uses beta1 0.9)")
        }
        c.optimizer = optimizer == "adam" ? .adam(learningRate: lr) : .sgd(learningRate: lr, momentum: momentum)
        let initText = try r.string("initializer", default: "glorot-normal")
        guard let initializer = Initializer(parsing: initText) else {
            throw ConfigError(keyPath: r.keyPath("initializer"),
                              reason: "unknown initializer \"\(initText)\" (expected pytorch, glorot, glorot-normal, he, he-uniform, uniform:A:B or normal:MEAN:STD)")
        }
        c.initializer = initializer
        try r.finish()
        do { try c.validate() } catch { throw ConfigError(keyPath: "", reason: "\(error)") }
        return Settings(configuration: c, source: source, model: model, trainingSamples: trainingSamples, testSamples: testSamples)
    }

    public func validate(config: JSONValue) throws {
        let s = try read(config)
        // Check the model (and structured pruning's needs) on the data's usual sample shape.
        let shape = s.source.sampleShape
        let architecture: Architecture
        do { architecture = try LotteryTicketModel.architecture(named: s.model, inputShape: shape, classes: 10) } catch {
            throw ConfigError(keyPath: "model", reason: "\(error)")
        }
        let network = try validationNetwork(architecture, batchSize: s.configuration.batchSize, keyPath: "model")
        do {
            try LotteryTicketPruning(configuration: s.configuration).check(network)
        } catch {
            throw ConfigError(keyPath: "model", reason: "\(error)")
        }
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let s = try read(config)
        var (train, test) = try s.source.load()
        if let n = s.trainingSamples, n < train.count { train = train.subset(Array(0..<n)) }
        if let n = s.testSamples, n < test.count { test = test.subset(Array(0..<n)) }
        let architecture = try LotteryTicketModel.architecture(named: s.model, inputShape: train.inputShape, classes: train.classes)
        let result = try LotteryTicketSearch(configuration: s.configuration)
            .run(architecture: architecture, train: train, test: test, seed: seed)
        var metrics: [String: Double] = ["epochs": Double(s.configuration.epochs), "seconds": result.seconds]
        for round in result.rounds {
            metrics["remaining\(round.round)"] = 100 * round.weightFraction
            metrics["accuracy\(round.round)"] = round.testAccuracy
            if let control = round.controlAccuracy { metrics["control\(round.round)"] = control }
        }
        let last = result.rounds[result.rounds.count - 1]
        metrics["denseAccuracy"] = result.rounds[0].testAccuracy
        metrics["finalAccuracy"] = last.testAccuracy
        metrics["finalRemaining"] = 100 * last.weightFraction
        if let control = last.controlAccuracy { metrics["finalControl"] = control }
        return TrialResult(metrics: metrics, details: .array(result.rounds.map { round in
            var o: [String: JSONValue] = [
                "round": .number(Double(round.round)), "weightFraction": .number(round.weightFraction),
                "unitFraction": .number(round.unitFraction), "testAccuracy": .number(round.testAccuracy),
                "testLoss": .number(round.testLoss), "steps": .number(Double(round.steps)), "seconds": .number(round.seconds),
            ]
            if let a = round.controlAccuracy { o["controlAccuracy"] = .number(a) }
            if let l = round.controlLoss { o["controlLoss"] = .number(l) }
            return .object(o)
        }))
    }
}
