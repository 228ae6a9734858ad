import SculptCore
import SculptData
import SculptNN
import SculptRecipes

/// Han & Zhang's partial restart (Algorithm 1) and its two tables: one base training, then for
/// each reset method the restart rounds from a copy of that same base network, and the
/// equal-budget control (the base network fine-tuned on the same schedule and data order
/// without resets). Sharing the base makes the methods a paired comparison.
///
/// Config (defaults: `PartialRestartConfiguration`'s, i.e. the paper's where it gives them):
/// `data` ("fashion-mnist"), `model` ("mininet"; a built-in name), `widthMultiplier` (1),
/// `trainLimit` / `testLimit` (first N samples; 0 = all), `resets` (["uniform", "xavier",
/// "minmax"], the paper's three; also "he", "fitted"), `restarts` (3), `uselessFraction` (0.1)
/// or `uselessCount` (per layer), `layers` (Conv2D layer paths; all when absent), `outgoing`
/// ("keep" / "zero" / "redraw"), `stopWhenUnchanged` (true), `epochsHigh` / `epochsLow` (base
/// training), `restartEpochsHigh` / `restartEpochsLow` (each restart), `learningRate`,
/// `lowLearningRate`, `momentum`, `weightDecay`, `batchSize`, `measureSamples`, `initializer`.
///
/// Metrics: `baseline` (test accuracy after the base training), `control{r}` and `control`
/// (control after r rounds / all rounds), and for each reset method M (its name): `M{r}` (after
/// restart r; absent once the method stopped), `M` (after its last restart), `MRounds` (restarts
/// run), `MGain` (M minus the control after as many rounds), `MVsBaseline` (M minus baseline),
/// `MReset` (filters reset per round, mean); `seconds`, `baseSeconds`.
public struct PartialRestartTrial: TrialKind {
    public init() {}

    public var name: String { "partial-restart" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        let methods: [String] = PartialRestartReset.allCases.map(\.rawValue)
        var fixed: [String] = ["baseline", "baseSeconds", "control", "seconds"] + methods
        for m in methods { fixed += [m + "Rounds", m + "VsBaseline", m + "Gain", m + "Reset"] }
        return MetricNames(fixed: fixed, numbered: ["control"] + methods)
    }

    struct Settings {
        var configuration: PartialRestartConfiguration
        var resets: [PartialRestartReset]
        var source: DataSource
        var model: String
        var widthMultiplier: Double
        var trainLimit: Int
        var testLimit: Int

        func architecture() throws -> Architecture {
            do {
                return try Architecture.builtin(named: model, widthMultiplier: widthMultiplier, inputShape: source.sampleShape,
                                                classes: source.classCount)
            } catch { throw ConfigError(keyPath: "model", reason: "\(error)") }
        }
    }

    func read(_ config: JSONValue) throws -> Settings {
        let r = try ConfigReader(config)
        var c = PartialRestartConfiguration()
        let dataText = try r.string("data", default: "fashion-mnist")
        let source: DataSource
        do { source = try DataSource(parsing: dataText) } catch { throw ConfigError(keyPath: r.keyPath("data"), reason: "\(error)") }
        let model = try r.string("model", default: "mininet")
        let width = try r.double("widthMultiplier", default: 1, range: 1e-3...64)
        let trainLimit = try r.int("trainLimit", default: 0, minimum: 0)
        let testLimit = try r.int("testLimit", default: 0, minimum: 0)
        var resets: [PartialRestartReset] = [.uniform, .xavier, .minmax]
        if let raw = r.value("resets") {
            guard case .array(let items) = raw, !items.isEmpty else {
                throw ConfigError(keyPath: r.keyPath("resets"), reason: "expected a non-empty array of reset method names")
            }
            resets = try items.enumerated().map { i, item in
                guard case .string(let s) = item, let m = PartialRestartReset(rawValue: s) else {
                    throw ConfigError(keyPath: r.keyPath("resets") + "[\(i)]",
                                      reason: "unknown reset method \(item.canonicalText) (expected one of: \(PartialRestartReset.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return m
            }
            guard Set(resets).count == resets.count else { throw ConfigError(keyPath: r.keyPath("resets"), reason: "a reset method is listed twice") }
        }
        c.restarts = try r.int("restarts", default: c.restarts, minimum: 0, maximum: 100)
        if r.contains("uselessCount") {
            if r.contains("uselessFraction") {
                throw ConfigError(keyPath: r.keyPath("uselessCount"), reason: "give uselessFraction or uselessCount, not both")
            }
            c.useless = .count(try r.int("uselessCount", minimum: 1))
        } else if r.contains("uselessFraction") {
            let f = try r.double("uselessFraction")
            guard f > 0, f <= 1 else { throw ConfigError(keyPath: r.keyPath("uselessFraction"), reason: "must lie in (0, 1], found \(JSONValue.numberText(f))") }
            c.useless = .fraction(f)
        }
        if let raw = r.value("layers") {
            guard case .array(let items) = raw else { throw ConfigError(keyPath: r.keyPath("layers"), reason: "expected an array of layer paths") }
            c.layers = try items.enumerated().map { i, item in
                switch item {
                case .string(let s): return s
                case .number(let x) where x == x.rounded() && x >= 0: return String(Int(x))
                default: throw ConfigError(keyPath: r.keyPath("layers") + "[\(i)]", reason: "expected a layer path such as \"layers.3\", found \(item.canonicalText)")
                }
            }
        }
        c.outgoing = PartialRestartOutgoing(rawValue: try r.string("outgoing", default: c.outgoing.rawValue,
                                                                   allowed: PartialRestartOutgoing.allCases.map(\.rawValue))) ?? .keep
        c.stopWhenUnchanged = try r.bool("stopWhenUnchanged", default: c.stopWhenUnchanged)
        c.epochsHigh = try r.int("epochsHigh", default: c.epochsHigh, minimum: 0)
        c.epochsLow = try r.int("epochsLow", default: c.epochsLow, minimum: 0)
        c.restartEpochsHigh = try r.int("restartEpochsHigh", default: c.restartEpochsHigh, minimum: 0)
        c.restartEpochsLow = try r.int("restartEpochsLow", default: c.restartEpochsLow, minimum: 0)
        c.learningRate = Float(try r.double("learningRate", default: Double(c.learningRate), range: 1e-9...10))
        c.lowLearningRate = Float(try r.double("lowLearningRate", default: Double(c.lowLearningRate), range: 1e-9...10))
        c.momentum = Float(try r.double("momentum", default: Double(c.momentum), range: 0...0.999_999))
        c.weightDecay = Float(try r.double("weightDecay", default: Double(c.weightDecay), range: 0...1))
        c.batchSize = try r.int("batchSize", default: c.batchSize, minimum: 1)
        c.measureSamples = try r.int("measureSamples", default: c.measureSamples, minimum: 1)
        let initText = try r.string("initializer", default: "pytorch")
        guard let initializer = Initializer(parsing: initText) else {
            throw ConfigError(keyPath: r.keyPath("initializer"),
                              reason: "unknown initializer \"\(initText)\" (expected pytorch, glorot, glorot-normal, he, he-uniform, uniform:A:B or normal:MEAN:STD)")
        }
        c.initializer = initializer
        c.control = false  // the trial runs the control once, for all methods
        try r.finish()
        do { try c.validate() } catch { throw ConfigError(keyPath: "", reason: "\(error)") }
        return Settings(configuration: c, resets: resets, source: source, model: model, widthMultiplier: width,
                        trainLimit: trainLimit, testLimit: testLimit)
    }

    public func validate(config: JSONValue) throws {
        let s = try read(config)
        let network = try validationNetwork(try s.architecture(), batchSize: s.configuration.batchSize, keyPath: "model")
        do { _ = try PartialRestart(configuration: s.configuration).check(network) } catch {
            throw ConfigError(keyPath: s.configuration.layers == nil ? "model" : "layers", reason: "\(error)")
        }
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let s = try read(config)
        var (train, test) = try s.source.load()
        train = train.limited(to: s.trainLimit)
        test = test.limited(to: s.testLimit)
        let start = Clock.now()
        let recipe = PartialRestart(configuration: s.configuration)
        let base = try recipe.trainBase(architecture: try s.architecture(), train: train, test: test, seed: seed)
        let baseline = base.result.baselineAccuracy
        var metrics: [String: Double] = ["baseline": baseline, "baseSeconds": base.seconds]
        let control = try recipe.controlRounds(try base.network.copied(), after: base, train: train, test: test)
        for (k, score) in control.enumerated() { metrics["control\(k + 1)"] = score.accuracy }
        metrics["control"] = control.last?.accuracy ?? baseline
        var details: [String: JSONValue] = ["baseline": .number(baseline),
                                            "control": .array(control.map { .number($0.accuracy) })]
        for method in s.resets {
            var c = s.configuration
            c.reset = method
            var branch = base
            branch.network = try base.network.copied()
            let outcome = try PartialRestart(configuration: c).continueRestarts(branch, train: train, test: test)
            let m = method.rawValue, rounds = outcome.result.rounds.dropFirst()
            for round in rounds { metrics["\(m)\(round.round)"] = round.testAccuracy }
            let final = outcome.result.finalAccuracy
            metrics[m] = final
            metrics["\(m)Rounds"] = Double(rounds.count)
            metrics["\(m)VsBaseline"] = final - baseline
            metrics["\(m)Gain"] = final - (rounds.isEmpty ? baseline : control[rounds.count - 1].accuracy)
            metrics["\(m)Reset"] = rounds.isEmpty ? 0 : Double(rounds.reduce(0) { $0 + $1.resetCount }) / Double(rounds.count)
            details[m] = .object([
                "accuracy": .array(rounds.map { .number($0.testAccuracy) }),
                "stop": .string(outcome.result.stop?.rawValue ?? ""),
                "useless": .array(rounds.map { round in
                    .object(Dictionary(uniqueKeysWithValues: round.useless.map { ($0.layer, JSONValue.array($0.filters.map { .number(Double($0)) })) }))
                }),
            ])
        }
        metrics["seconds"] = Clock.now() - start
        return TrialResult(metrics: metrics, details: .object(details))
    }
}
