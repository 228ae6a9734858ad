import SculptCore

/// Updates parameters from their gradients.
///
/// Masks: where a parameter's mask is 0 the entry gets no update at all (not from weight decay,
/// not from momentum) and its optimizer state is left as it was.
public protocol Optimizer: AnyObject {
    /// The step size.
    var learningRate: Float { get set }
    /// Applies one update to every parameter.
    func step(_ parameters: [Parameter])
}

/// Stochastic gradient descent with PyTorch's semantics: weight decay added to the gradient,
/// momentum buffer initialized to the first gradient, optional dampening and Nesterov.
public final class SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var dampening: Float
    public var weightDecay: Float
    public var nesterov: Bool
    @exclusivity(unchecked) private var momentumBuffers = StateCache()
    private static let stateNames = ["momentum"]

    public init(
        learningRate: Float, momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
    ) {
        precondition(learningRate > 0, "learning rate must be positive")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov needs momentum > 0 and no dampening")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step(_ parameters: [Parameter]) {
        for (k, p) in parameters.enumerated() {
            if momentum == 0 {
                update(p, momentum: nil, first: false)
            } else {
                let (buffers, first) = momentumBuffers.tensors(for: p, at: k, names: Self.stateNames)
                update(p, momentum: buffers[0].data, first: first)
            }
            p.step += 1
        }
    }

    /// One fused pass over `p` (weight decay, momentum, Nesterov and the update per entry), split
    /// over the `Parallel` workers for large tensors. Every entry's arithmetic is the same
    /// whatever the split, so results do not depend on the thread count.
    private func update(_ p: Parameter, momentum m: UnsafeMutablePointer<Float>?, first: Bool) {
        let lr = learningRate, mu = momentum, wd = weightDecay, damp = 1 - dampening, nest = nesterov
        let w = p.value.data, g = p.grad.data, mask = p.mask?.data
        Parallel.forRanges(count: p.count) { range in
            guard let m else {
                forEachTrainable(range, mask) { i in w[i] -= lr * (g[i] + wd * w[i]) }
                return
            }
            switch (first, nest) {
            case (true, false):
                forEachTrainable(range, mask) { i in let d = g[i] + wd * w[i]; m[i] = d; w[i] -= lr * d }
            case (true, true):
                forEachTrainable(range, mask) { i in let d = g[i] + wd * w[i]; m[i] = d; w[i] -= lr * (d + mu * d) }
            case (false, false):
                forEachTrainable(range, mask) { i in
                    let d = g[i] + wd * w[i]
                    m[i] = mu * m[i] + damp * d
                    w[i] -= lr * m[i]
                }
            case (false, true):
                forEachTrainable(range, mask) { i in
                    let d = g[i] + wd * w[i]
                    m[i] = mu * m[i] + damp * d
                    w[i] -= lr * (d + mu * m[i])
                }
            }
        }
    }
}

/// Adam with PyTorch's defaults (lr 1e-3, betas 0.9/0.999, eps 1e-8), L2 weight decay added to
/// the gradient, or decoupled (AdamW) when `decoupledWeightDecay` is set.
public final class Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    public var decoupledWeightDecay: Bool
    @exclusivity(unchecked) private var moments = StateCache()
    private static let stateNames = ["exp_avg", "exp_avg_sq"]
    // Bias corrections of the last step count seen (all parameters usually share it).
    @exclusivity(unchecked) private var correctedStep = -1
    @exclusivity(unchecked) private var correction1 = 1.0, correction2 = 1.0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        precondition(learningRate > 0, "learning rate must be positive")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public func step(_ parameters: [Parameter]) {
        let b1 = beta1, b2 = beta2, eps = epsilon, wd = weightDecay
        for (k, p) in parameters.enumerated() {
            let n = p.count, w = p.value.data, g = p.grad.data
            let mask = p.mask?.data
            let (mv, _) = moments.tensors(for: p, at: k, names: Self.stateNames)
            let m = mv[0], v = mv[1]
            p.step += 1
            if p.step != correctedStep {
                let t = Double(p.step)
                correction1 = 1 - pow(Double(b1), t)
                correction2 = 1 - pow(Double(b2), t)
                correctedStep = p.step
            }
            let bc1 = correction1, bc2 = correction2
            let stepSize = Float(Double(learningRate) / bc1)
            let bc2Sqrt = Float(bc2.squareRoot())
            let decay: Float = decoupledWeightDecay ? 1 - learningRate * wd : 1
            let l2: Float = decoupledWeightDecay ? 0 : wd
            let md = m.data, vd = v.data
            // One fused pass per parameter, split over the workers for large tensors (per-entry
            // arithmetic, so the split does not change the result).
            Parallel.forRanges(count: n) { range in
                forEachTrainable(range, mask) { i in
                    let gi = g[i] + l2 * w[i]
                    md[i] = b1 * md[i] + (1 - b1) * gi
                    vd[i] = b2 * vd[i] + (1 - b2) * gi * gi
                    let denom = vd[i].squareRoot() / bc2Sqrt + eps
                    w[i] = w[i] * decay - stepSize * md[i] / denom
                }
            }
        }
    }
}

/// Remembers, per position in the parameter list, the optimizer tensors a parameter holds in
/// `state`, so a step hashes no names while the parameter and its state are unchanged
/// (any change to `Parameter.state` bumps its generation and forces a fresh lookup).
struct StateCache {
    private struct Entry {
        let parameter: Parameter
        let generation: Int
        let tensors: [Tensor]
    }
    private var entries: [Entry] = []

    /// The tensors named `names` in `p.state` (created zero-filled, shaped like the value, when
    /// any is missing), and whether they were just created.
    mutating func tensors(for p: Parameter, at position: Int, names: [String]) -> (tensors: [Tensor], created: Bool) {
        if position < entries.count {
            let e = entries[position]
            if e.parameter === p && e.generation == p.stateGeneration { return (e.tensors, false) }
        }
        var found: [Tensor] = []
        for name in names {
            guard let t = p.state[name] else { break }
            found.append(t)
        }
        let created = found.count < names.count
        if created {
            found = names.map { _ in Tensor(zeros: p.value.shape) }
            for (name, t) in zip(names, found) { p.state[name] = t }
        }
        let entry = Entry(parameter: p, generation: p.stateGeneration, tensors: found)
        if position < entries.count {
            entries[position] = entry
        } else if position == entries.count {
            entries.append(entry)
        }
        return (found, created)
    }
}

/// Calls `body` for every index of `range` whose mask entry is nonzero (all of them when there is
/// no mask).
@inline(__always)
func forEachTrainable(_ range: Range<Int>, _ mask: UnsafeMutablePointer<Float>?, _ body: (Int) -> Void) {
    if let mask {
        for i in range where mask[i] != 0 { body(i) }
    } else {
        for i in range { body(i) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
