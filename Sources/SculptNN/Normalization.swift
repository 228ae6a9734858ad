import SculptCore

/// Batch normalization over the channel axis of `(B, C)` or `(B, C, H, W)` batches, with
/// PyTorch's semantics (`BatchNorm1d` / `BatchNorm2d`, affine, tracking running statistics):
///
/// - training: normalize with the batch mean and the biased batch variance; update
///   `running = (1 - momentum) * running + momentum * batchValue`, using the *unbiased*
///   variance for `running_var`;
/// - evaluation: normalize with the running statistics.
public final class BatchNorm: Layer {
    /// Scale (gamma), `[C]`, initialized to 1.
    public let weight: Parameter
    /// Shift (beta), `[C]`, initialized to 0.
    public let bias: Parameter
    /// Running mean, `[C]` (a buffer, not trained).
    public let runningMean: Tensor
    /// Running variance, `[C]` (a buffer, not trained).
    public let runningVariance: Tensor
    public let momentum: Float
    public let epsilon: Float

    private let output = Tensor(zeros: [0])       // y (B, C, S)
    private let gradInput = Tensor(zeros: [0])    // dx (B, C, S)
    private let normalized = Tensor(zeros: [0])   // xhat (B, C, S)
    private let inverseStd = Tensor(zeros: [0])   // 1 / sqrt(var + eps) per channel, (C)
    private var trainedLast = false

    /// A layer over `features` channels with PyTorch's initial values.
    public convenience init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(features > 0, "BatchNorm needs a positive feature count, got \(features)")
        self.init(weight: Tensor(repeating: 1, shape: [features]), bias: Tensor(zeros: [features]),
                  runningMean: Tensor(zeros: [features]), runningVariance: Tensor(repeating: 1, shape: [features]),
                  momentum: momentum, epsilon: epsilon)
    }

    /// A layer with the given tensors, all `[C]`.
    public init(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor,
                momentum: Float = 0.1, epsilon: Float = 1e-5) {
        let c = weight.count
        precondition(
            weight.shape == [c] && bias.shape == [c] && runningMean.shape == [c] && runningVariance.shape == [c],
                     "BatchNorm tensors must all be [C]")
        precondition(
            momentum >= 0 && momentum <= 1 && epsilon > 0, "BatchNorm needs 0 <= momentum <= 1 and epsilon > 0")
        self.weight = Parameter(weight)
        self.bias = Parameter(bias)
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Number of channels.
    public var features: Int { weight.count }

    public var spec: LayerSpec { .batchNorm(features: features, momentum: momentum, epsilon: epsilon) }

    public var namedParameters: [(name: String, parameter: Parameter)] { [("weight", weight), ("bias", bias)] }

    public var namedBuffers: [(name: String, buffer: Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, C, S) with S = H*W (1 for dense input); statistics per channel over (B, S)
        precondition(x.rank >= 2 && x.shape[1] == features, "\(spec.summary) got input \(x.shape)")
        let b = x.shape[0], c = features, s = x.count / Swift.max(b * c, 1), n = b * s
        output.resize(x.shape)
        normalized.resize(x.shape)
        inverseStd.resize([c])
        trainedLast = training
        let xs = x.data, ys = output.data, xh = normalized.data, gamma = weight.value.data, beta = bias.value.data
        for ch in 0..<c {
            let mean: Float, invStd: Float
            if training {
                precondition(
                    n > 1,
                    "\(spec.summary) in training mode needs more than one value per channel, got input \(x.shape)")
                var sum = 0.0
                for bi in 0..<b {
                    let p = xs + (bi * c + ch) * s
                    for i in 0..<s { sum += Double(p[i]) }
                }
                let m = sum / Double(n)
                var squares = 0.0
                for bi in 0..<b {
                    let p = xs + (bi * c + ch) * s
                    for i in 0..<s { let d = Double(p[i]) - m; squares += d * d }
                }
                let biased = squares / Double(n), unbiased = squares / Double(n - 1)
                mean = Float(m)
                invStd = Float(1 / (biased + Double(epsilon)).squareRoot())
                let mo = momentum
                runningMean.data[ch] = (1 - mo) * runningMean.data[ch] + mo * Float(m)
                runningVariance.data[ch] = (1 - mo) * runningVariance.data[ch] + mo * Float(unbiased)
            } else {
                mean = runningMean.data[ch]
                invStd = 1 / (runningVariance.data[ch] + epsilon).squareRoot()
            }
            inverseStd.data[ch] = invStd
            let g = gamma[ch], bt = beta[ch]
            for bi in 0..<b {
                let o = (bi * c + ch) * s
                for i in 0..<s {
                    let v = (xs[o + i] - mean) * invStd
                    xh[o + i] = v
                    ys[o + i] = g * v + bt
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dgamma += sum(dy * xhat); dbeta += sum(dy);
        // training: dx = gamma * invStd / N * (N * dy - sum(dy) - xhat * sum(dy * xhat));
        // evaluation: dx = gamma * invStd * dy
        precondition(
            dy.count == normalized.count && normalized.rank >= 2,
            "BatchNorm.backward before forward or with \(dy.shape)")
        let b = normalized.shape[0], c = features, s = normalized.count / Swift.max(b * c, 1), n = b * s
        if needInputGradient { gradInput.resize(normalized.shape) }
        let g = dy.data, xh = normalized.data, dx = gradInput.data
        for ch in 0..<c {
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for bi in 0..<b {
                let o = (bi * c + ch) * s
                for i in 0..<s { sumDy += g[o + i]; sumDyXhat += g[o + i] * xh[o + i] }
            }
            weight.grad.data[ch] += sumDyXhat
            bias.grad.data[ch] += sumDy
            guard needInputGradient else { continue }
            let k = weight.value.data[ch] * inverseStd.data[ch]
            if trainedLast {
                let meanDy = sumDy / Float(n), meanDyXhat = sumDyXhat / Float(n)
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    for i in 0..<s { dx[o + i] = k * (g[o + i] - meanDy - xh[o + i] * meanDyXhat) }
                }
            } else {
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    for i in 0..<s { dx[o + i] = k * g[o + i] }
                }
            }
        }
        return needInputGradient ? gradInput : nil
    }
}
