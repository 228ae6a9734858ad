import SculptCore
import SculptData
import SculptNN
import SculptRecipes

/// Table 3 of Hyatt & Lee (2018): a painting network with `linearLayers` identity layers of the
/// ReLU layer's width after it, trained with R in-training reinitializations
/// (`ReinitializationTraining`: steps 1-14, then the linear layers collapsed) and assessed.
///
/// Config: the keys of `PaintingTrialConfig` (`shape` defaults to "star", the hexagram;
/// `hidden` is required; `minimalUnits` defaults to 6) and `reinitializations` (R, required,
/// >= 0), `linearLayers` (3), `subtrainingPatience` (10), `finalPatience` (20),
/// `redundancyThreshold` (0.99), `revertThreshold` (1.25), `prune` (true: steps 13-14, the final
/// prune and training; false stops after step 11, or after step 2 when R = 0). `patience` serves
/// steps 2 and 11, `activityThreshold` is also the low-loss threshold of step 5.
///
/// Metrics: `sides`, `lines`, `activeNodes`, `sidesPerActiveNode` (NaN, so left out of means,
/// when no unit is active), `loss`, `correct`, `pixelAgreement`, `epochs` (all phases),
/// `revertedRounds`, `remainingNodes` (ReLU units left after the prune), `prunedNodes` (units step 13
/// removed), `parametersTrained`, `parametersFinal`,
/// `trainingSeconds`, `seconds`.
public struct PaintingReinitializationTrial: TrialKind {
    public init() {}

    public var name: String { "painting-reinit" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["sides", "lines", "activeNodes", "sidesPerActiveNode", "loss", "correct",
            "pixelAgreement", "epochs", "revertedRounds", "remainingNodes", "parametersTrained",
                                     "parametersFinal", "trainingSeconds", "seconds"])
    }

    struct Settings {
        var painting: PaintingTrialConfig
        var reinitialization: ReinitializationConfiguration
    }

    func read(_ config: JSONValue) throws -> Settings {
        let reader = try ConfigReader(config)
        let linearLayers = try reader.int("linearLayers", default: 3, minimum: 0)
        let painting = try PaintingTrialConfig(reading: reader, linear: { Array(repeating: $0, count: linearLayers) },
                                               defaultShape: "star", defaultMinimalUnits: 6)
        var c = ReinitializationConfiguration()
        c.reinitializations = try reader.int("reinitializations", minimum: 0)
        c.patience = painting.job.patience
        c.subtrainingPatience = try reader.int("subtrainingPatience", default: c.subtrainingPatience, minimum: 1)
        c.finalPatience = try reader.int("finalPatience", default: c.finalPatience, minimum: 1)
        c.redundancyThreshold = Float(
            try reader.double("redundancyThreshold", default: Double(c.redundancyThreshold), range: -0.999_999...1))
        c.revertThreshold = Float(
            try reader.double("revertThreshold", default: Double(c.revertThreshold), range: 1e-6...1e6))
        c.lossRatioThreshold = painting.assessor.activityThreshold
        c.pruneAtEnd = try reader.bool("prune", default: true)
        try reader.finish()
        return Settings(painting: painting, reinitialization: c)
    }

    public func validate(config: JSONValue) throws {
        _ = try read(config).painting.painting(path: "")
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        var settings = try read(config)
        settings.painting.job.seed = seed
        let outcome = try settings.painting.job.train(on: try settings.painting.painting(path: ""),
                                                      reinitialization: settings.reinitialization,
                                                      assessor: settings.painting.assessor)
        let a = outcome.assessment
        let log = outcome.reinitialization
        return TrialResult(metrics: [
            "sides": Double(a.sides),
            "lines": Double(a.lines),
            "activeNodes": Double(a.activeUnits),
            "sidesPerActiveNode": a.activeUnits > 0 ? Double(a.sides) / Double(a.activeUnits) : .nan,
            "loss": Double(a.loss),
            "correct": a.isMinimalCorrect ? 1 : 0,
            "pixelAgreement": a.pixelAgreement,
            "epochs": Double(outcome.epochs),
            "revertedRounds": Double(log?.rounds.filter(\.reverted).count ?? 0),
            "remainingNodes": Double(log?.remainingUnits ?? 0),
            "prunedNodes": Double(log?.prune?.removedUnits.reduce(0) { $0 + $1.units.count } ?? 0),
            "parametersTrained": Double(outcome.parametersTrained),
            "parametersFinal": Double(outcome.parametersFinal),
            "trainingSeconds": outcome.trainingSeconds,
            "seconds": outcome.seconds,
        ], details: .object([
            "stopReason": .string(outcome.stopReason.rawValue),
            "panel": PaintingPanel(network: outcome.network, size: outcome.painting.size)?.json ?? .null,
            "reinitializedPerRound": .array((log?.rounds ?? []).map { round in
                .number(Double(round.reinitializedUnits.reduce(0) { $0 + $1.units.count }))
            }),
        ]))
    }
}
