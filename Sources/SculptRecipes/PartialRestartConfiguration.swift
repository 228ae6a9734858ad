import SculptNN
import SculptSurgery

/// How a partial restart draws the new weights of a useless filter (the paper's section 5.3).
public enum PartialRestartReset: String, Codable, Sendable, CaseIterable {
    /// U(-0.05, 0.05), the paper's eq. 3 and its chosen method.
    case uniform
    /// He (Kaiming) uniform, U(-sqrt(6 / fan-in), sqrt(6 / fan-in)) (the paper's eq. 4 is a garbled He uniform).
    case he
    /// Xavier / Glorot uniform (the paper's Table "Xavier" row).
    case xavier
    /// Uniform between the minimum and maximum of the layer's current weights (eq. 5).
    case minmax
    /// Normal with each filter's own current mean and standard deviation (section 5.3.4); bias 0.
    case fitted

    /// The surgery scheme that draws the weights.
    public var scheme: ReinitializationScheme {
        switch self {
        case .uniform: return .smallUniform
        case .he: return .initializer(.heUniform)
        case .xavier: return .initializer(.glorotUniform)
        case .minmax: return .layerRange
        case .fitted: return .fittedNormal
        }
    }
}

/// What happens to the next layer's weights that read a reset filter (its input channel).
public enum PartialRestartOutgoing: String, Codable, Sendable, CaseIterable {
    /// Left as trained: only the filter itself (kernel, bias, BatchNorm entries) is reset, as the
    /// paper's "reset the weights of useless filters" reads.
    case keep
    /// Set to zero: the reset filter starts with no effect on the output.
    case zero
    /// Drawn afresh with the same method.
    case redraw
}

/// Which filters of a layer are useless: the lowest first-order Taylor scores.
public enum UselessFilterRule: Codable, Sendable, Equatable {
    /// The lowest `fraction` of each layer's filters, `max(1, round(fraction x width))`, fraction in (0, 1].
    case fraction(Double)
    /// The lowest `count` filters of each layer, 1 <= count <= the layer's width.
    case count(Int)

    private enum CodingKeys: String, CodingKey { case fraction, count }

    /// Reads `{"fraction": 0.1}` or `{"count": 3}`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let f = try c.decodeIfPresent(Double.self, forKey: .fraction) { self = .fraction(f) } else {
            self = .count(try c.decode(Int.self, forKey: .count))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .fraction(let f): try c.encode(f, forKey: .fraction)
        case .count(let n): try c.encode(n, forKey: .count)
        }
    }

    /// How many of `width` filters the rule selects (assumes a validated rule).
    public func selectedCount(width: Int) -> Int {
        switch self {
        case .fraction(let f): return Swift.min(width, Swift.max(1, Int((f * Double(width)).rounded())))
        case .count(let n): return Swift.min(width, n)
        }
    }
}

/// Everything that decides a partial restart (Han & Zhang, "Partial Restart of Neural Network",
/// Algorithm 1). Paper defaults: 3 restarts, uniform U(-0.05, 0.05) reset, the Taylor criterion
/// (Molchanov et al. 2017), training "from a higher learning rate to a lower one", 40 epochs of
/// fine-tuning per restart, PyTorch's default initialization, stop when the useless set repeats.
/// The paper is silent on how many filters are useless, the optimizer, the learning rates, the
/// batch size, the data the criterion is measured on and the outgoing weights; the defaults
/// chosen here are marked "(chosen)".
public struct PartialRestartConfiguration: Codable, Sendable, Equatable {
    /// Restart rounds after the base training (the paper: 3).
    public var restarts = 3
    /// How reset filters get their weights (the paper: uniform).
    public var reset = PartialRestartReset.uniform
    /// The consumers' weights of a reset filter (chosen: keep, the literal reading).
    public var outgoing = PartialRestartOutgoing.keep
    /// Which filters are useless (chosen: the lowest 10 % of each layer).
    public var useless = UselessFilterRule.fraction(0.1)
    /// Layer paths (`layers.3`, `3`) of the Conv2D layers whose filters are scored; nil = every
    /// Conv2D layer of the network.
    public var layers: [String]? = nil
    /// Stop restarting when the useless set equals the previous one (Algorithm 1's `break`).
    public var stopWhenUnchanged = true
    /// Also fine-tune a copy of the base network without any reset, on the same schedule and data
    /// order (the equal-budget control).
    public var control = true
    /// Base training: epochs at the higher learning rate, then at the lower one (chosen: 30 + 10).
    /// With `patience`, each phase is trained until the validation loss stops improving, these
    /// counts being the most it trains.
    public var epochsHigh = 30
    public var epochsLow = 10
    /// Held out of the training set, by a split seeded with the run's seed (as `sculpt train
    /// --validation-fraction` splits): the validation part the base training stops on. Nothing
    /// trains on it, the restarts and the control included. Nil: no validation part.
    public var validationFraction: Double? = nil
    /// The paper's step 1, "train the network until convergence", as early stopping: each base
    /// phase ends once the validation loss has not improved for this many epochs, and the weights
    /// of its best epoch are restored (Keras's `EarlyStopping(monitor="val_loss",
    /// restore_best_weights=True)`). Needs `validationFraction`. Nil: the base trains
    /// `epochsHigh` + `epochsLow` epochs.
    public var patience: Int? = nil
    /// Fine-tuning after each restart: epochs at the higher, then the lower learning rate (the
    /// paper: 40 in all; chosen split 30 + 10).
    public var restartEpochsHigh = 30
    public var restartEpochsLow = 10
    /// SGD learning rates of the two phases (chosen: 0.01, then 0.001).
    public var learningRate: Float = 0.01
    public var lowLearningRate: Float = 0.001
    /// SGD momentum (chosen: 0.9) and L2 weight decay (chosen: 0).
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0
    /// Mini-batch size (chosen: 64).
    public var batchSize = 64
    /// The Taylor criterion is averaged over the first this-many training samples (chosen: 2,000).
    public var measureSamples = 2000
    /// Initializer of the network (the paper used PyTorch's default).
    public var initializer = Initializer.pytorchDefault

    public init() {}

    /// Throws `PartialRestartError.invalidConfiguration` naming the first impossible value
    /// (checks that need the network are in `PartialRestart.check`).
    public func validate() throws {
        func bad(_ what: String) -> PartialRestartError { .invalidConfiguration(what) }
        guard restarts >= 0 else { throw bad("restarts must be >= 0, got \(restarts)") }
        switch useless {
        case .fraction(let f):
            guard f.isFinite, f > 0, f <= 1 else { throw bad("useless fraction must lie in (0, 1], got \(f)") }
        case .count(let n):
            guard n >= 1 else { throw bad("useless count must be >= 1, got \(n)") }
        }
        for (name, e) in [("epochsHigh", epochsHigh), ("epochsLow", epochsLow), ("restartEpochsHigh",
            restartEpochsHigh),
                          ("restartEpochsLow", restartEpochsLow)] where e < 0 {
            throw bad("\(name) must be >= 0, got \(e)")
        }
        guard epochsHigh + epochsLow >= 1 else { throw bad("the base training needs at least one epoch") }
        if let f = validationFraction {
            guard f.isFinite, f > 0, f < 1 else { throw bad("validation fraction must lie in (0, 1), got \(f)") }
        }
        if let p = patience {
            guard p >= 1 else { throw bad("patience must be >= 1 epoch, got \(p)") }
            guard validationFraction != nil else { throw bad("patience stops on the validation loss: it needs a " +
                                                             "validation fraction") }
        }
        guard restarts == 0 || restartEpochsHigh + restartEpochsLow >= 1 else { throw bad("each restart needs at " +
            "least one epoch of fine-tuning") }
        for (name, lr) in [("learning rate", learningRate), ("low learning rate", lowLearningRate)] {
            guard lr.isFinite, lr > 0 else { throw bad("\(name) must be positive, got \(lr)") }
        }
        guard momentum.isFinite, momentum >= 0, momentum < 1 else { throw bad("momentum must lie in [0, 1), got " +
            "\(momentum)") }
        guard weightDecay.isFinite, weightDecay >= 0 else { throw bad("weight decay must be >= 0, got \(weightDecay)") }
        guard batchSize >= 1 else { throw bad("batch size must be >= 1, got \(batchSize)") }
        guard measureSamples >= 1 else { throw bad("measure samples must be >= 1, got \(measureSamples)") }
        if let layers, layers.isEmpty { throw bad("layers must name at least one Conv2D layer (or be left out for " +
                                                  "all)") }
    }
}
