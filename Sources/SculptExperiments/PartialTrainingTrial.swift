import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

/// Rosenfeld & Tsotsos (2018), Figures 1 and 3: a built-in network trained with only part of
/// its weights learning (`PartialTraining`), the rest fixed at random values or zeroed.
///
/// Config: the keys of `PartialTrialConfig` (`mode` defaults to "all").
///
/// Metrics: `accuracy` (test), `testLoss`, `trainLoss`, `learnedParameters`, `totalParameters`,
/// `learnedFraction`, `zeroed` (1 when the rest is zeroed), `fraction` (the mode's p for
/// filters and slice modes, k / first hidden layer width for count mode, NaN otherwise),
/// `seconds` (training).
public struct PartialTrainingTrial: TrialKind {
    public init() {}

    public var name: String { "partial-training" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["accuracy", "testLoss", "trainLoss", "learnedParameters", "totalParameters",
                                     "learnedFraction", "zeroed", "fraction", "seconds"])
    }

    func read(_ config: JSONValue) throws -> PartialTrialConfig {
        let reader = try ConfigReader(config)
        let settings = try PartialTrialConfig(reading: reader, defaultMode: "all", defaultEpochs: 10)
        try reader.finish()
        return settings
    }

    public func validate(config: JSONValue) throws {
        let c = try read(config)
        var rng = RandomSource(seed: 0)
        let network = try c.makeNetwork(rng: &rng)
        do { _ = try PartialTraining.masks(for: c.plan, in: network) } catch {
            throw ConfigError(keyPath: "mode", reason: "\(error)")
        }
    }

    /// Version 2: training runs epoch by epoch as a `TrainingRun` (its own per-epoch shuffle), so
    /// that a trial with a folder resumes exactly; version 1 shuffled through `Trainer.fit`.
    public var version: Int { 2 }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, the run is saved there after every epoch (`PartialTrainingRunState`) and
    /// resumes after the last epoch an earlier attempt of the same job saved.
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        var c = try read(config)
        c.plan.seed = seed
        try c.settings.validate()
        let (train, test) = try c.loadData()
        let state: PartialTrainingRunState, run: TrainingRun
        if let folder, let saved = TrialFolder.earlierProgress(in: folder, {
            try PartialTrainingRunState.load(from: folder)
        }), saved.state.settings == c.settings {
            (state, run) = saved
        } else {
            var rng = RandomSource(seed: seed)
            let network = try c.makeNetwork(rng: &rng)
            let summary = try PartialTraining.apply(c.plan, to: network)
            state = PartialTrainingRunState(source: c.source, summary: summary, settings: c.settings)
            run = try TrainingRun(network: network, configuration: state.trainingConfiguration(seed: seed), rng: rng)
        }
        let outcome = try state.train(run, train: train, test: test, folder: folder)
        let fraction: Double
        switch c.plan.mode {
        case .filters(let p), .slice(_, let p): fraction = p
        case .all: fraction = 1
        default: fraction = .nan
        }
        return TrialResult(metrics: [
            "accuracy": Double(outcome.testAccuracy),
            "testLoss": Double(outcome.testLoss),
            "trainLoss": outcome.trainLoss.map(Double.init) ?? .nan,
            "learnedParameters": Double(outcome.summary.learnedParameters),
            "totalParameters": Double(outcome.summary.totalParameters),
            "learnedFraction": outcome.summary.learnedFraction,
            "zeroed": c.plan.rest == .zeroed ? 1 : 0,
            "fraction": fraction,
            "seconds": outcome.seconds,
        ], details: .object([
            "mode": .string(outcome.summary.mode),
            "learnedPerLayer": .array(outcome.summary.layers.map { .number(Double($0.learnedParameters)) }),
        ]))
    }
}
