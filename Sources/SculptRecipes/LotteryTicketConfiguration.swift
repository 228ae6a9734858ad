import SculptNN

/// How pruning ranks candidates: within each layer, or across all layers at once.
public enum PruningScope: String, Codable, Sendable, CaseIterable {
    /// Each layer loses its own fraction of what remains (Frankle & Carbin's LeNet and Conv-N).
    case layer
    /// One ranking over every pruned layer (Frankle & Carbin's VGG-19 and ResNet-18).
    case global
}

/// The norm that scores a unit (neuron or filter) by its incoming weights in structured pruning.
public enum UnitNorm: String, Codable, Sendable, CaseIterable {
    /// Mean absolute value of the incoming weights (Li et al.'s L1 filter norm, divided by fan-in).
    case l1
    /// Root mean square of the incoming weights (the L2 norm divided by the square root of fan-in).
    case l2
}

/// The optimizer every training of a search uses, created fresh (no moments) for each training.
public enum LotteryTicketOptimizer: Codable, Sendable, Equatable {
    case sgd(learningRate: Float, momentum: Float)
    case adam(learningRate: Float)

    /// A new optimizer with no state.
    public func make() -> Optimizer {
        switch self {
        case .sgd(let lr, let momentum): return SGD(learningRate: lr, momentum: momentum)
        case .adam(let lr): return Adam(learningRate: lr)
        }
    }

    /// The step size.
    public var learningRate: Float {
        switch self {
        case .sgd(let lr, _), .adam(let lr): return lr
        }
    }
}

/// Everything that decides a lottery-ticket search (Frankle & Carbin 2019; rewinding from
/// Frankle, Dziugaite et al. 2019). Defaults follow Frankle & Carbin's LeNet-300-100 protocol:
/// Adam 1.2e-3, batch 60, Glorot-normal initialization, 20 % of the remaining hidden weights per
/// round, the output layer at half that rate, layer-wise ranking, rewinding to initialization.
public struct LotteryTicketConfiguration: Codable, Sendable, Equatable {
    /// Pruning rounds after the dense training (round 0).
    public var rounds = 5
    /// Fraction of the remaining weights (or units) of each hidden Dense layer pruned per round, in (0, 1).
    public var rate = 0.2
    /// Rate for Conv2D layers; nil means `rate / 2` (Frankle & Carbin: 10 % for Conv-2/4, fc 20 %).
    public var convolutionRate: Double?
    /// Rate for the output layer's weights (unstructured only); nil means `rate / 2`.
    public var outputRate: Double?
    /// Prune whole units/filters (incoming weights, bias and BatchNorm entries) instead of single weights.
    public var structured = false
    /// How structured pruning scores a unit.
    public var norm = UnitNorm.l1
    /// Layer-wise or global ranking.
    public var scope = PruningScope.layer
    /// Rewind the surviving weights to their values after this many optimizer steps (0 = initialization).
    public var rewindStep = 0
    /// Also train the random-reinitialization control (same mask, fresh random weights) each round.
    public var control = true
    /// Epochs of every training (the dense one, each ticket and each control).
    public var epochs = 5
    /// Mini-batch size.
    public var batchSize = 60
    /// The optimizer of every training.
    public var optimizer = LotteryTicketOptimizer.adam(learningRate: 1.2e-3)
    /// The initializer of the dense network and of every control.
    public var initializer = Initializer.glorotNormal

    public init() {}

    /// The per-round rate of Conv2D layers.
    public var effectiveConvolutionRate: Double { convolutionRate ?? rate / 2 }
    /// The per-round rate of the output layer.
    public var effectiveOutputRate: Double { outputRate ?? rate / 2 }

    /// Throws `LotteryTicketError.invalidConfiguration` naming the first impossible value.
    public func validate() throws {
        func bad(_ what: String) -> LotteryTicketError { .invalidConfiguration(what) }
        guard rounds >= 0 else { throw bad("rounds must be >= 0, got \(rounds)") }
        for (name, value) in [("rate", rate), ("convolution " +
                                               "rate", effectiveConvolutionRate), ("output rate",
                                                   effectiveOutputRate)] {
            guard value.isFinite, value >= 0, value < 1 else {
                throw bad("\(name) must lie in [0, 1) (the fraction of what remains pruned per round), got \(value)")
            }
        }
        guard rate > 0 else { throw bad("rate must be positive, got \(rate)") }
        guard epochs >= 1 else { throw bad("epochs must be >= 1, got \(epochs)") }
        guard batchSize >= 1 else { throw bad("batch size must be >= 1, got \(batchSize)") }
        guard rewindStep >= 0 else { throw bad("rewind step must be >= 0, got \(rewindStep)") }
        guard optimizer.learningRate > 0, optimizer.learningRate.isFinite else {
            throw bad("learning rate must be positive, got \(optimizer.learningRate)")
        }
    }
}
