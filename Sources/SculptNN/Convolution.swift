import SculptCore

/// A 2-D convolution over NCHW batches (PyTorch's `Conv2d`): weight `[O, I, k, k]`, bias `[O]`,
/// the same stride and zero padding in both directions.
///
/// Lowered to sgemm over chunks of samples: a chunk's column matrix `(I*k*k, S*OH*OW)` is small
/// enough to stay in cache between im2col and the product, and backward recomputes it (cheaper
/// than keeping the whole batch's columns, 29 MB for W3's second layer). With
/// `Parallel.threads > 1` the chunks are spread over workers, each running single-threaded
/// sgemm on its own buffers; weight gradients are summed over workers in a fixed order, so a
/// run is reproducible for a given thread count.
public final class Conv2D: Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    /// The default of `chunkElements`: 512 KB, half of one core's L2 cache (2^16 to 2^19
    /// measured within noise of each other on W3, 2^20 and more about 10% slower).
    public static let defaultChunkElements = 1 << 17

    /// Floats per chunk's column matrix; a layer's own setting (tests use small chunks to cover
    /// several chunks per batch), at least 1.
    public var chunkElements = Conv2D.defaultChunkElements {
        didSet { precondition(chunkElements >= 1, "chunkElements must be >= 1, got \(chunkElements)") }
    }

    /// One worker's buffers.
    private final class Workspace {
        let columns = Tensor(zeros: [0])     // (K, S*P), K = I*k*k, P = OH*OW
        let product = Tensor(zeros: [0])     // (O, S*P): W columns, or dy regrouped by channel
        let weightGrad = Tensor(zeros: [0])  // (O, K), this worker's share of dW
        let biasGrad = Tensor(zeros: [0])    // (O)
    }

    private var workspaces: [Workspace] = []
    private let output = Tensor(zeros: [0])      // y (B, O, OH, OW)
    private let gradInput = Tensor(zeros: [0])   // dx (B, I, H, W)
    private var input: Tensor?                   // x (B, I, H, W), kept for backward
    private var geometry: WindowGeometry?

    /// A layer with the given tensors: weight `[O, I, k, k]`, bias `[O]`.
    public init(weight: Tensor, bias: Tensor?, stride: Int = 1, padding: Int = 0) {
        precondition(weight.rank == 4 && weight.count > 0 && weight.shape[2] == weight.shape[3],
                     "Conv2D weight must be [O, I, k, k], got \(weight.shape)")
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "Conv2D bias \(bias.shape) for weight \(weight.shape)")
        }
        precondition(
            stride >= 1 && padding >= 0, "Conv2D needs stride >= 1 and padding >= 0, got \(stride), \(padding)")
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
        self.stride = stride
        self.padding = padding
    }

    /// A layer initialized with `initializer` (fan-in I*k*k, fan-out O*k*k, as PyTorch).
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                            bias: Bool = true, initializer: Initializer = .pytorchDefault, rng: inout RandomSource) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0,
                     "Conv2D needs positive sizes, got \(inputChannels) -> \(outputChannels), kernel \(kernelSize)")
        let w = Tensor(zeros: [outputChannels, inputChannels, kernelSize, kernelSize])
        let b = bias ? Tensor(zeros: [outputChannels]) : nil
        let area = kernelSize * kernelSize
        initializer.initialize(
            weight: w, bias: b, fanIn: inputChannels * area, fanOut: outputChannels * area, using: &rng)
        self.init(weight: w, bias: b, stride: stride, padding: padding)
    }

    /// Input channels.
    public var inputChannels: Int { weight.value.shape[1] }
    /// Output channels (filters, the layer's units).
    public var outputChannels: Int { weight.value.shape[0] }
    /// Kernel height and width.
    public var kernelSize: Int { weight.value.shape[2] }

    public var spec: LayerSpec {
        .conv2d(inputs: inputChannels, outputs: outputChannels, kernel: kernelSize, stride: stride, padding: padding,
                bias: bias != nil)
    }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var p: [(name: String, parameter: Parameter)] = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    /// Samples per chunk, chunk count and worker count for a batch.
    private func plan(_ g: WindowGeometry, batch: Int) -> (samples: Int, chunks: Int, workers: Int) {
        let samples = Swift.max(1, Swift.min(batch, chunkElements / Swift.max(g.patchSize * g.outputPlane, 1)))
        let chunks = (batch + samples - 1) / samples
        let workers = Swift.max(1, Swift.min(Parallel.threads, chunks))
        while workspaces.count < workers { workspaces.append(Workspace()) }
        return (samples, chunks, workers)
    }

    /// Runs `body(workspace, firstSample, sampleCount)` for every chunk, spread over workers
    /// (worker w takes chunks w, w + workers, ...).
    private func forEachChunk(batch: Int, samples: Int, chunks: Int, workers: Int,
                              _ body: (Workspace, Int, Int) -> Void) {
        let spaces = workspaces
        func run(_ w: Int) {
            var c = w
            while c < chunks {
                let start = c * samples
                body(spaces[w], start, Swift.min(samples, batch - start))
                c += workers
            }
        }
        if workers == 1 { run(0) } else { BLAS.singleThreaded { Parallel.forEach(workers: workers, run) } }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, I, H, W), W is (O, K) with K = I*k*k, y is (B, O, OH, OW); per chunk of S samples:
        // cols (K, S*P) = im2col(x chunk); product (O, S*P) = W cols; y chunk = regroup(product) + bias
        precondition(x.rank == 4 && x.shape[1] == inputChannels, "\(spec.summary) got input \(x.shape)")
        let g = WindowGeometry(channels: inputChannels, height: x.shape[2], width: x.shape[3], kernelHeight: kernelSize,
                               kernelWidth: kernelSize, stride: stride, padding: padding)
        let b = x.shape[0], k = g.patchSize, p = g.outputPlane, o = outputChannels,
            inSample = inputChannels * g.inputPlane
        geometry = g
        input = x
        output.resize([b, o, g.outputHeight, g.outputWidth])
        let (samples, chunks, workers) = plan(g, batch: b)
        for w in workspaces.prefix(workers) {
            w.columns.resize([k, samples * p])
            w.product.resize([o, samples * p])
        }
        let xs = x.data, ys = output.data, wv = weight.value.data, bv = bias?.value.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let n = count * p, cols = space.columns.data, prod = space.product.data
            Im2Col.pack(xs + start * inSample, geometry: g, batchRange: 0..<count, cols: cols, leadingDimension: n)
            // product starts as the bias and takes beta = 1 (OpenBLAS's separate beta = 0 pass is slower than a fill)
            for oc in 0..<o { (prod + oc * n).update(repeating: bv?[oc] ?? 0, count: n) }
            BLAS.gemm(
                transA: false, transB: false, m: o, n: n, k: k, a: wv, lda: k, b: cols, ldb: n, beta: 1, c: prod, ldc: n
            )
            // regroup (O, S, P) -> (S, O, P)
            let dst = ys + start * o * p
            for bi in 0..<count {
                for oc in 0..<o { (dst + (bi * o + oc) * p).update(from: prod + oc * n + bi * p, count: p) }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dy is (B, O, OH, OW); per chunk: dy' (O, S*P) = regroup(dy chunk); db (O) += row sums of dy';
        // cols = im2col(x chunk); dW (O, K) += dy' cols^T; dcols (K, S*P) = W^T dy'; dx chunk = col2im(dcols)
        guard let g = geometry, let x = input else { preconditionFailure("Conv2D.backward before forward") }
        let b = x.shape[0], k = g.patchSize, p = g.outputPlane, o = outputChannels,
            inSample = inputChannels * g.inputPlane
        precondition(dy.count == b * o * p, "\(spec.summary) backward got \(dy.shape)")
        if needInputGradient { gradInput.resize([b, inputChannels, g.height, g.width]) }
        let (samples, chunks, workers) = plan(g, batch: b)
        for w in workspaces.prefix(workers) {
            w.columns.resize([k, samples * p])
            w.product.resize([o, samples * p])
            if workers > 1 {
                w.weightGrad.resize([o, k]); w.weightGrad.fill(0)
                w.biasGrad.resize([o]); w.biasGrad.fill(0)
            }
        }
        let xs = x.data, gs = dy.data, dxs = gradInput.data, wv = weight.value.data
        let hasBias = bias != nil
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let n = count * p, cols = space.columns.data, dyc = space.product.data
            let dw = workers > 1 ? space.weightGrad.data : weight.grad.data
            let src = gs + start * o * p
            for bi in 0..<count {
                for oc in 0..<o { (dyc + oc * n + bi * p).update(from: src + (bi * o + oc) * p, count: p) }
            }
            if hasBias, let db = workers > 1 ? space.biasGrad.data : bias?.grad.data {
                for oc in 0..<o { db[oc] += Kernels.sum(dyc + oc * n, count: n) }
            }
            Im2Col.pack(xs + start * inSample, geometry: g, batchRange: 0..<count, cols: cols, leadingDimension: n)
            BLAS.gemm(
                transA: false, transB: true, m: o, n: k, k: n, a: dyc, lda: n, b: cols, ldb: n, beta: 1, c: dw, ldc: k)
            if needInputGradient {
                cols.update(repeating: 0, count: k * n)
                BLAS.gemm(
                    transA: true, transB: false, m: k, n: n, k: o, a: wv, lda: k, b: dyc, ldb: n, beta: 1, c: cols,
                    ldc: n)
                Im2Col.unpack(
                    cols, leadingDimension: n, geometry: g, batchRange: 0..<count, into: dxs + start * inSample)
            }
        }
        if workers > 1 {
            for space in workspaces.prefix(workers) {
                BLAS.axpy(n: o * k, alpha: 1, x: space.weightGrad.data, y: weight.grad.data)
                if let bias { BLAS.axpy(n: o, alpha: 1, x: space.biasGrad.data, y: bias.grad.data) }
            }
        }
        return needInputGradient ? gradInput : nil
    }
}
