import SculptCore
import Synchronization

/// A 2-D convolution over NCHW batches (PyTorch's `Conv2d`): weight `[O, I, k, k]`, bias `[O]`,
/// the same stride and zero padding in both directions.
///
/// Lowered to sgemm over chunks of samples: a chunk's column matrix `(I*k*k, S*OH*OW)` is small
/// enough to stay in cache between im2col and the product, and backward recomputes it (cheaper
/// than keeping the whole batch's columns, 29 MB for W3's second layer). 3x3 stride-1 layers
/// with at least 16 input and output channels and outputs of 6x6 or more take Winograd's
/// F(2x2, 3x3) instead for the forward pass and both gradients (`Winograd`, 2.25x fewer
/// multiplies; see `algorithm`; F(4x4, 3x3) on request), or, for such layers with channel counts that
/// are multiples of 16 and few channels or odd-sized outputs, a direct convolution on channel-minor
/// planes (`Conv2D+Direct.swift`). A 1x1 input with a 1x1 output, which
/// reads only the kernel's center tap, runs as a dense layer on that tap (`usesCenterTap`); other
/// small padded outputs (at most 4x4) multiply tap by tap over the positions each tap reaches,
/// skipping the products with padding that im2col computes (`usesTaps`).
/// With `Parallel.threads > 1` the chunks are
/// spread over workers, each running single-threaded sgemm on its own buffers; weight gradients
/// are summed over workers in a fixed order, so a run is reproducible for a given thread count.
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

    /// How the layer's products are computed.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// Winograd F(2x2, 3x3) where it pays: 3x3 kernel, stride 1, padding at most 2, at least
        /// `winogradMinimumChannels` input and output channels, and an output whose 2x2 tiles
        /// waste little (`Winograd.pays`), unless the direct path is faster there
        /// (`usesDirect`); im2col otherwise. F(4x4, 3x3) is never chosen automatically (see
        /// `Winograd.Tile`).
        case automatic
        /// im2col + sgemm always.
        case im2col
        /// Winograd F(2x2, 3x3) wherever the geometry allows it (3x3, stride 1, padding <= 2).
        case winograd
        /// Winograd F(4x4, 3x3) wherever the geometry allows it (fewer multiplies, more rounding
        /// and, measured here, no faster: see `Winograd.Tile`).
        case winograd4x4
        /// Direct convolution on channel-minor planes (`DirectConvolution`) wherever the geometry
        /// allows it: 3x3, stride 1, padding <= 2, input and output channels multiples of 16. Its
        /// kernels are fused multiply-adds: in a portable x86-64 build (`SCULPT_PORTABLE=1`, no FMA
        /// instruction) each is a library call per lane and the path runs about 100x slower (W7's
        /// layers, measured), which is why `.automatic` takes it only in host-tuned builds and on arm64.
        case direct
    }

    /// The default of `samplewiseMinimumPlane`: W3's first layer (28x28 outputs) gains 15-20%.
    public static let defaultSamplewiseMinimumPlane = 256

    /// The smallest output plane (OH*OW) for which the im2col path multiplies sample by sample,
    /// reading dy and writing y in place, instead of once per chunk with dy and y regrouped
    /// through a buffer (below it the per-sample products are too short for sgemm); a layer's
    /// own setting (tests compare both ways), at least 1.
    public var samplewiseMinimumPlane = Conv2D.defaultSamplewiseMinimumPlane {
        didSet {
            precondition(samplewiseMinimumPlane >= 1, "samplewiseMinimumPlane must be >= 1, got \(samplewiseMinimumPlane)")
        }
    }

    /// The fewest input and output channels for which `.automatic` takes Winograd: its 16
    /// products have the channel counts as their sizes, and below 16 sgemm runs too far from
    /// its peak to win back the transforms.
    public static let winogradMinimumChannels = 16

    /// The algorithm of this layer's passes (a runtime choice, not part of the architecture; the
    /// results agree to rounding, see `WinogradTests`).
    public var algorithm = Algorithm.automatic

    /// The default of `winogradChunkElements`: 1 MB of transformed input per chunk.
    public static let defaultWinogradChunkElements = 1 << 18

    /// Floats per chunk's transformed tiles `(points, max(I, O), S*tiles)` on the Winograd path.
    public var winogradChunkElements = Conv2D.defaultWinogradChunkElements {
        didSet {
            precondition(winogradChunkElements >= 1, "winogradChunkElements must be >= 1, got \(winogradChunkElements)")
        }
    }

    /// The Winograd tile an input of `height x width` takes (forward, input and weight
    /// gradients), or nil for im2col.
    public func winogradTile(height: Int, width: Int) -> Winograd.Tile? {
        Conv2D.winogradTile(
            inputs: inputChannels, outputs: outputChannels, kernel: kernelSize, stride: stride, padding: padding,
            height: height, width: width, algorithm: algorithm)
    }

    /// Whether an input of `height x width` takes the Winograd path.
    public func usesWinograd(height: Int, width: Int) -> Bool { winogradTile(height: height, width: width) != nil }

    /// The Winograd tile a layer of these sizes takes on an input of `height x width` under
    /// `algorithm`, or nil for im2col (the rule `winogradTile(height:width:)` applies, for callers
    /// that have only an architecture, as `MemoryEstimate`).
    public static func winogradTile(inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, height: Int,
                                    width: Int, algorithm: Algorithm = .automatic) -> Winograd.Tile? {
        guard kernel == 3 && stride == 1 && padding <= 2 else { return nil }
        let oh = height + 2 * padding - 2, ow = width + 2 * padding - 2
        switch algorithm {
        case .im2col, .direct: return nil
        case .winograd: return .f2x2
        case .winograd4x4: return .f4x4
        case .automatic:
            guard !usesDirect(inputs: inputs, outputs: outputs, kernel: kernel, stride: stride, padding: padding,
                              height: height, width: width, algorithm: algorithm)
                && Swift.min(inputs, outputs) >= Conv2D.winogradMinimumChannels
                && Winograd.pays(outputHeight: oh, outputWidth: ow, tile: .f2x2)
            else { return nil }
            return .f2x2
        }
    }

    /// Whether a layer of these sizes takes the Winograd path (`winogradTile` is not nil).
    public static func usesWinograd(inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, height: Int,
                                    width: Int, algorithm: Algorithm = .automatic) -> Bool {
        winogradTile(inputs: inputs, outputs: outputs, kernel: kernel, stride: stride, padding: padding,
                     height: height, width: width, algorithm: algorithm) != nil
    }

    /// One worker's buffers (internal: the tap path in Conv2D+Taps.swift shares them).
    final class Workspace {
        let columns = Tensor(zeros: [0])     // (K, S*P), K = I*k*k, P = OH*OW; direct: dx channel-minor (a sample)
        let product = Tensor(zeros: [0])     // (O, S*P): W columns, or dy regrouped by channel
        let weightGrad = Tensor(zeros: [0])  // (O, K), this worker's share of dW
        let biasGrad = Tensor(zeros: [0])    // (O)
        let tiles = Tensor(zeros: [0])       // Winograd V (points, I, T) of x; backward also M (points, I, T') of dx;
                                             // direct: x packed channel-minor (a sample, or a chunk in backward)
        let tileProduct = Tensor(zeros: [0]) // Winograd M (points, O, T); backward Ŷ, then V (points, O, T') of dy;
                                             // direct: y channel-minor (a sample), backward the chunk's dy packed
        let filterGrad = Tensor(zeros: [0])  // Winograd dU (points, O, I), direct dW blocked; this worker's share
    }

    var workspaces: [Workspace] = []
    let filters = Tensor(zeros: [0])     // Winograd U (points, O, I), or (points, I, O) flipped for dx; direct: packed
    let inputTiles = Tensor(zeros: [0])  // Winograd V of a training forward's x, chunk by chunk (points, I, ld);
                                         // direct: x packed channel-minor, sample by sample
    var inputTilesChunk = 0              // samples per chunk of `inputTiles`; 0 when it is not current
    let output = Tensor(zeros: [0])              // y (B, O, OH, OW)
    let gradInput = Tensor(zeros: [0])           // dx (B, I, H, W)
    private var input: Tensor?                   // x (B, I, H, W), kept for backward
    private var geometry: WindowGeometry?
    private var passTile: Winograd.Tile?         // the last forward's Winograd tile, nil for im2col (backward follows it)
    private var passDirect = false               // the last forward took the direct path (backward follows it)
    private var passCenterTap = false            // the last forward took the center-tap path (backward follows it)
    private var passTaps = false                 // the last forward took the tap path (backward follows it)
    let tapWeights = Tensor(zeros: [0])          // W by tap (k*k, O, I) of the last tap-path forward
    private let centerWeights = Tensor(zeros: [0])  // W[:, :, p, p] (O, I) of the last center-tap forward
    private let centerGrad = Tensor(zeros: [0])     // its gradient (O, I)

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

    /// Samples per chunk, chunk count and worker count for a batch on the im2col path.
    private func plan(_ g: WindowGeometry, batch: Int) -> (samples: Int, chunks: Int, workers: Int) {
        plan(perSample: g.patchSize * g.outputPlane, budget: chunkElements, batch: batch)
    }

    /// Samples per chunk, chunk count and worker count for a batch (`chunkPlan`), with a
    /// workspace for every worker.
    func plan(perSample: Int, budget: Int, batch: Int) -> (samples: Int, chunks: Int, workers: Int) {
        let (samples, chunks, workers) = Conv2D.chunkPlan(
            perSample: perSample, budget: budget, batch: batch, threads: Parallel.threads)
        while workspaces.count < workers { workspaces.append(Workspace()) }
        return (samples, chunks, workers)
    }

    /// How a batch is cut into chunks: samples per chunk (as many as fit `budget` floats at
    /// `perSample` each), the chunk count, and the workers (worker w takes chunks w, w + workers,
    /// ...). With several threads the chunks are evened out to a multiple of the thread count so
    /// that every worker gets about the same number of samples: filling each chunk to the budget
    /// cut W7's batch of 128 into chunks of 113 and 15 on its last two layers (one worker did 88%
    /// of the work) and into 5 chunks of 25 and one of 3 on its 3x3 layers (75 samples against
    /// 53). One thread keeps the full chunks, and with them its numbers.
    public static func chunkPlan(perSample: Int, budget: Int, batch: Int, threads: Int)
        -> (samples: Int, chunks: Int, workers: Int) {
        var samples = Swift.max(1, Swift.min(batch, budget / Swift.max(perSample, 1)))
        var chunks = (batch + samples - 1) / samples
        let threads = Swift.max(1, Swift.min(threads, batch))
        if threads > 1 {
            let even = (Swift.max(chunks, threads) + threads - 1) / threads * threads
            samples = (batch + even - 1) / even
            chunks = (batch + samples - 1) / samples
        }
        return (samples, chunks, Swift.min(threads, chunks))
    }

    /// The bias-gradient sums of a backward pass, in one place for every path (direct, taps, im2col,
    /// Winograd): with several workers each sums its chunks into its own `Workspace.biasGrad`
    /// (zeroed here first), and `addWorkerBiasGradients` adds them worker by worker at the end, a
    /// fixed order; with one, chunks add straight into the bias's gradient.
    func resetWorkerBiasGradients(workers: Int) {
        guard workers > 1, bias != nil else { return }
        for space in workspaces.prefix(workers) { space.biasGrad.resize([outputChannels]); space.biasGrad.fill(0) }
    }

    /// Where a chunk run in `space` adds its bias-gradient sums (see `resetWorkerBiasGradients`); nil
    /// without a bias.
    func biasGradientSums(in space: Workspace, workers: Int) -> UnsafeMutablePointer<Float>? {
        guard let bias else { return nil }
        return workers > 1 ? space.biasGrad.data : bias.grad.data
    }

    /// Adds the workers' own bias-gradient sums (`Workspace.biasGrad`, kept when `workers > 1`) to
    /// the bias's gradient, worker by worker, as every backward path ends.
    func addWorkerBiasGradients(workers: Int) {
        guard workers > 1, let bias else { return }
        for space in workspaces.prefix(workers) {
            BLAS.axpy(n: outputChannels, alpha: 1, x: space.biasGrad.data, y: bias.grad.data)
        }
    }

    /// Runs `body(workspace, firstSample, sampleCount)` for every chunk, spread over workers: worker
    /// w takes chunks w, w + workers, ..., or, when `balanced`, chunk w and then whichever chunk is
    /// next when it is done (a worker slowed down, as a vCPU that the host deschedules, leaves its
    /// chunks to the others). `balanced` only for bodies whose results do not depend on which
    /// workspace ran a chunk (forward passes, sample by sample); the backward passes sum their
    /// weight gradients per worker and keep the fixed assignment, and with it their numbers.
    func forEachChunk(batch: Int, samples: Int, chunks: Int, workers: Int, balanced: Bool = false,
                              _ body: (Workspace, Int, Int) -> Void) {
        let spaces = workspaces
        let next = Atomic<Int>(workers)
        func run(_ w: Int) {
            var c = w
            while c < chunks {
                let start = c * samples
                body(spaces[w], start, Swift.min(samples, batch - start))
                c = balanced ? next.add(1, ordering: .relaxed).oldValue : c + workers
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
        passCenterTap = usesCenterTap(g)
        passDirect = !passCenterTap && usesDirect(height: g.height, width: g.width)
        passTile = passCenterTap || passDirect ? nil : winogradTile(height: g.height, width: g.width)
        passTaps = !passDirect && usesTaps(g)  // never with the center tap or a Winograd tile (usesTaps excludes both)
        inputTilesChunk = 0
        if passCenterTap {
            centerTapForward(x)
            return output
        }
        if passDirect {
            directForward(x, g, keepInput: training)
            return output
        }
        if passTaps {
            tapsForward(x, g)
            return output
        }
        if let tile = passTile {
            winogradForward(x, g, tile: tile, keepTiles: training)
            return output
        }
        let (samples, chunks, workers) = plan(g, batch: b)
        let samplewise = p >= samplewiseMinimumPlane
        for w in workspaces.prefix(workers) {
            w.columns.resize([k, samples * p])
            if !samplewise { w.product.resize([o, samples * p]) }
        }
        let xs = x.data, ys = output.data, wv = weight.value.data, bv = bias?.value.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers, balanced: true) { space, start, count in
            let n = count * p, cols = space.columns.data, prod = space.product.data
            Im2Col.pack(xs + start * inSample, geometry: g, batchRange: 0..<count, cols: cols, leadingDimension: n)
            if samplewise {
                // one product per sample, straight into y (starting as the bias, beta = 1): no regrouping
                for bi in 0..<count {
                    let yb = ys + (start + bi) * o * p
                    for oc in 0..<o { (yb + oc * p).update(repeating: bv?[oc] ?? 0, count: p) }
                    BLAS.gemm(
                        transA: false, transB: false, m: o, n: p, k: k, a: wv, lda: k, b: cols + bi * p, ldb: n,
                        beta: 1, c: yb, ldc: p)
                }
                return
            }
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

    /// Floats per chunk in `inputTiles`: one chunk's V `(points, I, ld)` at `samples` samples of
    /// `perSample` tiles; chunk `j` starts at `j` times this.
    private func keptTilesPerChunk(samples: Int, perSample: Int, tile: Winograd.Tile) -> Int {
        tile.points * inputChannels * Winograd.leadingDimension(tiles: samples * perSample)
    }

    /// y = conv(x) + bias by Winograd with `tile`, per chunk: V = transform(x chunk); M[ξ] = U[ξ] V[ξ]; y chunk = Aᵀ M A + bias.
    /// With `keepTiles` (a training pass) every chunk's V is kept in `inputTiles` for the weight
    /// gradient, which then need not transform x again (4x x's size: 13 MB for W3's second layer).
    private func winogradForward(_ x: Tensor, _ g: WindowGeometry, tile: Winograd.Tile, keepTiles: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, oh = g.outputHeight, ow = g.outputWidth
        let (th, tw) = Winograd.tiles(outputHeight: oh, outputWidth: ow, tile: tile)
        let n = tile.points, perSample = th * tw, inSample = c * g.inputPlane, outSample = o * g.outputPlane
        let (samples, chunks, workers) = plan(
            perSample: n * Swift.max(c, o) * perSample, budget: winogradChunkElements, batch: b)
        let chunkTiles = keptTilesPerChunk(samples: samples, perSample: perSample, tile: tile)
        for w in workspaces.prefix(workers) {
            let ld = Winograd.leadingDimension(tiles: samples * perSample)
            if !keepTiles { w.tiles.resize([n, c, ld]) }
            w.tileProduct.resize([n, o, ld])
        }
        if keepTiles {
            inputTiles.resize([chunks * chunkTiles])
            inputTilesChunk = samples
        }
        filters.resize([n, o, c])
        Winograd.transformFilters(weight.value.data, outputs: o, inputs: c, flipped: false, tile: tile, into: filters.data)
        let xs = x.data, ys = output.data, u = filters.data, bv = bias?.value.data, kept = inputTiles.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers, balanced: true) { space, start, count in
            let t = count * perSample, ld = Winograd.leadingDimension(tiles: t)
            let v = keepTiles ? kept + start / samples * chunkTiles : space.tiles.data, m = space.tileProduct.data
            Winograd.transformInput(
                xs + start * inSample, samples: count, channels: c, height: g.height, width: g.width,
                padding: padding, tile: tile, into: v, tiles: ld)
            for xi in 0..<n {
                BLAS.gemm(
                    transA: false, transB: false, m: o, n: t, k: c, a: u + xi * o * c, lda: c, b: v + xi * c * ld,
                    ldb: ld, c: m + xi * o * ld, ldc: ld)
            }
            Winograd.transformOutput(
                m, tiles: ld, samples: count, channels: o, outputHeight: oh, outputWidth: ow, tile: tile, bias: bv,
                into: ys + start * outSample)
        }
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dy is (B, O, OH, OW); per chunk: dy' (O, S*P) = regroup(dy chunk); db (O) += row sums of dy';
        // cols = im2col(x chunk); dW (O, K) += dy' cols^T; dcols (K, S*P) = W^T dy'; dx chunk = col2im(dcols)
        guard let g = geometry, let x = input else { preconditionFailure("Conv2D.backward before forward") }
        let b = x.shape[0], k = g.patchSize, p = g.outputPlane, o = outputChannels,
            inSample = inputChannels * g.inputPlane
        precondition(dy.count == b * o * p, "\(spec.summary) backward got \(dy.shape)")
        if needInputGradient { gradInput.resize([b, inputChannels, g.height, g.width]) }
        if passCenterTap {
            centerTapBackward(x, dy, needInputGradient: needInputGradient)
            return needInputGradient ? gradInput : nil
        }
        if passTaps {
            tapsBackward(x, dy, g, needInputGradient: needInputGradient)
            return needInputGradient ? gradInput : nil
        }
        if passDirect {
            directBackward(x, dy, g, needInputGradient: needInputGradient)
            return needInputGradient ? gradInput : nil
        }
        if let tile = passTile {
            winogradBackward(x, dy, g, tile: tile, needInputGradient: needInputGradient)
            return needInputGradient ? gradInput : nil
        }
        let (samples, chunks, workers) = plan(g, batch: b)
        let samplewise = p >= samplewiseMinimumPlane
        for w in workspaces.prefix(workers) {
            w.columns.resize([k, samples * p])
            if !samplewise { w.product.resize([o, samples * p]) }
            if workers > 1 { w.weightGrad.resize([o, k]); w.weightGrad.fill(0) }
        }
        resetWorkerBiasGradients(workers: workers)
        let xs = x.data, gs = dy.data, dxs = gradInput.data, wv = weight.value.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let n = count * p, cols = space.columns.data, dyc = space.product.data
            let dw = workers > 1 ? space.weightGrad.data : weight.grad.data
            let src = gs + start * o * p
            if samplewise {
                // one product per sample, straight from dy (no regrouping)
                if let db = biasGradientSums(in: space, workers: workers) {
                    for bi in 0..<count {
                        for oc in 0..<o { db[oc] += Kernels.sum(src + (bi * o + oc) * p, count: p) }
                    }
                }
                Im2Col.pack(
                    xs + start * inSample, geometry: g, batchRange: 0..<count, cols: cols, leadingDimension: n)
                for bi in 0..<count {
                    BLAS.gemm(
                        transA: false, transB: true, m: o, n: k, k: p, a: src + bi * o * p, lda: p, b: cols + bi * p,
                        ldb: n, beta: 1, c: dw, ldc: k)
                }
                guard needInputGradient else { return }
                for bi in 0..<count {
                    BLAS.gemm(
                        transA: true, transB: false, m: k, n: p, k: o, a: wv, lda: k, b: src + bi * o * p, ldb: p,
                        c: cols + bi * p, ldc: n)
                }
                Im2Col.unpack(
                    cols, leadingDimension: n, geometry: g, batchRange: 0..<count, into: dxs + start * inSample)
                return
            }
            for bi in 0..<count {
                for oc in 0..<o { (dyc + oc * n + bi * p).update(from: src + (bi * o + oc) * p, count: p) }
            }
            if let db = biasGradientSums(in: space, workers: workers) {
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
            }
        }
        addWorkerBiasGradients(workers: workers)
        return needInputGradient ? gradInput : nil
    }

    /// Whether an input of this geometry takes the center-tap path: a 1x1 input with a 1x1 output
    /// (VGG's last layers on 28x28 images, 3x3 kernels with padding 1) reads the input only
    /// through tap (padding, padding); the other taps see padding. The layer is then a dense
    /// layer with weights W[:, :, p, p]: 1/k² of im2col's multiply-adds, the same sums but for
    /// the zero terms and their order. Under `.automatic` only.
    public func usesCenterTap(_ g: WindowGeometry) -> Bool {
        algorithm == .automatic && g.height == 1 && g.width == 1 && g.outputPlane == 1 && padding < kernelSize
    }

    /// y (B, O) = x (B, I) W[:, :, p, p]ᵀ + bias.
    private func centerTapForward(_ x: Tensor) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, area = kernelSize * kernelSize
        let tap = padding * kernelSize + padding
        centerWeights.resize([o, c])
        let wc = centerWeights.data, wv = weight.value.data
        for oc in 0..<o { for ic in 0..<c { wc[oc * c + ic] = wv[(oc * c + ic) * area + tap] } }
        denseProduct(x.data, wc, bias: bias?.value.data, into: output.data, rows: b, inputs: c, outputs: o)
    }

    /// dW[:, :, p, p] += dyᵀ x; db += column sums of dy; dx (B, I) = dy W[:, :, p, p] (the forward's
    /// copy). The other taps' gradients are 0: they multiply padding.
    private func centerTapBackward(_ x: Tensor, _ dy: Tensor, needInputGradient: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, area = kernelSize * kernelSize
        let tap = padding * kernelSize + padding
        centerGrad.resize([o, c])
        let g = dy.data, xs = x.data, dwc = centerGrad.data, dw = weight.grad.data, db = bias?.grad.data
        BLAS.forBlocks(o, work: b * c * o) { units in
            guard !units.isEmpty else { return }
            BLAS.gemm(transA: true, transB: false, m: units.count, n: c, k: b, a: g + units.lowerBound, lda: o,
                      b: xs, ldb: c, beta: 0, c: dwc + units.lowerBound * c, ldc: c)
            for oc in units {
                for ic in 0..<c { dw[(oc * c + ic) * area + tap] += dwc[oc * c + ic] }
                if let db {
                    var sum: Float = 0
                    for bi in 0..<b { sum += g[bi * o + oc] }
                    db[oc] += sum
                }
            }
        }
        guard needInputGradient else { return }
        denseInputGradient(g, centerWeights.data, into: gradInput.data, rows: b, inputs: c, outputs: o)
    }

    /// The Winograd backward pass, per chunk: dU[ξ] += Ŷ[ξ] V[ξ]ᵀ with V of the x chunk and
    /// Ŷ = A dY Aᵀ of its dy tiles (dW = Gᵀ dU G once at the end); db += the tiles' sums, Ŷ's
    /// `Tile.sumPoint` plane (no second pass over dy); and dx as the 3x3
    /// convolution of dy (padding 2 - p) with the flipped, transposed filters, by the same tile.
    private func winogradBackward(_ x: Tensor, _ dy: Tensor, _ g: WindowGeometry, tile: Winograd.Tile,
                                  needInputGradient: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, oh = g.outputHeight, ow = g.outputWidth
        let p = g.outputPlane, inSample = c * g.inputPlane, n = tile.points
        let (th, tw) = Winograd.tiles(outputHeight: oh, outputWidth: ow, tile: tile)
        let (dxHigh, dxWide) = Winograd.tiles(outputHeight: g.height, outputWidth: g.width, tile: tile)
        let perSample = th * tw, dxPerSample = needInputGradient ? dxHigh * dxWide : 0
        let (samples, chunks, workers) = plan(
            perSample: n * Swift.max(c, o) * Swift.max(perSample, dxPerSample), budget: winogradChunkElements,
            batch: b)
        let ld = Winograd.leadingDimension(tiles: samples * Swift.max(perSample, dxPerSample))
        for w in workspaces.prefix(workers) {
            w.tiles.resize([n, c, ld])
            w.tileProduct.resize([n, o, ld])
            w.filterGrad.resize([n, o, c]); w.filterGrad.fill(0)
        }
        resetWorkerBiasGradients(workers: workers)
        if needInputGradient {
            filters.resize([n, c, o])
            Winograd.transformFilters(weight.value.data, outputs: o, inputs: c, flipped: true, tile: tile, into: filters.data)
        }
        let xs = x.data, gs = dy.data, dxs = gradInput.data, u = filters.data
        // the forward's V of x when it was kept with the same chunks (always at padding 1, where dx
        // has as many tiles as y)
        let keptTiles = inputTilesChunk == samples
        let chunkTiles = keptTilesPerChunk(samples: samples, perSample: perSample, tile: tile), kept = inputTiles.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let vx = keptTiles ? kept + start / samples * chunkTiles : space.tiles.data
            let gy = space.tileProduct.data, du = space.filterGrad.data
            let t = count * perSample, ldt = Winograd.leadingDimension(tiles: t)
            if !keptTiles {
                Winograd.transformInput(
                    xs + start * inSample, samples: count, channels: c, height: g.height, width: g.width,
                    padding: padding, tile: tile, into: vx, tiles: ldt)
            }
            Winograd.transformGradient(
                gs + start * o * p, samples: count, channels: o, outputHeight: oh, outputWidth: ow, tile: tile,
                into: gy, tiles: ldt)
            // db from the tiles' sums, one plane of Ŷ still in cache (a cropped tile's missing pixels are zero)
            if let db = biasGradientSums(in: space, workers: workers) {
                let sums = gy + tile.sumPoint * o * ldt
                for oc in 0..<o { db[oc] += Kernels.sum(sums + oc * ldt, count: t) }
            }
            for xi in 0..<n {
                BLAS.gemm(
                    transA: false, transB: true, m: o, n: c, k: t, a: gy + xi * o * ldt, lda: ldt,
                    b: vx + xi * c * ldt, ldb: ldt, beta: 1, c: du + xi * o * c, ldc: c)
            }
            guard needInputGradient else { return }
            let t2 = count * dxPerSample, ld2 = Winograd.leadingDimension(tiles: t2)
            let vdy = space.tileProduct.data, m = space.tiles.data
            Winograd.transformInput(
                gs + start * o * p, samples: count, channels: o, height: oh, width: ow, padding: 2 - padding,
                tile: tile, into: vdy, tiles: ld2)
            for xi in 0..<n {
                BLAS.gemm(
                    transA: false, transB: false, m: c, n: t2, k: o, a: u + xi * c * o, lda: o, b: vdy + xi * o * ld2,
                    ldb: ld2, c: m + xi * c * ld2, ldc: ld2)
            }
            Winograd.transformOutput(
                m, tiles: ld2, samples: count, channels: c, outputHeight: g.height, outputWidth: g.width, tile: tile,
                bias: nil, into: dxs + start * inSample)
        }
        // the workers' dU and db summed in a fixed order, then dW += Gᵀ dU G
        addWorkerBiasGradients(workers: workers)
        Winograd.accumulateFilterGradient(
            workspaces[0].filterGrad.data, partials: workspaces.prefix(workers).dropFirst().map { $0.filterGrad.data },
            outputs: o, inputs: c, tile: tile, into: weight.grad.data)
    }
}

extension Network {
    /// Sets `algorithm` on every `Conv2D`, inside residual blocks too (benchmarks compare the paths).
    public func setConvolutionAlgorithm(_ algorithm: Conv2D.Algorithm) {
        func visit(_ layers: [Layer]) {
            for layer in layers {
                if let conv = layer as? Conv2D { conv.algorithm = algorithm }
                if let block = layer as? Residual { visit(block.body); visit(block.projection ?? []) }
            }
        }
        visit(layers)
    }
}
