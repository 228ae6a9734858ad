import SculptCore

/// Inverted dropout (PyTorch's `Dropout`): in training, each element is zeroed with probability
/// `probability` and the survivors are scaled by 1 / (1 - probability); in evaluation it is the identity.
///
/// The layer owns its random source, seeded by the caller, so the same seed gives the same masks.
public final class Dropout: Layer {
    public let probability: Float
    /// The generator that draws the masks; save and restore it to resume a run exactly.
    public var rng: RandomSource

    private let output = Tensor(zeros: [0])      // y (B, ...)
    private let gradInput = Tensor(zeros: [0])   // dx (B, ...)
    private let mask = Tensor(zeros: [0])        // 0 or 1 / (1 - p), like x
    private var maskedLast = false

    /// A dropout layer drawing its masks from `rng`.
    public init(probability: Float, rng: RandomSource) {
        precondition(probability >= 0 && probability < 1, "Dropout probability must be in [0, 1), got \(probability)")
        self.probability = probability
        self.rng = rng
    }

    public var spec: LayerSpec { .dropout(probability: probability) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x and y are (B, ...); y = x * mask
        maskedLast = training && probability > 0
        guard maskedLast else { return x }
        output.resize(x.shape)
        mask.resize(x.shape)
        let keep = 1 / (1 - probability), p = probability
        let xs = x.data, ys = output.data, m = mask.data
        for i in 0..<x.count {
            let v: Float = rng.unitFloat() < p ? 0 : keep
            m[i] = v
            ys[i] = xs[i] * v
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dx = dy * mask (the identity outside training)
        guard needInputGradient else { return nil }
        guard maskedLast else { return dy }
        precondition(dy.count == mask.count, "Dropout.backward got \(dy.shape) after a forward of \(mask.shape)")
        gradInput.resize(dy.shape)
        let g = dy.data, dx = gradInput.data, m = mask.data
        for i in 0..<dy.count { dx[i] = g[i] * m[i] }
        return gradInput
    }
}
