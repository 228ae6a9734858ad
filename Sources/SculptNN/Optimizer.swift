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
    // Read once a step; unchecked so that reading them needs no run-time exclusivity check.
    @exclusivity(unchecked) public var learningRate: Float
    @exclusivity(unchecked) public var beta1: Float
    @exclusivity(unchecked) public var beta2: Float
    @exclusivity(unchecked) public var epsilon: Float
    @exclusivity(unchecked) public var weightDecay: Float
    @exclusivity(unchecked) public var decoupledWeightDecay: Bool
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
        let wd = weightDecay, lr = learningRate
        let decay: Float = decoupledWeightDecay ? 1 - lr * wd : 1
        let l2: Float = decoupledWeightDecay ? 0 : wd
        for k in parameters.indices {
            // `parameters` keeps each parameter alive: borrowed, without the retain and release a copy
            // costs (about a twentieth of a W1 step over its six parameters)
            Unmanaged.passUnretained(parameters[k])._withUnsafeGuaranteedRef { p in
                update(p, at: k, decay: decay, l2: l2)
            }
        }
    }

    /// One parameter's update: its moments, then its value.
    @inline(__always)
    private func update(_ p: Parameter, at k: Int, decay: Float, l2: Float) {
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate
        let (md, vd, _) = moments.data(for: p, at: k, names: Self.stateNames)
        p.step += 1
        if p.step != correctedStep {
            let t = Double(p.step)
            correction1 = 1 - pow(Double(b1), t)
            correction2 = 1 - pow(Double(b2), t)
            correctedStep = p.step
        }
        let stepSize = Float(Double(lr) / correction1)
        let bc2Sqrt = Float(correction2.squareRoot())
        let w = p.value.data, g = p.grad.data, mask = p.mask?.data
        // One fused pass per parameter, split over the workers for large tensors (per-entry
        // arithmetic, so the split does not change the result). The square root is taken of the
        // second moment's magnitude: the moment is never negative, so the value is the same (a -0
        // gives +0, and both give a denominator of eps), and LLVM then knows the argument is not
        // negative and emits the square-root instruction instead of a call to `sqrtf` (which sets
        // errno for negative arguments), so the loop vectorizes: the same numbers bit for bit, as
        // square root and division round correctly either way.
        Parallel.forRanges(count: p.count) { range in
            forEachTrainable(range, mask) { i in
                let gi = g[i] + l2 * w[i]
                md[i] = b1 * md[i] + (1 - b1) * gi
                vd[i] = b2 * vd[i] + (1 - b2) * gi * gi
                let denom = vd[i].magnitude.squareRoot() / bc2Sqrt + eps
                w[i] = w[i] * decay - stepSize * md[i] / denom
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

    /// The data of the first two tensors `tensors(for:at:names:)` gives, without handing out references, so
    /// an optimizer's loop over its parameters does no reference counting: the tensors stay alive in `p.state`
    /// and in this cache.
    @inline(__always)
    mutating func data(for p: Parameter, at position: Int, names: [String])
        -> (first: UnsafeMutablePointer<Float>, second: UnsafeMutablePointer<Float>, created: Bool) {
        precondition(names.count == 2, "data(for:) serves two state tensors")
        if position < entries.count, entries[position].parameter === p,
           entries[position].generation == p.stateGeneration {
            return (entries[position].tensors[0].data, entries[position].tensors[1].data, false)
        }
        let (tensors, created) = self.tensors(for: p, at: position, names: names)
        return (tensors[0].data, tensors[1].data, created)
    }

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
