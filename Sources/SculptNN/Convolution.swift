import SculptCore

/// A 2-D convolution over NCHW batches (PyTorch's `Conv2d`): weight `[O, I, kH, kW]`, bias `[O]`,
/// the same stride and zero padding in both directions.
///
/// Lowered to sgemm over chunks of samples: the chunk's column matrix `(I*kH*kW, S*OH*OW)` is
/// small enough to stay in cache between im2col and the product, and backward recomputes it
/// (cheaper than keeping the whole batch's columns, which for W3's second layer is 29 MB).
public final class Conv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    private let columns = Tensor(zeros: [0])     // (K, S*P) for a chunk of S samples, K = I*kH*kW, P = OH*OW
    private let product = Tensor(zeros: [0])     // (O, S*P): W x columns, or dy regrouped by channel
    private var input: Tensor?                   // x (B, I, H, W), kept for backward
    private let output = Tensor(zeros: [0])      // y (B, O, OH, OW)
    private let gradInput = Tensor(zeros: [0])   // dx (B, I, H, W)
    private var geometry: WindowGeometry?

    /// A layer with the given tensors: weight `[O, I, kH, kW]`, bias `[O]`.
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) {
        precondition(weight.rank == 4 && weight.count > 0 && weight.shape[2] == weight.shape[3],
                     "Conv2D weight must be [O, I, k, k], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Conv2D bias \(bias.shape) for weight \(weight.shape)") }
        precondition(stride >= 1 && padding >= 0, "Conv2D needs stride >= 1 and padding >= 0, got \(stride), \(padding)")
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
    }

    /// A layer initialized with `initializer` (fan-in I*kH*kW, fan-out O*kH*kW, as PyTorch).
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, initializer: Initializer = .pytorchDefault, rng: inout RandomSource) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv2D needs positive sizes, got \(inputChannels) -> \(outputChannels), kernel \(kernelSize)")
        let w = Tensor(zeros: [outputChannels, inputChannels, kernelSize, kernelSize])
        let b = bias ? Tensor(zeros: [outputChannels]) : nil
        let area = kernelSize * kernelSize
        initializer.initialize(weight: w, bias: b, fanIn: inputChannels * area, fanOut: outputChannels * area, using: &rng)
        self.init(weight: w, bias: b, stride: stride, padding: padding)
    }

    /// Input channels.
    public var inputChannels: Int { weight.value.shape[1] }
    /// Output channels (filters, the layer's units).
    public var outputChannels: Int { weight.value.shape[0] }
    /// Kernel height.
    public var kernelHeight: Int { weight.value.shape[2] }
    /// Kernel width.
    public var kernelWidth: Int { weight.value.shape[3] }

    public var spec: LayerSpec {
        .conv2d(inputs: inputChannels, outputs: outputChannels, kernel: kernelHeight, stride: stride, padding: padding,
                bias: bias != nil)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var p: [(name: String, parameter: Parameter)] = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    /// Samples per chunk: the chunk's column matrix stays near `chunkElements` floats, so it
    /// lives in cache between im2col and sgemm.
    nonisolated(unsafe) public static var chunkElements = 1 << 18

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, I, H, W), W is (O, K) with K = I*kH*kW, y is (B, O, OH, OW); per chunk of S samples:
        // cols (K, S*P) = im2col(x chunk); product (O, S*P) = W cols; y chunk = regroup(product) + bias
        precondition(x.rank == 4 && x.shape[1] == inputChannels, "\(spec.summary) got input \(x.shape)")
        let g = WindowGeometry(channels: inputChannels, height: x.shape[2], width: x.shape[3], kernelHeight: kernelHeight,
                               kernelWidth: kernelWidth, stride: stride, padding: padding)
        let b = x.shape[0], k = g.patchSize, p = g.outputPlane, o = outputChannels, inSample = inputChannels * g.inputPlane
        geometry = g
        input = x
        let chunk = chunkSamples(g, batch: b)
        columns.resize([k, chunk * p])
        product.resize([o, chunk * p])
        output.resize([b, o, g.outputHeight, g.outputWidth])
        var start = 0
        while start < b {
            let samples = Swift.min(chunk, b - start), n = samples * p
            Im2Col.pack(x.data + start * inSample, geometry: g, batchRange: 0..<samples, cols: columns.data, leadingDimension: n)
            BLAS.gemm(transA: false, transB: false, m: o, n: n, k: k, a: weight.value.data, lda: k,
                      b: columns.data, ldb: n, beta: 0, c: product.data, ldc: n)
            // regroup (O, S, P) -> (S, O, P), adding the bias
            let src = product.data, dst = output.data + start * o * p
            for bi in 0..<samples {
                for oc in 0..<o {
                    let s = src + oc * n + bi * p, d = dst + (bi * o + oc) * p
                    if let bias {
                        let v = bias.value.data[oc]
                        for i in 0..<p { d[i] = s[i] + v }
                    } else {
                        d.update(from: s, count: p)
                    }
                }
            }
            start += samples
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dy is (B, O, OH, OW); per chunk: dy' (O, S*P) = regroup(dy chunk); db (O) += row sums of dy';
        // cols = im2col(x chunk); dW (O, K) += dy' cols^T; dcols (K, S*P) = W^T dy'; dx chunk = col2im(dcols)
        guard let g = geometry, let x = input else { preconditionFailure("Conv2D.backward before forward") }
        let b = x.shape[0], k = g.patchSize, p = g.outputPlane, o = outputChannels, inSample = inputChannels * g.inputPlane
        precondition(dy.count == b * o * p, "\(spec.summary) backward got \(dy.shape)")
        if needInputGradient { gradInput.resize([b, inputChannels, g.height, g.width]) }
        let chunk = chunkSamples(g, batch: b)
        var start = 0
        while start < b {
            let samples = Swift.min(chunk, b - start), n = samples * p
            let src = dy.data + start * o * p, dyc = product.data
            for bi in 0..<samples {
                for oc in 0..<o { (dyc + oc * n + bi * p).update(from: src + (bi * o + oc) * p, count: p) }
            }
            if let bias {
                let db = bias.grad.data
                for oc in 0..<o {
                    let row = dyc + oc * n
                    var sum: Float = 0
                    for i in 0..<n { sum += row[i] }
                    db[oc] += sum
                }
            }
            Im2Col.pack(x.data + start * inSample, geometry: g, batchRange: 0..<samples, cols: columns.data, leadingDimension: n)
            BLAS.gemm(transA: false, transB: true, m: o, n: k, k: n, a: dyc, lda: n, b: columns.data, ldb: n,
                      beta: 1, c: weight.grad.data, ldc: k)
            if needInputGradient {
                BLAS.gemm(transA: true, transB: false, m: k, n: n, k: o, a: weight.value.data, lda: k, b: dyc, ldb: n,
                          beta: 0, c: columns.data, ldc: n)
                let dx = gradInput.data + start * inSample
                dx.update(repeating: 0, count: samples * inSample)
                Im2Col.accumulate(columns.data, leadingDimension: n, geometry: g, batchRange: 0..<samples, into: dx)
            }
            start += samples
        }
        return needInputGradient ? gradInput : nil
    }

    private func chunkSamples(_ g: WindowGeometry, batch: Int) -> Int {
        Swift.max(1, Swift.min(batch, Self.chunkElements / Swift.max(g.patchSize * g.outputPlane, 1)))
    }
}
