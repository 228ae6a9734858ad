import SculptNN

/// An optimizer's kind and hyperparameters as data (saved in `training.json`).
public enum OptimizerConfiguration: Equatable, Sendable {
    case sgd(learningRate: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool)
    case adam(
        learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, decoupledWeightDecay: Bool)

    /// The configuration of an SGD or Adam optimizer; throws for other optimizer types.
    public init(_ optimizer: Optimizer) throws {
        if let s = optimizer as? SGD {
            self = .sgd(learningRate: s.learningRate, momentum: s.momentum, dampening: s.dampening,
                        weightDecay: s.weightDecay, nesterov: s.nesterov)
        } else if let a = optimizer as? Adam {
            self = .adam(learningRate: a.learningRate, beta1: a.beta1, beta2: a.beta2, epsilon: a.epsilon,
                         weightDecay: a.weightDecay, decoupledWeightDecay: a.decoupledWeightDecay)
        } else {
            throw CheckpointError.unsupportedOptimizer(String(describing: type(of: optimizer)))
        }
    }

    /// Checks the hyperparameters; the reason names the bad value.
    public func validate() throws {
        func check(_ ok: Bool, _ why: @autoclosure () -> String) throws {
            if !ok { throw CheckpointError.invalidOptimizer(why()) }
        }
        switch self {
        case .sgd(let lr, let mu, let damp, let wd, let nesterov):
            try check(lr.isFinite && lr > 0, "learning rate must be positive, got \(lr)")
            // PyTorch checks only momentum >= 0; at 1 or above the velocity never decays and training diverges, so
            // refuse it here, as the trial kinds' readers do (their range is 0...0.999999).
            try check(mu.isFinite && mu >= 0 && mu < 1, "momentum must lie in [0, 1), got \(mu)")
            try check(damp.isFinite && damp >= 0 && damp <= 1, "dampening must lie in [0, 1], got \(damp)")
            try check(wd.isFinite && wd >= 0, "weight decay must be >= 0, got \(wd)")
            try check(!nesterov || (mu > 0 && damp == 0), "Nesterov needs momentum > 0 and no dampening")
        case .adam(let lr, let b1, let b2, let eps, let wd, _):
            try check(lr.isFinite && lr > 0, "learning rate must be positive, got \(lr)")
            try check(b1.isFinite && b1 >= 0 && b1 < 1, "beta1 must lie in [0, 1), got \(b1)")
            try check(b2.isFinite && b2 >= 0 && b2 < 1, "beta2 must lie in [0, 1), got \(b2)")
            try check(eps.isFinite && eps > 0, "epsilon must be positive, got \(eps)")
            try check(wd.isFinite && wd >= 0, "weight decay must be >= 0, got \(wd)")
        }
    }

    /// A fresh optimizer with these hyperparameters (validated first).
    public func makeOptimizer() throws -> Optimizer {
        try validate()
        switch self {
        case .sgd(let lr, let mu, let damp, let wd, let nesterov):
            return SGD(learningRate: lr, momentum: mu, dampening: damp, weightDecay: wd, nesterov: nesterov)
        case .adam(let lr, let b1, let b2, let eps, let wd, let decoupled):
            return Adam(
                learningRate: lr, beta1: b1, beta2: b2, epsilon: eps, weightDecay: wd, decoupledWeightDecay: decoupled)
        }
    }

    /// The per-parameter state tensors the optimizer keeps once it has stepped a parameter.
    public var stateKeys: Set<String> {
        switch self {
        case .sgd(_, let mu, _, _, _): return mu == 0 ? [] : ["momentum"]
        case .adam: return ["exp_avg", "exp_avg_sq"]
        }
    }
}

extension OptimizerConfiguration: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, learningRate, momentum, dampening, weightDecay, nesterov, beta1, beta2, epsilon, decoupledWeightDecay
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "sgd":
            self = .sgd(learningRate: try c.decode(Float.self, forKey: .learningRate),
                        momentum: try c.decode(Float.self, forKey: .momentum),
                        dampening: try c.decode(Float.self, forKey: .dampening),
                        weightDecay: try c.decode(Float.self, forKey: .weightDecay),
                        nesterov: try c.decode(Bool.self, forKey: .nesterov))
        case "adam":
            self = .adam(learningRate: try c.decode(Float.self, forKey: .learningRate),
                         beta1: try c.decode(Float.self, forKey: .beta1),
                         beta2: try c.decode(Float.self, forKey: .beta2),
                         epsilon: try c.decode(Float.self, forKey: .epsilon),
                         weightDecay: try c.decode(Float.self, forKey: .weightDecay),
                         decoupledWeightDecay: try c.decode(Bool.self, forKey: .decoupledWeightDecay))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "unknown optimizer '\(kind)' (use sgd or adam)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sgd(let lr, let mu, let damp, let wd, let nesterov):
            try c.encode("sgd", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(mu, forKey: .momentum)
            try c.encode(damp, forKey: .dampening)
            try c.encode(wd, forKey: .weightDecay)
            try c.encode(nesterov, forKey: .nesterov)
        case .adam(let lr, let b1, let b2, let eps, let wd, let decoupled):
            try c.encode("adam", forKey: .kind)
            try c.encode(lr, forKey: .learningRate)
            try c.encode(b1, forKey: .beta1)
            try c.encode(b2, forKey: .beta2)
            try c.encode(eps, forKey: .epsilon)
            try c.encode(wd, forKey: .weightDecay)
            try c.encode(decoupled, forKey: .decoupledWeightDecay)
        }
    }
}
