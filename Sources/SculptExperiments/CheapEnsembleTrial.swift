import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

/// Rosenfeld & Tsotsos (2018), Table 4: a cheap ensemble (`CheapEnsemble.run`) of members that
/// share a fixed backbone and each learn what `mode` selects.
///
/// Config: the keys of `PartialTrialConfig` (`mode` is required, `rest` must be "fixed", `epochs`
/// is per member and defaults to 1) and `members` (5), `baseEpochs` (1).
///
/// Metrics: `ensembleAccuracy`, `meanMemberAccuracy`, `baseAccuracy`, `learnedParameters` (all
/// members), `learnedParametersPerMember`, `sharedParameters`, `storedParameters`, `seconds`.
public struct CheapEnsembleTrial: TrialKind {
    public init() {}

    public var name: String { "cheap-ensembles" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["ensembleAccuracy", "meanMemberAccuracy", "baseAccuracy", "learnedParameters",
                                     "learnedParametersPerMember", "sharedParameters", "storedParameters", "seconds"])
    }

    func read(_ config: JSONValue) throws -> (PartialTrialConfig, CheapEnsembleConfiguration) {
        let reader = try ConfigReader(config)
        _ = try reader.required("mode")
        let c = try PartialTrialConfig(reading: reader, defaultMode: "all", defaultEpochs: 1)
        let ensemble = CheapEnsembleConfiguration(
            members: try reader.int("members", default: 5, minimum: 1, maximum: 1000),
            plan: c.plan, baseEpochs: try reader.int("baseEpochs", default: 1, minimum: 0),
                                                  settings: c.settings)
        try reader.finish()
        do { try ensemble.validate() } catch { throw ConfigError(keyPath: "rest", reason: "\(error)") }
        return (c, ensemble)
    }

    public func validate(config: JSONValue) throws {
        let (c, ensemble) = try read(config)
        var rng = RandomSource(seed: 0)
        let network = try c.makeNetwork(rng: &rng)
        do { _ = try PartialTraining.masks(for: ensemble.plan, in: network) } catch {
            throw ConfigError(keyPath: "mode", reason: "\(error)")
        }
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try run(config: config, seed: seed, folder: nil)
    }

    /// With a folder, the ensemble is saved there after the base model and after every member
    /// (`CheapEnsembleRunState`) and resumes after the last step an earlier attempt of the same job saved.
    public var resumes: Bool { true }

    public func run(config: JSONValue, seed: UInt64, folder: String?) throws -> TrialResult {
        var (c, ensemble) = try read(config)
        ensemble.plan.seed = seed
        var rng = RandomSource(seed: seed)
        var network = try c.makeNetwork(rng: &rng)
        var initialWeights: InitialWeights? = InitialWeights(of: network)
        let (train, test) = try c.loadData()
        let plan = ensemble.plan
        let state = CheapEnsembleRunState(source: c.source, ensemble: .init(
            mode: plan.mode.description, rest: plan.rest.rawValue, selection: plan.selection.rawValue,
            freezeBatchNorm: !plan.learnBatchNorm, seed: seed, members: ensemble.members,
            baseEpochs: ensemble.baseEpochs, settings: ensemble.settings, denseLayers: plan.denseLayers.rawValue))
        var saved: CheapEnsembleProgress? = nil
        if let folder, Checkpoint.exists(at: folder), let found = TrialFolder.earlierProgress(in: folder, {
            let checkpoint = try RecipeRunFolder.checkpoint(in: folder)
            return try CheapEnsembleRunState.load(from: folder, network: checkpoint.network).map { (checkpoint, $0) }
        }), found.1.state.ensemble == state.ensemble {
            (network, initialWeights, saved) = (found.0.network, found.0.initialWeights, found.1.progress)
        }
        let r = try CheapEnsemble.run(
            ensemble, network: network, train: train, test: test, rng: &rng, resumingFrom: saved,
            afterStep: folder.map { folder in
                { [network, initialWeights] in
                    try state.save($0, network: network, initialWeights: initialWeights, to: folder)
                }
            })
        return TrialResult(metrics: [
            "ensembleAccuracy": r.ensembleAccuracy,
            "meanMemberAccuracy": r.meanMemberAccuracy,
            "baseAccuracy": r.baseAccuracy,
            "learnedParameters": Double(r.learnedParameters),
            "learnedParametersPerMember": Double(r.learnedParametersPerMember),
            "sharedParameters": Double(r.sharedParameters),
            "storedParameters": Double(r.storedParameters),
            "seconds": r.seconds,
        ], details: .object(["memberAccuracies": .array(r.memberAccuracies.map { .number($0) })]))
    }
}
