import SculptCore
import SculptNN
import SculptSurgery

/// `weakexpand-isolation`: the thesis's Fig. 4.2. One trial = one fresh network and input batch
/// (`IsolationSetup`), its hidden layer grown to `targetWidth` by WeakExpand and ZeroExpand on
/// copies of the same network. Metrics: `weakexpand`, `zeroexpand`, `randomReplacement` (squared
/// Frobenius distance of the outputs), `weakexpandMaxRelative`, `zeroexpandMaxRelative` (largest
/// output difference relative to the largest output, the exactness contract), `width`, `added`.
public struct WeakExpandIsolationTrial: TrialKind {
    public init() {}

    public var name: String { "weakexpand-isolation" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["width", "added", "weakexpand", "weakexpandMaxRelative", "zeroexpand",
                                     "zeroexpandMaxRelative", "randomReplacement"])
    }

    struct Config {
        var setup: IsolationSetup
        var targetWidth: Int
        var order: WeakExpandSplit.Order
        var noise: Double
    }

    func read(_ config: JSONValue) throws -> Config {
        let r = try ConfigReader(config)
        let setup = try IsolationSetup(r)
        let target = try r.int("targetWidth", minimum: setup.hidden + 1)
        let order = try r.string("order", default: WeakExpandSplit.Order.meanAbsoluteOutgoing.rawValue,
                                 allowed: WeakExpandSplit.Order.allCases.map(\.rawValue))
        let noise = try r.double("noiseStandardDeviation", default: 0, range: 0...1)
        try r.finish()
        return Config(setup: setup, targetWidth: target, order: WeakExpandSplit.Order(rawValue: order)!, noise: noise)
    }

    public func validate(config: JSONValue) throws { _ = try read(config) }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let c = try read(config)
        let setup = c.setup
        let (tensors, x) = setup.draw(seed: seed)
        let original = try IsolationSetup.network(tensors).predict(x)
        var rng = RandomSource(seed: seed ^ 0x5EED_5EED_5EED_5EED)
        var metrics: [String: Double] = ["width": Double(c.targetWidth), "added": Double(c.targetWidth - setup.hidden)]

        let weak = try IsolationSetup.network(tensors)
        try weak.weakExpand(
            layer: 0, to: c.targetWidth, order: c.order, noiseStandardDeviation: Float(c.noise), seed: rng.next())
        let yWeak = weak.predict(x)
        metrics["weakexpand"] = IsolationSetup.squaredDistance(original, yWeak)
        metrics["weakexpandMaxRelative"] = IsolationSetup.relativeMaxDifference(original, yWeak)

        let zero = try IsolationSetup.network(tensors)
        try zero.zeroExpand(layer: 0, to: c.targetWidth, rng: &rng)
        let yZero = zero.predict(x)
        metrics["zeroexpand"] = IsolationSetup.squaredDistance(original, yZero)
        metrics["zeroexpandMaxRelative"] = IsolationSetup.relativeMaxDifference(original, yZero)

        metrics["randomReplacement"] = IsolationSetup.squaredDistance(
            original, try setup.randomNetwork(width: c.targetWidth, rng: &rng).predict(x))
        return TrialResult(metrics: metrics)
    }
}
