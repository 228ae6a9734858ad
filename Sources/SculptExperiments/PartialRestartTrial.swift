import Foundation
import SculptCore
import SculptData
import SculptIO
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
/// `lowLearningRate`, `momentum`, `weightDecay`, `batchSize`, `measureSamples`, `initializer`,
/// `validationFraction` (held out of the training samples, split by the seed) and `patience` (the
/// base training stops on the validation loss and keeps its best weights: "train to convergence").
///
/// Metrics: `baseline` (test accuracy after the base training), `control{r}` and `control`
/// (control after r rounds / all rounds), and for each reset method M (its name): `M{r}` (after
/// restart r; absent once the method stopped), `M` (after its last restart), `MRounds` (restarts
/// run), `MGain` (M minus the control after as many rounds), `MVsBaseline` (M minus baseline),
/// `MReset` (filters reset per round, mean), `MDiverged` (1 when a restart's fine-tuning diverged:
/// that round records the diverged network's accuracy, about chance, and the method stops; 0
/// otherwise); `seconds`, `baseSeconds` (the base training as first
/// trained: a resumed base keeps its time), `baseEpochs` (epochs the base trained), `baseValidation`
/// (its validation accuracy, with a validation part).
public struct PartialRestartTrial: TrialKind {
    public init() {}

    public var name: String { "partial-restart" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        let methods: [String] = PartialRestartReset.allCases.map(\.rawValue)
        var fixed: [String] = ["baseline", "baseSeconds", "baseEpochs", "baseValidation", "control", "seconds"]
            + methods
        for m in methods { fixed += [m + "Rounds", m + "VsBaseline", m + "Gain", m + "Reset", m + "Diverged"] }
        return MetricNames(fixed: fixed, numbered: ["control"] + methods)
    }

    /// The recipe's settings (`PartialRestartSettings`'s one reader), the reset methods to
    /// compare (`resets`) and the data source.
    struct Settings {
        var settings: PartialRestartSettings
        var resets: [PartialRestartReset]
        var source: DataSource

        var configuration: PartialRestartConfiguration { settings.configuration }

        func architecture() throws -> Architecture {
            do {
                return try Architecture.builtin(named: settings.model, widthMultiplier: settings.widthMultiplier,
                                                inputShape: source.sampleShape, classes: source.classCount)
            } catch { throw ConfigError(keyPath: "model", reason: "\(error)") }
        }
    }

    func read(_ config: JSONValue) throws -> Settings {
        let r = try ConfigReader(config)
        var settings = try PartialRestartSettings(reading: r)
        settings.configuration.control = false  // the trial runs the control once, for all methods
        let resets = try Self.resets(r)
        try r.finish()
        return Settings(settings: settings, resets: resets, source: try DataSource(parsing: settings.data))
    }

    /// The reset methods to compare: `resets`, by default the paper's three.
    private static func resets(_ r: ConfigReader) throws -> [PartialRestartReset] {
        guard let raw = r.value("resets") else { return [.uniform, .xavier, .minmax] }
        guard case .array(let items) = raw, !items.isEmpty else {
            throw ConfigError(keyPath: r.keyPath("resets"), reason: "expected a non-empty array of reset method names")
        }
        let names = PartialRestartReset.allCases.map(\.rawValue).joined(separator: ", ")
        let resets = try items.enumerated().map { i, item in
            guard case .string(let s) = item, let m = PartialRestartReset(rawValue: s) else {
                throw ConfigError(keyPath: r.keyPath("resets") + "[\(i)]",
                                  reason: "unknown reset method \(item.canonicalText) (expected one of: \(names))")
            }
            return m
        }
        guard Set(resets).count == resets.count else {
            throw ConfigError(keyPath: r.keyPath("resets"), reason: "a reset method is listed twice")
        }
        return resets
    }

    public func validate(config: JSONValue) throws {
        let s = try read(config)
        let network = try validationNetwork(try s.architecture(), batchSize: s.configuration.batchSize,
                                            keyPath: "model")
        do { _ = try PartialRestart(configuration: s.configuration).check(network) } catch {
            throw ConfigError(keyPath: s.configuration.layers == nil ? "model" : "layers", reason: "\(error)")
        }
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, each phase is kept there as it finishes and an earlier attempt of the same
    /// job resumes after its last finished phase: the base training (`base/`, a `PartialRestartStore`),
    /// the control's scores (`control.json`, all control rounds at once) and each reset method's
    /// restart rounds (`<method>/`, a `PartialRestartStore`: saved after every round).
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        let s = try read(config)
        let (loaded, test) = try s.source.load(trainLimit: s.settings.trainLimit, testLimit: s.settings.testLimit)
        let start = Clock.now()
        let recipe = PartialRestart(configuration: s.configuration)
        let (train, validation) = try recipe.split(loaded, seed: seed)
        let base = try baseOutcome(recipe, architecture: try s.architecture(), train: train, validation: validation,
                                   test: test, seed: seed, folder: folder)
        let baseline = base.result.baselineAccuracy
        var metrics: [String: Double] = ["baseline": baseline, "baseSeconds": base.result.rounds[0].seconds,
                                         "baseEpochs": Double(base.result.rounds[0].epochs)]
        metrics["baseValidation"] = base.result.rounds[0].validationAccuracy
        let control = try controlScores(recipe, base: base, train: train, test: test, folder: folder)
        for (k, score) in control.enumerated() { metrics["control\(k + 1)"] = score.accuracy }
        metrics["control"] = control.last?.accuracy ?? baseline
        var details: [String: JSONValue] = ["baseline": .number(baseline),
                                            "control": .array(control.map { .number($0.accuracy) })]
        for method in s.resets {
            var c = s.configuration
            c.reset = method
            let store = folder.map { PartialRestartStore(directory: FilePaths.join($0, method.rawValue)) }
            var branch = base
            if let store, let saved = TrialFolder.earlierProgress(in: store.directory, { try store.savedOutcome() }),
               saved.result.configuration == c, saved.result.seed == seed {
                branch = saved
            } else {
                branch.network = try base.network.copied()
            }
            let outcome = try PartialRestart(configuration: c).continueRestarts(branch, train: train, test: test,
                                                                                 store: store)
            let m = method.rawValue, rounds = outcome.result.rounds.dropFirst()
            for round in rounds { metrics["\(m)\(round.round)"] = round.testAccuracy }
            let final = outcome.result.finalAccuracy
            metrics[m] = final
            metrics["\(m)Rounds"] = Double(rounds.count)
            metrics["\(m)VsBaseline"] = final - baseline
            metrics["\(m)Gain"] = final - (rounds.isEmpty ? baseline : control[rounds.count - 1].accuracy)
            let resets = Double(rounds.reduce(0) { $0 + $1.resetCount })
            metrics["\(m)Reset"] = rounds.isEmpty ? 0 : resets / Double(rounds.count)
            metrics["\(m)Diverged"] = outcome.result.stop == .diverged ? 1 : 0
            details[m] = .object([
                "accuracy": .array(rounds.map { .number($0.testAccuracy) }),
                "stop": .string(outcome.result.stop?.rawValue ?? ""),
                "divergence": outcome.result.rounds.last?.divergence.map { .string($0) } ?? .null,
                "useless": .array(rounds.map { round in
                    .object(Dictionary(uniqueKeysWithValues: round.useless.map { ($0.layer,
                        JSONValue.array($0.filters.map { .number(Double($0)) })) }))
                }),
            ])
        }
        metrics["seconds"] = Clock.now() - start
        return TrialResult(metrics: metrics, details: .object(details))
    }

    /// The base training: saved in `folder/base` by an earlier attempt of the same job, else trained (and saved).
    private func baseOutcome(_ recipe: PartialRestart, architecture: Architecture, train: Dataset,
                             validation: Dataset?, test: Dataset, seed: UInt64,
                             folder: String?) throws -> PartialRestartOutcome {
        let store = folder.map { PartialRestartStore(directory: FilePaths.join($0, "base")) }
        if let store, let saved = TrialFolder.earlierProgress(in: store.directory, { try store.savedOutcome() }),
           saved.result.rounds.count == 1, saved.result.seed == seed,
           saved.result.configuration == recipe.configuration {
            return saved
        }
        let base = try recipe.trainBase(architecture: architecture, train: train, validation: validation, test: test,
                                        seed: seed)
        try store?.save(base)
        return base
    }

    /// One control round's test scores, as `control.json` keeps them.
    private struct ControlScore: Codable {
        var loss: Double
        var accuracy: Double
    }

    /// The control's scores after each round: kept in `folder/control.json` by an earlier attempt
    /// of the same job, else computed on a copy of the base network (and kept).
    private func controlScores(_ recipe: PartialRestart, base: PartialRestartOutcome, train: Dataset, test: Dataset,
                               folder: String?) throws -> [(loss: Double, accuracy: Double)] {
        let path = folder.map { FilePaths.join($0, "control.json") }
        let encoder = JSONEncoder.keepingNonFinite(), decoder = JSONDecoder.keepingNonFinite()
        if let path, FilePaths.isFile(path),
           let saved = try? decoder.decode([ControlScore].self, from: Data(readFileBytes(path))) {
            return saved.map { ($0.loss, $0.accuracy) }
        }
        let scores = try recipe.controlRounds(try base.network.copied(), after: base, train: train, test: test)
        if let path {
            let bytes = try encoder.encode(scores.map { ControlScore(loss: $0.loss, accuracy: $0.accuracy) })
            try writeFileAtomically([UInt8](bytes), to: path)
        }
        return scores
    }
}
