import SculptCore

/// Flattens each sample to one dimension: `(B, d1, d2, ...)` to `(B, d1 * d2 * ...)`
/// (PyTorch's `Flatten()`; row-major, so `(C, H, W)` becomes index `c * H * W + h * W + w`).
public final class Flatten: Layer {
    private let output = Tensor(zeros: [0])      // y (B, N)
    private let gradInput = Tensor(zeros: [0])   // dx (B, d1, d2, ...)
    private var inputShape: [Int] = []

    public init() {}

    public var spec: LayerSpec { .flatten }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.rank >= 1, "Flatten got a scalar")
        inputShape = x.shape
        output.resize([x.shape[0], x.rowStride])
        output.data.update(from: x.data, count: x.count)
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard needInputGradient else { return nil }
        precondition(dy.count == inputShape.reduce(1, *), "Flatten.backward got \(dy.shape) for input \(inputShape)")
        gradInput.resize(inputShape)
        gradInput.data.update(from: dy.data, count: dy.count)
        return gradInput
    }
}
