/// Settings given (by flags) when a run is resumed; nil keeps the saved value.
public struct TrainingOverrides: Equatable, Sendable {
    public var epochs: Int?
    public var trainLimit: Int?
    public var batchSize: Int?
    public var learningRate: Float?
    public var momentum: Float?
    public var weightDecay: Float?
    /// `sgd` or `adam`.
    public var optimizerKind: String?
    public var seed: UInt64?
    public var validationFraction: Double?

    public init(epochs: Int? = nil, trainLimit: Int? = nil, batchSize: Int? = nil, learningRate: Float? = nil,
                momentum: Float? = nil, weightDecay: Float? = nil, optimizerKind: String? = nil, seed: UInt64? = nil,
                validationFraction: Double? = nil) {
        self.epochs = epochs
        self.trainLimit = trainLimit
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.optimizerKind = optimizerKind
        self.seed = seed
        self.validationFraction = validationFraction
    }
}

/// A saved setting a resumed run replaced: "--lr 0.1 overrides the saved 0.01".
public struct TrainingOverride: Equatable, Sendable, CustomStringConvertible {
    public var flag: String
    public var given: String
    public var saved: String
    public var description: String { "\(flag) \(given) overrides the saved \(saved)" }
}

/// A flag that contradicts what identifies a resumed run (its seed, split, optimizer kind).
public struct ResumeConflict: Error, Equatable, CustomStringConvertible {
    public var flag: String
    public var given: String
    public var saved: String

    public init(flag: String, given: String, saved: String) {
        self.flag = flag
        self.given = given
        self.saved = saved
    }

    public var description: String {
        "\(flag) \(given) differs from the checkpoint's \(saved) (a resumed run keeps its seed, data, validation split "
            + "and optimizer kind)"
    }
}

extension TrainingConfiguration {
    /// The configuration a resumed run continues with: the saved one, with the length, sample limit,
    /// batch size, learning rate, momentum and weight decay the overrides give, and the list of what
    /// they changed. Overrides of the run's identity (seed, validation split, optimizer kind) that
    /// differ from the saved values throw `ResumeConflict`.
    public func resumed(with o: TrainingOverrides) throws
        -> (configuration: TrainingConfiguration, overrides: [TrainingOverride]) {
        var c = self
        var notes: [TrainingOverride] = []
        func note(_ flag: String, _ given: String, _ saved: String) {
            if given != saved { notes.append(TrainingOverride(flag: flag, given: given, saved: saved)) }
        }
        if let seed = o.seed, seed != self.seed {
            throw ResumeConflict(flag: "--seed", given: "\(seed)", saved: "\(self.seed)")
        }
        if let v = o.validationFraction, v != validationFraction {
            throw ResumeConflict(flag: "--validation-fraction", given: "\(v)", saved: "\(validationFraction)")
        }
        if let kind = o.optimizerKind?.lowercased(), kind != optimizer.kind {
            throw ResumeConflict(flag: "--optimizer", given: kind, saved: optimizer.kind)
        }
        if let e = o.epochs { note("--epochs", "\(e)", epochs.map { "\($0)" } ?? "none"); c.epochs = e }
        if let n = o.trainLimit {
            note("--train-limit", "\(n)", trainLimit.map { "\($0)" } ?? "all samples")
            c.trainLimit = n
        }
        if let b = o.batchSize { note("--batch", "\(b)", "\(batchSize)"); c.batchSize = b }
        c.optimizer = try optimizer.overriding(learningRate: o.learningRate, momentum: o.momentum,
                                               weightDecay: o.weightDecay, note: note)
        try c.validate()
        return (c, notes)
    }
}

extension OptimizerConfiguration {
    /// `sgd` or `adam`.
    public var kind: String {
        switch self {
        case .sgd: return "sgd"
        case .adam: return "adam"
        }
    }

    /// The same optimizer with the given hyperparameters replaced; `note(flag, given, saved)` hears each one.
    func overriding(learningRate: Float?, momentum: Float?, weightDecay: Float?,
                    note: (String, String, String) -> Void) throws -> OptimizerConfiguration {
        switch self {
        case .sgd(let l, let m, let d, let w, let n):
            if let learningRate { note("--lr", "\(learningRate)", "\(l)") }
            if let momentum { note("--momentum", "\(momentum)", "\(m)") }
            if let weightDecay { note("--weight-decay", "\(weightDecay)", "\(w)") }
            return .sgd(learningRate: learningRate ?? l, momentum: momentum ?? m, dampening: d,
                        weightDecay: weightDecay ?? w, nesterov: n)
        case .adam(let l, let b1, let b2, let e, let w, let decoupled):
            if let momentum { throw ResumeConflict(flag: "--momentum", given: "\(momentum)", saved: "none (adam)") }
            if let learningRate { note("--lr", "\(learningRate)", "\(l)") }
            if let weightDecay { note("--weight-decay", "\(weightDecay)", "\(w)") }
            return .adam(learningRate: learningRate ?? l, beta1: b1, beta2: b2, epsilon: e,
                         weightDecay: weightDecay ?? w, decoupledWeightDecay: decoupled)
        }
    }
}
