import SculptCore
import SculptNN
import SculptSurgery

/// `eigenremove-isolation`: the thesis's Fig. 4.1. One trial = one fresh network and input
/// batch (`IsolationSetup`), its hidden layer shrunk to `targetWidth` by every method on copies
/// of the same network; each metric is the squared Frobenius distance between the outputs
/// before and after.
///
/// Metrics: `eigenremove_r<ratio>` per rank ratio (kept units get the reduced weights unless
/// `keptWeights` is "original"), `minweight`, `randomReplacement` (the thesis's baseline: both
/// weight matrices replaced by fresh PyTorch-initialized ones), `randomRemoval` (random units
/// removed), and `width`, `removed`.
public struct EigenRemoveIsolationTrial: TrialKind {
    public init() {}

    public var name: String { "eigenremove-isolation" }

    struct Config {
        var setup: IsolationSetup
        var targetWidth: Int
        var rankRatios: [Double]
        var keptWeights: ShrinkMethod.KeptWeights
        var subspaceMethod: SubspaceMethod
    }

    func read(_ config: JSONValue) throws -> Config {
        let r = try ConfigReader(config)
        let setup = try IsolationSetup(r)
        let target = try r.int("targetWidth", minimum: 1, maximum: setup.hidden - 1)
        var ratios: [Double] = [1, 0.75, 0.5, 0.25, 0.2]
        if r.contains("rankRatios") {
            ratios = try r.array("rankRatios").map { path, value in
                guard case .number(let x) = value, x > 0, x <= 1 else {
                    throw ConfigError(
                        keyPath: path, reason: "expected a rank ratio in (0, 1], found \(value.canonicalText)")
                }
                return x
            }
        }
        let kept = try r.string(
            "keptWeights", default: "reduced", allowed: ShrinkMethod.KeptWeights.allCases.map(\.rawValue))
        let method = try r.string("subspaceMethod", default: "gram", allowed: SubspaceMethod.allCases.map(\.rawValue))
        try r.finish()
        return Config(setup: setup, targetWidth: target, rankRatios: ratios,
            keptWeights: ShrinkMethod.KeptWeights(rawValue: kept)!, subspaceMethod: SubspaceMethod(rawValue: method)!)
    }

    public func validate(config: JSONValue) throws { _ = try read(config) }

    /// The metric name of EigenRemove at `ratio`.
    public static func metricName(rankRatio: Double) -> String { "eigenremove_r" + JSONValue.numberText(rankRatio) }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let c = try read(config)
        let setup = c.setup
        let (tensors, x) = setup.draw(seed: seed)
        let original = try IsolationSetup.network(tensors).predict(x)
        var metrics: [String: Double] = [
            "width": Double(c.targetWidth), "removed": Double(setup.hidden - c.targetWidth),
        ]
        func measure(_ network: Network) -> Double { IsolationSetup.squaredDistance(original, network.predict(x)) }

        // EigenRemove: each weight is decomposed once and truncated at every ratio.
        let producer = try RankReducer(tensors[0]!, method: c.subspaceMethod)
        let consumer = try RankReducer(tensors[2]!, method: c.subspaceMethod)
        for ratio in c.rankRatios {
            let ranks = Tucker.ranks(ratio: ratio, shape: tensors[2]!.shape, modes: [0, 1])
            let reducedConsumer = consumer.approximation(rank: ranks[0])
            let reducedProducer = producer.approximation(
                rank: Tucker.ranks(ratio: ratio, shape: tensors[0]!.shape, modes: [0, 1])[0])
            let kept = UnitSelection.eigenRemove(reducedConsumerWeight: reducedConsumer, keep: c.targetWidth)
            let network = try IsolationSetup.network(tensors)
            let plan = ShrinkPlan(layer: 0, originalWidth: setup.hidden, targetWidth: c.targetWidth,
                                  method: .eigenRemove(rankRatio: ratio, keptWeights: c.keptWeights),
                                  subspaceMethod: c.subspaceMethod, keptUnits: kept)
            try network.applyShrink(plan, reduced: (reducedProducer, reducedConsumer))
            metrics[Self.metricName(rankRatio: ratio)] = measure(network)
        }

        let minimum = try IsolationSetup.network(tensors)
        try minimum.minimumWeightSelection(layer: 0, to: c.targetWidth)
        metrics["minweight"] = measure(minimum)

        var rng = RandomSource(seed: seed ^ 0x5EED_5EED_5EED_5EED)
        let removal = try IsolationSetup.network(tensors)
        try removal.shrinkUnits(layer: 0, to: c.targetWidth, method: .random(seed: rng.next()))
        metrics["randomRemoval"] = measure(removal)
        metrics["randomReplacement"] = measure(try setup.randomNetwork(width: c.targetWidth, rng: &rng))
        return TrialResult(metrics: metrics)
    }
}
