import SculptCore
import SculptData
import SculptIO
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

    /// The settings (`LotteryTicketSettings`'s one reader) and their data source.
    func read(_ config: JSONValue) throws -> (settings: LotteryTicketSettings, source: DataSource) {
        let settings = try LotteryTicketSettings(config: config)
        return (settings, try DataSource(parsing: settings.data))
    }

    public func validate(config: JSONValue) throws {
        let (s, source) = try read(config)
        // Check the model (and structured pruning's needs) on the data's usual sample shape.
        let architecture: Architecture
        do {
            architecture = try Architecture.builtin(named: s.model, inputShape: source.sampleShape, classes: 10)
        } catch {
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
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, the search saves its run folder there after every round (`LotteryTicketRunState`)
    /// and resumes after the last round saved by an earlier attempt of the same settings and seed.
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        let (s, source) = try read(config)
        let (train, test) = try source.load(trainLimit: s.trainingSamples ?? 0, testLimit: s.testSamples ?? 0)
        let architecture = try Architecture.builtin(named: s.model, inputShape: train.inputShape,
                                                    classes: train.classes)
        var search = LotteryTicketSearch(configuration: s.configuration)
        var saved: LotteryTicketProgress? = nil
        if let folder {
            let state = LotteryTicketRunState(settings: s, seed: seed)
            if Checkpoint.exists(at: folder),
               let loaded = TrialFolder.earlierProgress(in: folder, { try LotteryTicketRunState.load(from: folder) }),
               loaded.state.settings == s && loaded.state.seed == seed {
                saved = loaded.progress
            }
            search.afterRound = { try state.save($0, architecture: architecture, to: folder) }
        }
        let result = try search.run(architecture: architecture, train: train, test: test, seed: seed,
                                    resumingFrom: saved)
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
                "testLoss": .number(round.testLoss), "steps": .number(Double(round.steps)),
                "seconds": .number(round.seconds),
            ]
            if let a = round.controlAccuracy { o["controlAccuracy"] = .number(a) }
            if let l = round.controlLoss { o["controlLoss"] = .number(l) }
            return .object(o)
        }))
    }
}
