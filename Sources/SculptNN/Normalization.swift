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

    private let output = Tensor(zeros: [0])       // y (B, C, S), relu(y) after a rectifying forward
    private let gradInput = Tensor(zeros: [0])    // dx (B, C, S)
    private let means = Tensor(zeros: [0])        // the mean each channel was normalized with, (C)
    private let inverseStd = Tensor(zeros: [0])   // 1 / sqrt(var + eps) per channel, (C)
    // The last forward's input: xhat = (x - mean) * invStd is recomputed from it in backward, bit for bit as
    // forward computed it, rather than written out and read back (the layer that produced x keeps it until its
    // own next forward, after this layer's backward).
    @exclusivity(unchecked) private var lastInput: Tensor?
    private var trainedLast = false
    /// Whether the last forward returned relu(y) (`forward(_:training:rectifying:)`).
    public private(set) var rectifiedLastForward = false
    /// Whether the last forward wrote nothing but a max pooling of relu(y) (`forward(_:training:pooling:)`).
    public private(set) var pooledLastForward = false

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

    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, training: training, rectifying: false) }

    /// With `rectifying`, `relu(y)` in the same pass, bit for bit what this layer followed by
    /// `Activation(.relu)` computes (NaN mapped to 0 as the ReLU does), without writing `y` out and
    /// reading it back; `backward` then takes the gradient with respect to `relu(y)` and masks it by
    /// `y > 0` as the ReLU's backward does. `Network` runs a BatchNorm and the ReLU after it this way
    /// (`Network.fusesBatchNormRelu`).
    public func forward(_ x: Tensor, training: Bool, rectifying: Bool) -> Tensor {
        // x is (B, C, S) with S = H*W (1 for dense input); statistics per channel over (B, S):
        // each plane's sums in float with vector accumulators, the planes' sums added in double
        precondition(x.rank >= 2 && x.shape[1] == features, "\(spec.summary) got input \(x.shape)")
        let b = x.shape[0], c = features, s = x.count / Swift.max(b * c, 1), n = b * s
        if training {
            precondition(
                n > 1, "\(spec.summary) in training mode needs more than one value per channel, got input \(x.shape)")
        }
        output.resize(x.shape)
        beginForward(x, training: training, rectifying: rectifying, pooled: false)
        let xs = x.data, ys = output.data, gamma = weight.value.data, beta = bias.value.data
        let runMean = runningMean.data, runVar = runningVariance.data, inv = inverseStd.data, mu = means.data
        let mo = momentum, eps = epsilon
        // channels split over the workers when the tensor is large; each is computed the same way at any thread count
        Parallel.forRanges(count: c, work: x.count) { channels in
            if s == 1 {
                Self.planeOfOneForward(
                    xs, ys, batch: b, features: c, channels: channels, training: training, rectifying: rectifying,
                    momentum: mo, epsilon: eps, gamma: gamma, beta: beta, runningMean: runMean,
                    runningVariance: runVar, means: mu, inverseStd: inv)
                return
            }
            if s < 16 {
                Self.smallPlaneForward(
                    xs, ys, batch: b, features: c, plane: s, channels: channels, training: training,
                    rectifying: rectifying, momentum: mo, epsilon: eps, gamma: gamma, beta: beta, runningMean: runMean,
                    runningVariance: runVar, means: mu, inverseStd: inv)
                return
            }
            for ch in channels {
                let (mean, invStd) = self.channelStatistics(xs, batch: b, plane: s, channel: ch, training: training)
                let g = gamma[ch], bt = beta[ch]
                let m8 = SIMD8<Float>(repeating: mean), k8 = SIMD8<Float>(repeating: invStd)
                let g8 = SIMD8<Float>(repeating: g), b8 = SIMD8<Float>(repeating: bt), zero = SIMD8<Float>()
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    let src = UnsafeRawPointer(xs + o), out = UnsafeMutableRawPointer(ys + o)
                    var i = 0
                    if rectifying {
                        while i + 8 <= s {
                            let v = (src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * k8
                            let y = g8 * v + b8
                            out.storeBytes(of: y.replacing(with: zero, where: .!(y .> zero)), toByteOffset: i * 4,
                                           as: SIMD8<Float>.self)
                            i += 8
                        }
                        while i < s {
                            let y = g * ((xs[o + i] - mean) * invStd) + bt
                            ys[o + i] = y > 0 ? y : 0  // as Activation's ReLU: NaN -> 0
                            i += 1
                        }
                    } else {
                        while i + 8 <= s {
                            let v = (src.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * k8
                            out.storeBytes(of: g8 * v + b8, toByteOffset: i * 4, as: SIMD8<Float>.self)
                            i += 8
                        }
                        while i < s { ys[o + i] = g * ((xs[o + i] - mean) * invStd) + bt; i += 1 }
                    }
                }
            }
        }
        return output
    }

    /// Sizes the per-channel statistics and records what `backward` needs of a forward over `x`.
    func beginForward(_ x: Tensor, training: Bool, rectifying: Bool, pooled: Bool) {
        means.resize([features])
        inverseStd.resize([features])
        trainedLast = training
        rectifiedLastForward = rectifying
        pooledLastForward = pooled
        lastInput = x
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // After a rectifying forward, dy is the gradient with respect to relu(y): dz = y > 0 ? dy : 0 (the ReLU's
        // backward), with y = gamma * xhat + beta recomputed from x by the forward's operations (the same bits, so the
        // same mask) rather than read from the stored relu(y): one stream less in each of the two passes.
        // dgamma += sum(dz * xhat); dbeta += sum(dz);
        // training: dx = gamma * invStd / N * (N * dz - sum(dz) - xhat * sum(dz * xhat));
        // evaluation: dx = gamma * invStd * dz
        guard let x = lastInput else { preconditionFailure("BatchNorm.backward before forward") }
        // sized by the input: a pooled forward (`forward(_:training:pooling:)`) writes no output
        precondition(dy.count == x.count, "BatchNorm.backward with \(dy.shape) after a forward of \(x.shape)")
        let b = x.shape[0], c = features, s = x.count / Swift.max(b * c, 1), n = b * s
        if needInputGradient { gradInput.resize(x.shape) }
        let g = dy.data, xs = x.data, dx = gradInput.data, mu = means.data, beta = bias.value.data
        let dgamma = weight.grad.data, dbeta = bias.grad.data, gamma = weight.value.data, inv = inverseStd.data
        let trained = trainedLast, rectified = rectifiedLastForward
        Parallel.forRanges(count: c, work: dy.count) { channels in
            if s == 1 {
                Self.planeOfOneBackward(
                    g, xs, dx, batch: b, features: c, channels: channels, trained: trained, rectified: rectified,
                    needInputGradient: needInputGradient, gamma: gamma, beta: beta, means: mu, inverseStd: inv,
                    weightGradient: dgamma, biasGradient: dbeta)
                return
            }
            if s < 16 {
                Self.smallPlaneBackward(
                    g, xs, dx, batch: b, features: c, plane: s, channels: channels, trained: trained,
                    rectified: rectified, needInputGradient: needInputGradient, gamma: gamma, beta: beta, means: mu,
                    inverseStd: inv, weightGradient: dgamma, biasGradient: dbeta)
                return
            }
            for ch in channels {
                var sumDy: Float = 0, sumDyXhat: Float = 0
                let affine = (gamma: gamma[ch], beta: beta[ch])
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    // each call with the affine map or nil written out, so that the inlined loops test nothing at run time
                    let (planeDy, planeDyXhat) = rectified
                        ? Self.gradientSums(g + o, xs + o, count: s, mean: mu[ch], invStd: inv[ch], rectifying: affine)
                        : Self.gradientSums(g + o, xs + o, count: s, mean: mu[ch], invStd: inv[ch], rectifying: nil)
                    sumDy += planeDy
                    sumDyXhat += planeDyXhat
                }
                dgamma[ch] += sumDyXhat
                dbeta[ch] += sumDy
                guard needInputGradient else { continue }
                let k = gamma[ch] * inv[ch], mean = mu[ch], invStd = inv[ch]
                // training: dx = k * (dz - meanDy - xhat * meanDyXhat); evaluation: dx = k * dz
                let meanDy = trained ? sumDy / Float(n) : 0, meanDyXhat = trained ? sumDyXhat / Float(n) : 0
                let k8 = SIMD8<Float>(repeating: k), md8 = SIMD8<Float>(repeating: meanDy)
                let mx8 = SIMD8<Float>(repeating: meanDyXhat), m8 = SIMD8<Float>(repeating: mean)
                let s8 = SIMD8<Float>(repeating: invStd), zero = SIMD8<Float>()
                let g8 = SIMD8<Float>(repeating: affine.gamma), b8 = SIMD8<Float>(repeating: affine.beta)
                for bi in 0..<b {
                    let o = (bi * c + ch) * s
                    let gr = UnsafeRawPointer(g + o), xr = UnsafeRawPointer(xs + o)
                    let out = UnsafeMutableRawPointer(dx + o)
                    var i = 0
                    while i + 8 <= s {
                        var gv = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                        let hv = (xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * s8
                        if rectified { gv.replace(with: zero, where: .!(g8 * hv + b8 .> zero)) }
                        out.storeBytes(of: k8 * (gv - md8 - hv * mx8), toByteOffset: i * 4, as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < s {
                        let h = (xs[o + i] - mean) * invStd
                        let gi = rectified && !(affine.gamma * h + affine.beta > 0) ? 0 : g[o + i]
                        dx[o + i] = k * (gi - meanDy - h * meanDyXhat)
                        i += 1
                    }
                }
            }
        }
        return needInputGradient ? gradInput : nil
    }

    /// Channel `ch`'s mean and inverse standard deviation for a forward over `x` (B, C, S) with
    /// planes of `s` values, written to `means` and `inverseStd` and returned: training, the
    /// batch's (each plane summed in float with vector accumulators, the planes' sums added in
    /// double: the mean, then the squared deviations), moving the running statistics; evaluation,
    /// the running ones.
    @inline(__always)
    func channelStatistics(_ xs: UnsafePointer<Float>, batch b: Int, plane s: Int, channel ch: Int, training: Bool)
        -> (mean: Float, invStd: Float) {
        let c = features, runMean = runningMean.data, runVar = runningVariance.data
        let mean: Float, invStd: Float
        if training {
            var sum = 0.0
            for bi in 0..<b { sum += Double(Kernels.sum(xs + (bi * c + ch) * s, count: s)) }
            let m = sum / Double(b * s)
            var squares = 0.0
            for bi in 0..<b {
                squares += Double(Kernels.sumOfSquares(xs + (bi * c + ch) * s, count: s, around: Float(m)))
            }
            mean = Float(m)
            invStd = Self.statistics(sum: sum, squares: squares, count: b * s, momentum: momentum, epsilon: epsilon,
                                     runningMean: &runMean[ch], runningVariance: &runVar[ch])
        } else {
            mean = runMean[ch]
            invStd = Self.evaluationInverseStd(runningVariance: runVar[ch], epsilon: epsilon)
        }
        means.data[ch] = mean
        inverseStd.data[ch] = invStd
        return (mean, invStd)
    }

    /// sum(dz) and sum(dz * xhat) over one plane in one pass, with xhat = (x - mean) * invStd as
    /// `forward` computes it and dz = dy, or with `rectifying` dy masked by `gamma * xhat + beta > 0`
    /// (the ReLU's backward, y computed as `forward` computes it): the same two 8-wide accumulators
    /// and tail order as `Kernels.sum` and `Kernels.dot`, so the sums are theirs bit for bit.
    @inline(__always)
    static func gradientSums(
        _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, count n: Int, mean: Float, invStd: Float,
        rectifying affine: (gamma: Float, beta: Float)?
    ) -> (Float, Float) {
        let gr = UnsafeRawPointer(dy), xr = UnsafeRawPointer(x)
        let m8 = SIMD8<Float>(repeating: mean), s8 = SIMD8<Float>(repeating: invStd), zero = SIMD8<Float>()
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            var g0 = gr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            var g1 = gr.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            let h0 = (xr.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - m8) * s8
            let h1 = (xr.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self) - m8) * s8
            if let affine {
                let g8 = SIMD8<Float>(repeating: affine.gamma), b8 = SIMD8<Float>(repeating: affine.beta)
                g0.replace(with: zero, where: .!(g8 * h0 + b8 .> zero))
                g1.replace(with: zero, where: .!(g8 * h1 + b8 .> zero))
            }
            a0 += g0
            a1 += g1
            d0 += g0 * h0
            d1 += g1 * h1
            i += 16
        }
        var total = (a0 + a1).sum(), dot = (d0 + d1).sum()
        while i < n {
            let h = (x[i] - mean) * invStd
            let gi = affine.map { $0.gamma * h + $0.beta > 0 ? dy[i] : 0 } ?? dy[i]
            total += gi
            dot += gi * h
            i += 1
        }
        return (total, dot)
    }

    // Planes of fewer than 16 values (dense input, and the 2x2 to 3x3 maps at the end of a VGG): the sums the
    // plane-by-plane code takes, in the same order and so the same bits (`Kernels.sum`, `Kernels.sumOfSquares` and
    // `gradientSums` add such a plane in their scalar tail, from 0, value by value), but sample-major: each
    // sample's row of the worker's channels is read in order, with one running sum per channel. Channel by channel,
    // a value was its own cache line at s = 1 (the next sample is C floats on) and each addition waited for the
    // last: W7's dense and 2x2 BatchNorms took 0.2-0.4 ms for 16k-65k values.

    /// A channel's training statistics from the sum of its `n` values and the sum of their squares
    /// about the mean (both in double): returns 1 / sqrt(biased variance + eps) and moves the running
    /// mean and (unbiased) variance by `momentum`, as PyTorch. The one place every path computes them.
    @inline(__always)
    static func statistics(sum: Double, squares: Double, count n: Int, momentum mo: Float, epsilon eps: Float,
                           runningMean: inout Float, runningVariance: inout Float) -> Float {
        let m = sum / Double(n)
        let biased = squares / Double(n), unbiased = squares / Double(n - 1)
        runningMean = (1 - mo) * runningMean + mo * Float(m)
        runningVariance = (1 - mo) * runningVariance + mo * Float(unbiased)
        return Float(1 / (biased + Double(eps)).squareRoot())
    }

    /// 1 / sqrt(running variance + eps): evaluation's scale.
    @inline(__always)
    static func evaluationInverseStd(runningVariance: Float, epsilon eps: Float) -> Float {
        1 / (runningVariance + eps).squareRoot()
    }

    /// Training's statistics for `channels` from their sums and sums of squares about the mean
    /// (`sums[j]` for channel `channels.lowerBound + j`): `statistics` channel by channel, into
    /// `inv` and the running mean and variance.
    static func trainingStatistics(
        sums: UnsafePointer<Double>, squares: UnsafePointer<Double>, count n: Int, channels: Range<Int>,
        momentum mo: Float, epsilon eps: Float, runningMean runMean: UnsafeMutablePointer<Float>,
        runningVariance runVar: UnsafeMutablePointer<Float>, inverseStd inv: UnsafeMutablePointer<Float>
    ) {
        for (j, ch) in channels.enumerated() {
            inv[ch] = statistics(
                sum: sums[j], squares: squares[j], count: n, momentum: mo, epsilon: eps,
                runningMean: &runMean[ch], runningVariance: &runVar[ch])
        }
    }

    /// Evaluation's statistics for `channels`: the running mean and `evaluationInverseStd`.
    static func evaluationStatistics(
        channels: Range<Int>, epsilon eps: Float, runningMean runMean: UnsafeMutablePointer<Float>,
        runningVariance runVar: UnsafeMutablePointer<Float>, means mu: UnsafeMutablePointer<Float>,
        inverseStd inv: UnsafeMutablePointer<Float>
    ) {
        for ch in channels {
            mu[ch] = runMean[ch]
            inv[ch] = evaluationInverseStd(runningVariance: runVar[ch], epsilon: eps)
        }
    }

    /// `forward` over `channels` for planes of s < 16 values; writes the channels' means and inverse
    /// standard deviations and, training, their running statistics.
    static func smallPlaneForward(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch b: Int, features c: Int, plane s: Int,
        channels: Range<Int>, training: Bool, rectifying: Bool, momentum mo: Float, epsilon eps: Float,
        gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
        runningMean runMean: UnsafeMutablePointer<Float>, runningVariance runVar: UnsafeMutablePointer<Float>,
        means mu: UnsafeMutablePointer<Float>, inverseStd inv: UnsafeMutablePointer<Float>
    ) {
        let lo = channels.lowerBound, k = channels.count, n = b * s
        if training {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * k) { buffer in
                let sums = buffer.baseAddress!, squares = sums + k
                sums.initialize(repeating: 0, count: 2 * k)
                for bi in 0..<b {
                    let row = x + (bi * c + lo) * s
                    for j in 0..<k {
                        var t: Float = 0
                        for i in 0..<s { t += row[j * s + i] }
                        sums[j] += Double(t)
                    }
                }
                for j in 0..<k { mu[lo + j] = Float(sums[j] / Double(n)) }
                for bi in 0..<b {
                    let row = x + (bi * c + lo) * s
                    for j in 0..<k {
                        let center = mu[lo + j]
                        var t: Float = 0
                        for i in 0..<s { let d = row[j * s + i] - center; t += d * d }
                        squares[j] += Double(t)
                    }
                }
                trainingStatistics(
                    sums: sums, squares: squares, count: n, channels: channels, momentum: mo, epsilon: eps,
                    runningMean: runMean, runningVariance: runVar, inverseStd: inv)
            }
        } else {
            evaluationStatistics(
                channels: channels, epsilon: eps, runningMean: runMean, runningVariance: runVar, means: mu,
                inverseStd: inv)
        }
        for bi in 0..<b {
            let first = (bi * c + lo) * s
            for j in 0..<k {
                let ch = lo + j, mean = mu[ch], invStd = inv[ch], g = gamma[ch], bt = beta[ch], o = first + j * s
                for i in 0..<s {
                    let v = g * ((x[o + i] - mean) * invStd) + bt
                    y[o + i] = rectifying ? (v > 0 ? v : 0) : v  // as Activation's ReLU: NaN -> 0
                }
            }
        }
    }

    /// `smallPlaneForward` for planes of one value (BatchNorm after a dense layer, or on 1x1
    /// maps): the same operations on every value, in the same order per channel, written as loops
    /// over the channels of a sample's row (which vectorize; the general loops go plane by plane).
    /// Each plane's sum starts at 0 as there (`0 + v`, so -0 adds as +0), so the numbers are the
    /// general path's bit for bit (tests compare both).
    static func planeOfOneForward(
        _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch b: Int, features c: Int,
        channels: Range<Int>, training: Bool, rectifying: Bool, momentum mo: Float, epsilon eps: Float,
        gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
        runningMean runMean: UnsafeMutablePointer<Float>, runningVariance runVar: UnsafeMutablePointer<Float>,
        means mu: UnsafeMutablePointer<Float>, inverseStd inv: UnsafeMutablePointer<Float>
    ) {
        let lo = channels.lowerBound, k = channels.count, n = b
        let zero: Float = 0
        if training {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * k) { buffer in
                let sums = buffer.baseAddress!, squares = sums + k
                sums.initialize(repeating: 0, count: 2 * k)
                for bi in 0..<b {
                    let row = x + bi * c + lo
                    for j in 0..<k { sums[j] += Double(zero + row[j]) }
                }
                for j in 0..<k { mu[lo + j] = Float(sums[j] / Double(n)) }
                let centers = mu + lo
                for bi in 0..<b {
                    let row = x + bi * c + lo
                    for j in 0..<k {
                        let d = row[j] - centers[j]
                        squares[j] += Double(zero + d * d)
                    }
                }
                trainingStatistics(
                    sums: sums, squares: squares, count: n, channels: channels, momentum: mo, epsilon: eps,
                    runningMean: runMean, runningVariance: runVar, inverseStd: inv)
            }
        } else {
            evaluationStatistics(
                channels: channels, epsilon: eps, runningMean: runMean, runningVariance: runVar, means: mu,
                inverseStd: inv)
        }
        let means = mu + lo, invs = inv + lo, gammas = gamma + lo, betas = beta + lo
        for bi in 0..<b {
            let src = x + bi * c + lo, dst = y + bi * c + lo
            if rectifying {
                for j in 0..<k {
                    let v = gammas[j] * ((src[j] - means[j]) * invs[j]) + betas[j]
                    dst[j] = v > 0 ? v : 0  // as Activation's ReLU: NaN -> 0
                }
            } else {
                for j in 0..<k { dst[j] = gammas[j] * ((src[j] - means[j]) * invs[j]) + betas[j] }
            }
        }
    }

    /// The small-plane backward passes' channel sums turned into what follows: dgamma += Σ dy x̂,
    /// dbeta += Σ dy; then, when dx is wanted (the return value), the sums become the means dx
    /// subtracts (0 in evaluation), in place.
    @inline(__always)
    static func finishSums(
        _ sumDy: UnsafeMutablePointer<Float>, _ sumDyXhat: UnsafeMutablePointer<Float>, channels: Range<Int>,
        values n: Int, trained: Bool, needInputGradient: Bool, weightGradient dgamma: UnsafeMutablePointer<Float>,
        biasGradient dbeta: UnsafeMutablePointer<Float>
    ) -> Bool {
        let lo = channels.lowerBound
        for j in 0..<channels.count {
            dgamma[lo + j] += sumDyXhat[j]
            dbeta[lo + j] += sumDy[j]
        }
        guard needInputGradient else { return false }
        for j in 0..<channels.count {
            sumDy[j] = trained ? sumDy[j] / Float(n) : 0
            sumDyXhat[j] = trained ? sumDyXhat[j] / Float(n) : 0
        }
        return true
    }

    /// `smallPlaneBackward` for planes of one value, as `planeOfOneForward`: the general path's
    /// numbers bit for bit, in loops over a sample's row of channels.
    static func planeOfOneBackward(
        _ dy: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
        batch b: Int, features c: Int, channels: Range<Int>, trained: Bool, rectified: Bool,
        needInputGradient: Bool, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
        means mu: UnsafeMutablePointer<Float>, inverseStd inv: UnsafeMutablePointer<Float>,
        weightGradient dgamma: UnsafeMutablePointer<Float>, biasGradient dbeta: UnsafeMutablePointer<Float>
    ) {
        let lo = channels.lowerBound, k = channels.count, n = b
        let zero: Float = 0
        let means = mu + lo, invs = inv + lo, gammas = gamma + lo, betas = beta + lo
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { buffer in
            let sumDy = buffer.baseAddress!, sumDyXhat = sumDy + k
            sumDy.initialize(repeating: 0, count: 2 * k)
            for bi in 0..<b {
                let xs = x + bi * c + lo, ds = dy + bi * c + lo
                if rectified {
                    for j in 0..<k {
                        let h = (xs[j] - means[j]) * invs[j], d = ds[j]
                        let gi: Float = gammas[j] * h + betas[j] > 0 ? d : 0
                        sumDy[j] += zero + gi
                        sumDyXhat[j] += zero + gi * h
                    }
                } else {
                    for j in 0..<k {
                        let h = (xs[j] - means[j]) * invs[j], d = ds[j]
                        sumDy[j] += zero + d
                        sumDyXhat[j] += zero + d * h
                    }
                }
            }
            guard Self.finishSums(
                sumDy, sumDyXhat, channels: channels, values: n, trained: trained,
                needInputGradient: needInputGradient, weightGradient: dgamma, biasGradient: dbeta)
            else { return }
            let meanDy = sumDy, meanDyXhat = sumDyXhat
            for bi in 0..<b {
                let xs = x + bi * c + lo, ds = dy + bi * c + lo, out = dx + bi * c + lo
                if rectified {
                    for j in 0..<k {
                        let h = (xs[j] - means[j]) * invs[j], d = ds[j]
                        let gi: Float = gammas[j] * h + betas[j] > 0 ? d : 0
                        out[j] = gammas[j] * invs[j] * (gi - meanDy[j] - h * meanDyXhat[j])
                    }
                } else {
                    for j in 0..<k {
                        let h = (xs[j] - means[j]) * invs[j]
                        out[j] = gammas[j] * invs[j] * (ds[j] - meanDy[j] - h * meanDyXhat[j])
                    }
                }
            }
        }
    }

    /// `backward` over `channels` for planes of s < 16 values: the parameter gradients and, when
    /// asked, dx.
    static func smallPlaneBackward(
        _ dy: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
        batch b: Int, features c: Int, plane s: Int, channels: Range<Int>, trained: Bool, rectified: Bool,
        needInputGradient: Bool, gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
        means mu: UnsafeMutablePointer<Float>, inverseStd inv: UnsafeMutablePointer<Float>,
        weightGradient dgamma: UnsafeMutablePointer<Float>, biasGradient dbeta: UnsafeMutablePointer<Float>
    ) {
        let lo = channels.lowerBound, k = channels.count, n = b * s
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { buffer in
            let sumDy = buffer.baseAddress!, sumDyXhat = sumDy + k
            sumDy.initialize(repeating: 0, count: 2 * k)
            for bi in 0..<b {
                let first = (bi * c + lo) * s
                for j in 0..<k {
                    let ch = lo + j, mean = mu[ch], invStd = inv[ch], gm = gamma[ch], bt = beta[ch], o = first + j * s
                    // dy loaded whatever the mask (a select, not a branch that mispredicts on random signs)
                    var total: Float = 0, dot: Float = 0
                    if rectified {
                        for i in 0..<s {
                            let h = (x[o + i] - mean) * invStd, d = dy[o + i]
                            let gi: Float = gm * h + bt > 0 ? d : 0
                            total += gi
                            dot += gi * h
                        }
                    } else {
                        for i in 0..<s {
                            let h = (x[o + i] - mean) * invStd, d = dy[o + i]
                            total += d
                            dot += d * h
                        }
                    }
                    sumDy[j] += total
                    sumDyXhat[j] += dot
                }
            }
            guard Self.finishSums(
                sumDy, sumDyXhat, channels: channels, values: n, trained: trained,
                needInputGradient: needInputGradient, weightGradient: dgamma, biasGradient: dbeta)
            else { return }
            let meanDy = sumDy, meanDyXhat = sumDyXhat
            for bi in 0..<b {
                let first = (bi * c + lo) * s
                for j in 0..<k {
                    let ch = lo + j, mean = mu[ch], invStd = inv[ch], gm = gamma[ch], bt = beta[ch], o = first + j * s
                    let scale = gm * invStd, md = meanDy[j], mx = meanDyXhat[j]
                    if rectified {
                        for i in 0..<s {
                            let h = (x[o + i] - mean) * invStd, d = dy[o + i]
                            let gi: Float = gm * h + bt > 0 ? d : 0
                            dx[o + i] = scale * (gi - md - h * mx)
                        }
                    } else {
                        for i in 0..<s {
                            let h = (x[o + i] - mean) * invStd
                            dx[o + i] = scale * (dy[o + i] - md - h * mx)
                        }
                    }
                }
            }
        }
    }
}
