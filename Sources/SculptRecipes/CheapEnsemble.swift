import SculptCore
import SculptData
import SculptNN

/// Settings of a cheap ensemble (Rosenfeld & Tsotsos 2018, Section 4.3): train the full network
/// for `baseEpochs`, then train `members` copies of it for `settings.epochs` each, every copy
/// learning only what `plan` selects (the rest is the shared, fixed backbone).
public struct CheapEnsembleConfiguration: Equatable, Sendable {
    public var members: Int
    /// What each member learns; `rest` must be `.fixed` (the backbone is shared, not zeroed).
    /// With `.random` selection member m draws its own subset with seed `plan.seed + m`.
    public var plan: PartialTrainingPlan
    /// Epochs of the fully learned starting model (the paper: 1).
    public var baseEpochs: Int
    /// Optimization of the base model and of each member (`epochs` is per member; the paper: 1).
    public var settings: PartialTrainingSettings

    public init(members: Int = 5, plan: PartialTrainingPlan, baseEpochs: Int = 1,
                settings: PartialTrainingSettings = PartialTrainingSettings(epochs: 1)) {
        self.members = members
        self.plan = plan
        self.baseEpochs = baseEpochs
        self.settings = settings
    }

    /// Throws for an impossible setting (members < 1, zeroed rest, bad optimization values).
    /// The largest ensemble `validate` accepts.
    public static let maxMembers = 10_000

    public func validate() throws {
        guard members >= 1 else { throw PartialTrainingError.invalidEnsemble("at least one member is needed, got " +
            "\(members)") }
        guard members <= Self.maxMembers else {
            throw PartialTrainingError.invalidEnsemble("at most \(Self.maxMembers) members, got \(members)")
        }
        guard plan.rest == .fixed else {
            throw PartialTrainingError.invalidEnsemble("members share a fixed backbone; rest must be fixed, not " +
                                                       "\(plan.rest.rawValue)")
        }
        guard baseEpochs >= 0 else { throw PartialTrainingError.invalidEnsemble("base epochs must be >= 0, got " +
            "\(baseEpochs)") }
        try plan.mode.validate()
        try settings.validate()
    }
}

/// What a cheap ensemble measured (the columns of the paper's Table 4, and more).
public struct CheapEnsembleResult: Codable, Equatable, Sendable {
    public var mode: String
    public var members: Int
    /// Test accuracy of the shared starting model.
    public var baseAccuracy: Double
    public var memberAccuracies: [Double]
    public var meanMemberAccuracy: Double
    /// Accuracy of the averaged softmax probabilities.
    public var ensembleAccuracy: Double
    /// Scalars learned by one member.
    public var learnedParametersPerMember: Int
    /// Scalars learned by all members together (the paper's "No. Params").
    public var learnedParameters: Int
    /// One copy of the backbone (the whole network's parameter count).
    public var sharedParameters: Int
    /// What the ensemble stores: the backbone plus every member's learned values.
    public var storedParameters: Int
    public var seconds: Double
}

/// An ensemble whose members differ only in the entries they learned: the network holds the
/// backbone once, and each member keeps just its learned values (and its BatchNorm running
/// statistics), swapped in to predict.
public final class CheapEnsemble {
    /// Holds the backbone between member swaps.
    public let network: Network

    typealias Member = CheapEnsembleMember
    private var members: [Member] = []

    /// An ensemble on `network`'s current values as the backbone.
    public init(backbone network: Network) { self.network = network }

    /// Number of members.
    public var memberCount: Int { members.count }

    /// Learned values stored over all members.
    public var storedLearnedValues: Int { members.reduce(0) { $0 + $1.entries.reduce(0) { $0 + $1.values.count } } }

    /// The members' learned values, in training order (what saving an ensemble needs).
    public var savedMembers: [CheapEnsembleMember] { members }

    /// Adds a member saved earlier from an ensemble on the same backbone; throws (adding nothing)
    /// when it does not fit the network.
    public func restoreMember(_ member: CheapEnsembleMember) throws {
        let parameters = network.parameters, buffers = network.namedBuffers
        for e in member.entries {
            guard parameters.indices.contains(e.parameter), e.indices.count == e.values.count,
                  e.indices.allSatisfy({ $0 >= 0 && $0 < parameters[e.parameter].count }) else {
                throw PartialTrainingError.invalidEnsemble("a saved member's entry for parameter \(e.parameter) does " +
                                                           "not fit the network")
            }
        }
        guard member.buffers.map(\.shape) == buffers.map(\.buffer.shape) else {
            throw PartialTrainingError.invalidEnsemble("a saved member's running statistics do not fit the network")
        }
        members.append(member)
    }

    /// Trains a new member from the backbone: only what `plan` selects learns; afterwards the
    /// network holds the backbone again. Returns what the member learned.
    @discardableResult
    public func addMember(plan: PartialTrainingPlan, settings: PartialTrainingSettings, train: Dataset,
                          rng: inout RandomSource,
                          progress: ((EpochReport) -> Void)? = nil) throws -> PartialTrainingSummary {
        guard plan.rest == .fixed else {
            throw PartialTrainingError.invalidEnsemble("members share a fixed backbone; rest must be fixed, not " +
                                                       "\(plan.rest.rawValue)")
        }
        try settings.validate()
        let (summary, masks) = try PartialTraining.masks(for: plan, in: network)
        let parameters = network.parameters
        let position = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { (ObjectIdentifier($1), $0) })
        var learned: [(parameter: Int, indices: [Int])] = []
        for (parameter, mask) in masks {
            guard let k = position[ObjectIdentifier(parameter)] else { continue }
            let indices = mask.map { m in (0..<m.count).filter { m.data[$0] != 0 } } ?? Array(0..<parameter.count)
            if !indices.isEmpty { learned.append((k, indices)) }
        }
        let saved = gather(learned)
        let buffers = network.namedBuffers.map { $0.buffer.copy() }
        defer {
            scatter(saved, into: learned)
            for ((_, buffer), value) in zip(network.namedBuffers, buffers) { buffer.assign(value) }
            for p in parameters { p.mask = nil; p.resetState() }
        }
        for p in parameters { p.resetState() }
        for (parameter, mask) in masks { parameter.mask = mask }
        let trainer = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: settings.makeOptimizer(),
                              batchSize: settings.batchSize, maxEpochs: settings.epochs)
        trainer.progress = progress
        try trainer.fit(train, rng: &rng)
        let values = gather(learned)
        members.append(Member(entries: zip(learned, values).map { .init(parameter: $0.parameter, indices: $0.indices,
            values: $1) },
                              buffers: network.namedBuffers.map { $0.buffer.copy() }))
        return summary
    }

    /// Runs `body` with member `index`'s values in the network, then puts the backbone back.
    public func withMember<T>(_ index: Int, _ body: (Network) throws -> T) rethrows -> T {
        precondition(members.indices.contains(index), "member \(index) of \(members.count)")
        let member = members[index]
        let places = member.entries.map { (parameter: $0.parameter, indices: $0.indices) }
        let saved = gather(places)
        let buffers = network.namedBuffers.map { $0.buffer.copy() }
        scatter(member.entries.map(\.values), into: places)
        for ((_, buffer), value) in zip(network.namedBuffers, member.buffers) { buffer.assign(value) }
        defer {
            scatter(saved, into: places)
            for ((_, buffer), value) in zip(network.namedBuffers, buffers) { buffer.assign(value) }
        }
        return try body(network)
    }

    /// Each member's accuracy on `data` and the accuracy of their averaged softmax probabilities.
    public func evaluate(on data: Dataset) -> (memberAccuracies: [Double], ensembleAccuracy: Double) {
        precondition(!members.isEmpty, "an ensemble needs at least one member")
        let sum = Tensor(zeros: [data.count, network.outputShape.reduce(1, *)])
        var labels: [Int] = []
        var accuracies: [Double] = []
        for m in members.indices {
            let (logits, l) = withMember(m) { EnsembleAveraging.logits(of: $0, on: data) }
            labels = l
            accuracies.append(EnsembleAveraging.accuracy(logits, labels: l))
            EnsembleAveraging.accumulateSoftmax(logits, into: sum)
        }
        return (accuracies, EnsembleAveraging.accuracy(sum, labels: labels))
    }

    /// The paper's protocol: trains `network` fully for `baseEpochs`, then `members` members,
    /// and evaluates them on `test`.
    ///
    /// `afterStep` receives a `CheapEnsembleProgress` after the base model and after every
    /// member; passing the last one back as `resumingFrom` (same configuration, network
    /// architecture, data and generator) continues with the next member and gives the same
    /// members as the uninterrupted run. `epochDone` sees every finished epoch with its series
    /// ("base", "member 1", ...), for a run log.
    public static func run(_ configuration: CheapEnsembleConfiguration, network: Network, train: Dataset, test: Dataset,
                           rng: inout RandomSource, progress: ((String) -> Void)? = nil,
                           resumingFrom saved: CheapEnsembleProgress? = nil,
                           epochDone: ((_ series: String, _ report: EpochReport) -> Void)? = nil,
                           afterStep: ((CheapEnsembleProgress) throws -> Void)? = nil) throws -> CheapEnsembleResult {
        try configuration.validate()
        let start = Clock.now()
        let c = configuration
        _ = try PartialTraining.masks(for: c.plan, in: network)  // fail before any training
        let ensemble = CheapEnsemble(backbone: network)
        var (baseAccuracy, perMember) = (0.0, 0)
        if let saved {
            try ensemble.restore(saved, members: c.members)
            (baseAccuracy, perMember) = (saved.baseAccuracy, saved.learnedParametersPerMember)
            rng = saved.random
        } else {
            let base = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: c.settings.makeOptimizer(),
                               batchSize: c.settings.batchSize, maxEpochs: c.baseEpochs)
            if let epochDone { base.progress = { epochDone("base", $0) } }
            if c.baseEpochs > 0 { try base.fit(train, rng: &rng) }
            baseAccuracy = Double(base.evaluate(test).accuracy ?? 0)
            progress?("base model: test accuracy \(baseAccuracy)")
            try afterStep?(CheapEnsembleProgress(baseAccuracy: baseAccuracy, backbone: network.snapshot(), members: [],
                                                 random: rng, learnedParametersPerMember: 0))
        }
        for p in network.parameters { p.resetState() }
        for m in ensemble.memberCount..<c.members {
            var plan = c.plan
            plan.seed = c.plan.seed &+ UInt64(m)
            var memberRNG = rng.split()
            let log = epochDone.map { done in { (report: EpochReport) in done("member \(m + 1)", report) } }
            perMember = try ensemble.addMember(plan: plan, settings: c.settings, train: train, rng: &memberRNG,
                                               progress: log).learnedParameters
            progress?("member \(m + 1)/\(c.members) trained")
            try afterStep?(CheapEnsembleProgress(baseAccuracy: baseAccuracy, backbone: network.snapshot(),
                                                 members: ensemble.savedMembers, random: rng,
                                                 learnedParametersPerMember: perMember))
        }
        let (accuracies, ensembleAccuracy) = ensemble.evaluate(on: test)
        let learned = ensemble.storedLearnedValues
        return CheapEnsembleResult(mode: c.plan.mode.description, members: c.members, baseAccuracy: baseAccuracy,
                                   memberAccuracies: accuracies,
                                   meanMemberAccuracy: accuracies.reduce(0, +) / Double(accuracies.count),
                                   ensembleAccuracy: ensembleAccuracy, learnedParametersPerMember: perMember,
                                   learnedParameters: learned, sharedParameters: network.parameterCount,
                                   storedParameters: network.parameterCount + learned, seconds: Clock.now() - start)
    }

    /// Puts a saved run's backbone and members back (at most `members` of them).
    private func restore(_ saved: CheapEnsembleProgress, members: Int) throws {
        guard saved.members.count <= members else {
            throw PartialTrainingError.invalidEnsemble(
                "cannot resume \(saved.members.count) trained members into an ensemble of \(members)")
        }
        guard saved.backbone.map(\.shape) == network.snapshot().map(\.shape) else {
            throw PartialTrainingError.invalidEnsemble("the saved backbone does not fit the network")
        }
        network.restore(saved.backbone)
        for member in saved.members { try restoreMember(member) }
    }

    private func gather(_ places: [(parameter: Int, indices: [Int])]) -> [[Float]] {
        let parameters = network.parameters
        return places.map { place in
            let w = parameters[place.parameter].value.data
            return place.indices.map { w[$0] }
        }
    }

    private func scatter(_ values: [[Float]], into places: [(parameter: Int, indices: [Int])]) {
        let parameters = network.parameters
        for (place, v) in zip(places, values) {
            let w = parameters[place.parameter].value.data
            for (i, x) in zip(place.indices, v) { w[i] = x }
        }
    }
}

/// One trained member of a `CheapEnsemble`: the values it learned and its running statistics.
public struct CheapEnsembleMember: Sendable {
    /// The learned values of one parameter (by position in `network.parameters`) at flat indices.
    public struct Entry: Sendable {
        public var parameter: Int
        public var indices: [Int]
        public var values: [Float]

        public init(parameter: Int, indices: [Int], values: [Float]) {
            self.parameter = parameter
            self.indices = indices
            self.values = values
        }
    }
    public var entries: [Entry]
    /// Running statistics after the member's training, in `network.namedBuffers` order.
    public var buffers: [Tensor]

    public init(entries: [Entry], buffers: [Tensor]) {
        self.entries = entries
        self.buffers = buffers
    }
}

/// Where a cheap-ensemble run stands after its base model or a member: enough to continue it.
public struct CheapEnsembleProgress: Sendable {
    public var baseAccuracy: Double
    /// The trained base model (`Network.snapshot()` order): the members' shared backbone.
    public var backbone: [Tensor]
    public var members: [CheapEnsembleMember]
    /// The run's generator after the last step (each member splits its own from it).
    public var random: RandomSource
    public var learnedParametersPerMember: Int

    public init(baseAccuracy: Double, backbone: [Tensor], members: [CheapEnsembleMember], random: RandomSource,
                learnedParametersPerMember: Int) {
        self.baseAccuracy = baseAccuracy
        self.backbone = backbone
        self.members = members
        self.random = random
        self.learnedParametersPerMember = learnedParametersPerMember
    }
}
