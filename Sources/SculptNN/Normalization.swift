import SculptCore

/// Batch normalization over the channel axis of `(B, C)` or `(B, C, H, W)` batches, with
/// PyTorch's semantics (`BatchNorm1d` / `BatchNorm2d`, affine, tracking running statistics):
///
/// - training: normalize with the batch mean and the biased batch variance; update
///   `running = (1 - momentum) * running + momentum * batchValue`, using the *unbiased*
///   variance for `running_var`;
/// - evaluation: normalize with the running statistics.
///
/// The statistics sum each `(sample, channel)` plane in float with vector accumulators and add
/// the planes' sums in double (two passes: mean, then squared deviations). Channels are split
/// over the `Parallel` workers; each channel is computed the same way at any thread count.
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
        // x is (B, C, S) with S = H*W (1 for dense input); statistics per channel over (B, S):
        // each plane's sums in float with vector accumulators, the planes' sums added in double
        precondition(x.rank >= 2 && x.shape[1] == features, "\(spec.summary) got input \(x.shape)")
        let b = x.shape[0], c = features, s = x.count / Swift.max(b * c, 1), n = b * s
        if training {
            precondition(
                n > 1, "\(spec.summary) in training mode needs more than one value per channel, got input \(x.shape)")
        }
        output.resize(x.shape)
        normalized.resize(x.shape)
        inverseStd.resize([c])
        trainedLast = training
        let xs = x.data, ys = output.data, xh = normalized.data, gamma = weight.value.data, beta = bias.value.data
        let runMean = runningMean.data, runVar = runningVariance.data, inv = inverseStd.data
        let mo = momentum, eps = epsilon
        // channels split over the workers when the tensor is large; each is computed the same way at any thread count
        Parallel.forRanges(count: c, work: x.count) { channels in
            for ch in channels {
                let mean: Float, invStd: Float
                if training {
                    var sum = 0.0
                    for bi in 0..<b { sum += Double(Kernels.sum(xs + (bi * c + ch) * s, count: s)) }
                    let m = sum / Double(n)
                    var squares = 0.0
                    for bi in 0..<b {
                        squares += Double(Kernels.sumOfSquares(xs + (bi * c + ch) * s, count: s, around: Float(m)))
                    }
                    let biased = squares / Double(n), unbiased = squares / Double(n - 1)
                    mean = Float(m)
                    invStd = Float(1 / (biased + Double(eps)).squareRoot())
                    runMean[ch] = (1 - mo) * runMean[ch] + mo * Float(m)
                    runVar[ch] = (1 - mo) * runVar[ch] + mo * Float(unbiased)
                } else {
                    mean = runMean[ch]
                    invStd = 1 / (runVar[ch] + eps).squareRoot()
                }
                inv[ch] = invStd
                let g = gamma[ch], bt = beta[ch]
                let m8 = SIMD8<Float>(repeating: mean), k8 = SIMD8<Float>(repeating: invStd)
                let g8 = SIMD8<Float>(repeating: g), b8 = SIMD8<Float>(repeating: bt)
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    let src = UnsafeRawPointer(xs + o), nh = UnsafeMutableRawPointer(xh + o)
                    let out = UnsafeMutableRawPointer(ys + o)
                    var i = 0
                    while i + 8 <= s {
                        let v = (src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * k8
                        nh.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
                        out.storeBytes(of: g8 * v + b8, toByteOffset: i * 4, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < s {
                        let v = (xs[o + i] - mean) * invStd
                        xh[o + i] = v
                        ys[o + i] = g * v + bt
                        i += 1
                    }
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
        let dgamma = weight.grad.data, dbeta = bias.grad.data, gamma = weight.value.data, inv = inverseStd.data
        let trained = trainedLast
        Parallel.forRanges(count: c, work: dy.count) { channels in
            for ch in channels {
                var sumDy: Float = 0, sumDyXhat: Float = 0
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    sumDy += Kernels.sum(g + o, count: s)
                    sumDyXhat += Kernels.dot(g + o, xh + o, count: s)
                }
                dgamma[ch] += sumDyXhat
                dbeta[ch] += sumDy
                guard needInputGradient else { continue }
                let k = gamma[ch] * inv[ch]
                // training: dx = k * (dy - meanDy - xhat * meanDyXhat); evaluation: dx = k * dy
                let meanDy = trained ? sumDy / Float(n) : 0, meanDyXhat = trained ? sumDyXhat / Float(n) : 0
                let k8 = SIMD8<Float>(repeating: k), md8 = SIMD8<Float>(repeating: meanDy)
                let mx8 = SIMD8<Float>(repeating: meanDyXhat)
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    let gr = UnsafeRawPointer(g + o), hr = UnsafeRawPointer(xh + o)
                    let out = UnsafeMutableRawPointer(dx + o)
                    var i = 0
                    while i + 8 <= s {
                        let gv = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        let hv = hr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        out.storeBytes(of: k8 * (gv - md8 - hv * mx8), toByteOffset: i * 4, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < s { dx[o + i] = k * (g[o + i] - meanDy - xh[o + i] * meanDyXhat); i += 1 }
                }
            }
        }
        return needInputGradient ? gradInput : nil
    }
}
