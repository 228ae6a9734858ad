#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData
import SculptIO
import SculptNN

/// Where a partial-training run's data comes from: the model and data names, the width
/// multiplier and the sample limits (0 = all), as `sculpt partial` and its run folders keep them.
public struct PartialTrainingSource: Codable, Equatable, Sendable {
    public var model: String
    public var data: String
    public var width: Double
    public var trainLimit: Int
    public var testLimit: Int

    public init(model: String, data: String, width: Double = 1, trainLimit: Int = 0, testLimit: Int = 0) {
        self.model = model
        self.data = data
        self.width = width
        self.trainLimit = trainLimit
        self.testLimit = testLimit
    }
}

/// A partial-training run's folder (`RecipeRunFolder`'s layout), rewritten after every epoch:
/// the network with its masks, optimizer state and initial weights (a `TrainingRun` checkpoint)
/// and `partial.json`, this state: where the data came from and what the plan selected.
public struct PartialTrainingRunState: Codable {
    public static let recipe = "partial"
    public static let file = "partial.json"

    /// Where the data came from (its keys at the top level of `partial.json`, as in the folders
    /// written before the state moved into the library: they still resume).
    public var source: PartialTrainingSource
    public var summary: PartialTrainingSummary
    public var settings: PartialTrainingSettings

    public init(source: PartialTrainingSource, summary: PartialTrainingSummary, settings: PartialTrainingSettings) {
        self.source = source
        self.summary = summary
        self.settings = settings
    }

    private enum CodingKeys: String, CodingKey { case summary, settings }

    public init(from decoder: Decoder) throws {
        source = try PartialTrainingSource(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        summary = try c.decode(PartialTrainingSummary.self, forKey: .summary)
        settings = try c.decode(PartialTrainingSettings.self, forKey: .settings)
    }

    public func encode(to encoder: Encoder) throws {
        try source.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(summary, forKey: .summary)
        try c.encode(settings, forKey: .settings)
    }

    /// The resumable run's configuration: the settings' momentum SGD and cross-entropy.
    public func trainingConfiguration(seed: UInt64) -> TrainingConfiguration {
        TrainingConfiguration(optimizer: .sgd(learningRate: settings.learningRate, momentum: settings.momentum,
                                              dampening: 0, weightDecay: settings.weightDecay, nesterov: false),
                              loss: .crossEntropy, batchSize: settings.batchSize, seed: seed, data: source.data)
    }

    /// The state and the run saved in `directory` (nil when it holds no partial-training state).
    public static func load(from directory: String) throws -> (state: PartialTrainingRunState, run: TrainingRun)? {
        guard let state = try RecipeRunFolder.state(Self.self, file: file, in: directory) else { return nil }
        let checkpoint = try RecipeRunFolder.checkpoint(in: directory)
        do { return (state, try TrainingRun(resuming: checkpoint)) } catch {
            throw RecipeRunError.damaged(path: directory, reason: "\(error)")
        }
    }

    /// Trains `run` to `settings.epochs`, saving it (with this state attached) to `folder` before
    /// the first epoch and after every epoch, then evaluates on `test`. `epochDone` sees each
    /// finished epoch after its save (the caller's run log and progress). Each epoch shuffles the
    /// identity order (`TrainingRun`), so a run saved and resumed equals one trained straight through.
    public func train(_ run: TrainingRun, train: Dataset, test: Dataset, folder: String?,
                      epochDone: ((EpochReport) throws -> Void)? = nil) throws -> PartialTrainingOutcome {
        func save() throws {
            guard let folder else { return }
            try RecipeRunFolder.save(run.checkpoint(), state: self, stateFile: Self.file, to: folder)
        }
        let start = Clock.now()
        if run.completedEpochs == 0 { try save() }
        while run.completedEpochs < settings.epochs {
            let report = try run.runEpoch(train: train)
            try save()
            try epochDone?(report)
        }
        let seconds = Clock.now() - start
        let (loss, accuracy) = run.trainer.evaluate(test)
        return PartialTrainingOutcome(summary: summary, testAccuracy: accuracy ?? 0, testLoss: loss,
                                      trainLoss: run.reports.last?.loss, epochs: run.completedEpochs, seconds: seconds)
    }
}

/// A cheap ensemble's run folder (`RecipeRunFolder`'s layout), rewritten after the base model and
/// after every member: the backbone as the checkpoint (with the weights before the base training
/// as `init.safetensors`), the run's settings and position as `ensemble.json`, and each member's
/// learned values and running statistics as `ensemble.safetensors` (a member's parameter tensor
/// holds NaN where the member did not learn: the backbone's value applies there).
public struct CheapEnsembleRunState: Codable {
    public static let recipe = "partial"
    public static let stateFile = "ensemble.json"
    public static let tensorsFile = "ensemble.safetensors"

    /// What the ensemble is: the plan's words (read by `PartialTrainingPlan(mode:rest:selection:...)`),
    /// the seed, the number of members and the training settings.
    public struct Ensemble: Codable, Equatable, Sendable {
        public var mode: String
        public var rest: String
        public var selection: String
        public var freezeBatchNorm: Bool
        public var seed: UInt64
        public var members: Int
        public var baseEpochs: Int
        public var settings: PartialTrainingSettings
        /// `DenseRule` of the plan; absent in folders written before the rule existed, which split
        /// hidden Dense layers (and resume that way).
        public var denseLayers: String?

        public init(mode: String, rest: String, selection: String, freezeBatchNorm: Bool, seed: UInt64, members: Int,
            baseEpochs: Int, settings: PartialTrainingSettings, denseLayers: String = DenseRule.whole.rawValue
        ) {
            self.denseLayers = denseLayers
            self.mode = mode
            self.rest = rest
            self.selection = selection
            self.freezeBatchNorm = freezeBatchNorm
            self.seed = seed
            self.members = members
            self.baseEpochs = baseEpochs
            self.settings = settings
        }
    }

    /// Where the run stands (nil before the base model is saved).
    struct Position: Codable {
        var baseAccuracy: Double?
        var random: RandomSource?
        var learnedParametersPerMember: Int?
        var trainedMembers: Int?
    }

    // The three parts share the top level of `ensemble.json`, as in the folders written before
    // the state moved into the library (they still resume).
    public var source: PartialTrainingSource
    public var ensemble: Ensemble
    var position = Position()

    public init(source: PartialTrainingSource, ensemble: Ensemble) {
        self.source = source
        self.ensemble = ensemble
    }

    public init(from decoder: Decoder) throws {
        source = try PartialTrainingSource(from: decoder)
        ensemble = try Ensemble(from: decoder)
        position = try Position(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        try source.encode(to: encoder)
        try ensemble.encode(to: encoder)
        try position.encode(to: encoder)
    }

    /// The number of members the run trains.
    public var members: Int {
        get { ensemble.members }
        set { ensemble.members = newValue }
    }

    /// The ensemble's configuration (its plan read by `PartialTrainingPlan(mode:rest:selection:...)`).
    public func configuration() throws -> CheapEnsembleConfiguration {
        let e = ensemble
        let plan = try PartialTrainingPlan(mode: e.mode, rest: e.rest, selection: e.selection,
                                           learnBatchNorm: !e.freezeBatchNorm, seed: e.seed,
                                           denseLayers: e.denseLayers ?? DenseRule.split.rawValue)
        return CheapEnsembleConfiguration(members: e.members, plan: plan, baseEpochs: e.baseEpochs,
                                          settings: e.settings)
    }

    /// Writes the backbone `network` as a checkpoint with `progress` attached; `initialWeights`
    /// are the backbone's weights before the base training.
    public func save(_ progress: CheapEnsembleProgress, network: Network, initialWeights: InitialWeights?,
                     to directory: String) throws {
        var state = self
        state.position = Position(baseAccuracy: progress.baseAccuracy, random: progress.random,
                                  learnedParametersPerMember: progress.learnedParametersPerMember,
                                  trainedMembers: progress.members.count)
        let parameters = network.parameters
        var tensors: [(name: String, tensor: Tensor)] = []
        for (m, member) in progress.members.enumerated() {
            for entry in member.entries {
                let t = Tensor(zeros: parameters[entry.parameter].value.shape)
                for i in 0..<t.count { t.data[i] = .nan }
                for (i, v) in zip(entry.indices, entry.values) { t.data[i] = v }
                tensors.append(("member.\(m).parameter.\(entry.parameter)", t))
            }
            for (b, buffer) in member.buffers.enumerated() { tensors.append(("member.\(m).buffer.\(b)", buffer)) }
        }
        try RecipeRunFolder.save(Checkpoint(network: network, initialWeights: initialWeights), state: state,
                                 stateFile: Self.stateFile, tensors: (Self.tensorsFile, tensors), to: directory)
    }

    /// Reads a folder written by `save`; nil when it holds no ensemble.
    public static func load(from directory: String, network: Network) throws
        -> (state: CheapEnsembleRunState, progress: CheapEnsembleProgress)? {
        guard let state = try RecipeRunFolder.state(Self.self, file: stateFile, in: directory) else { return nil }
        let tensors = try RecipeRunFolder.tensors(file: tensorsFile, in: directory)
        let p = state.position
        guard let baseAccuracy = p.baseAccuracy, let random = p.random, let trained = p.trainedMembers,
              let perMember = p.learnedParametersPerMember else {
            throw RecipeRunError.damaged(path: directory + "/" + stateFile, reason: "no finished step to resume after")
        }
        var members: [CheapEnsembleMember] = []
        for m in 0..<trained {
            members.append(try member(m, of: tensors, network: network, path: directory + "/" + tensorsFile))
        }
        return (state, CheapEnsembleProgress(baseAccuracy: baseAccuracy, backbone: network.snapshot(), members: members,
                                             random: random, learnedParametersPerMember: perMember))
    }

    /// Member `m`'s learned values (the non-NaN entries) and buffers.
    private static func member(_ m: Int, of tensors: Safetensors, network: Network, path: String) throws
        -> CheapEnsembleMember {
        var entries: [CheapEnsembleMember.Entry] = []
        for p in 0..<network.parameters.count {
            guard let t = tensors["member.\(m).parameter.\(p)"] else { continue }
            var indices: [Int] = [], values: [Float] = []
            for i in 0..<t.count where !t.data[i].isNaN {
                indices.append(i)
                values.append(t.data[i])
            }
            entries.append(.init(parameter: p, indices: indices, values: values))
        }
        var buffers: [Tensor] = []
        for b in 0..<network.namedBuffers.count {
            guard let t = tensors["member.\(m).buffer.\(b)"] else {
                throw RecipeRunError.damaged(path: path, reason: "member \(m) has no tensor member.\(m).buffer.\(b)")
            }
            buffers.append(t)
        }
        return CheapEnsembleMember(entries: entries, buffers: buffers)
    }
}
