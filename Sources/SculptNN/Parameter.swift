import SculptCore

/// A trainable tensor with its gradient, optional freeze mask and optimizer state.
///
/// Everything indexed like the value lives here, so surgery that slices a unit out of the
/// value slices the gradient, the mask and the optimizer moments with the same index.
public final class Parameter: @unchecked Sendable {
    /// The current value.
    @exclusivity(unchecked) public var value: Tensor
    /// The accumulated gradient, same shape as `value`.
    @exclusivity(unchecked) public var grad: Tensor
    /// 1 = trainable, 0 = frozen; nil means everything is trainable. Same shape as `value`.
    @exclusivity(unchecked) public var mask: Tensor?
    /// Optimizer moments by name ("momentum", "exp_avg", "exp_avg_sq"), each shaped like `value`.
    public var state: [String: Tensor] = [:] { didSet { stateGeneration &+= 1 } }
    /// Changes whenever `state` is assigned or modified, so optimizers may cache the moment
    /// tensors they looked up instead of hashing names every step.
    @exclusivity(unchecked) public private(set) var stateGeneration = 0
    /// Number of optimizer steps taken on this parameter (Adam's bias correction).
    @exclusivity(unchecked) public var step: Int = 0

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    /// Replaces the value (and resets gradient shape) after a structural change.
    public func replaceValue(_ newValue: Tensor) {
        value = newValue
        if grad.shape != newValue.shape { grad = Tensor(zeros: newValue.shape) }
    }

    /// Number of elements.
    public var count: Int { value.count }

    /// Number of trainable (unmasked) elements.
    public var trainableCount: Int {
        guard let mask else { return value.count }
        var n = 0
        for i in 0..<mask.count where mask.data[i] != 0 { n += 1 }
        return n
    }

    /// Sets the gradient to zero: small gradients in place (through a local reference, which spares W1's
    /// steps a retain and release of the parameter and the tensor each), large ones over the workers.
    @inline(__always)
    public func zeroGrad() {
        let g = grad, n = g.count
        if n < 1 << 16 { g.data.update(repeating: 0, count: n) } else { g.fill(0) }
    }

    /// Forgets all optimizer state.
    public func resetState() {
        state = [:]
        step = 0
    }
}
