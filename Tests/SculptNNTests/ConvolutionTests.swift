import Testing
import SculptCore
@testable import SculptNN
import TestSupport

/// Direct convolution, the definition: y[b, o, i, j] = bias[o] + sum_{c, ki, kj} W[o, c, ki, kj] x[b, c, i*s-p+ki, j*s-p+kj].
private func naiveConvolution(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride s: Int, padding p: Int) -> Tensor {
    let (b, ci, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, k) = (w.shape[0], w.shape[2])
    let oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1
    let y = Tensor(zeros: [b, o, oh, ow])
    for n in 0..<b { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
        var sum = Double(bias?[oc] ?? 0)
        for c in 0..<ci { for ki in 0..<k { for kj in 0..<k {
            let r = i * s - p + ki, q = j * s - p + kj
            if r >= 0 && r < h && q >= 0 && q < wd { sum += Double(w[oc, c, ki, kj]) * Double(x[n, c, r, q]) }
        } } }
        y[n, oc, i, j] = Float(sum)
    } } } }
    return y
}

/// One training forward and backward of `conv` on `x` with dy[i] = (i % 7) / 3 - 1: copies of y, dx,
/// dW and (with a bias) db.
private func forwardBackward(_ conv: Conv2D, _ x: Tensor) -> [Tensor] {
    let y = conv.forward(x, training: true).copy()
    let dy = Tensor(zeros: y.shape)
    for i in 0..<dy.count { dy.data[i] = Float(i % 7) / 3 - 1 }
    let dx = conv.backward(dy, needInputGradient: true)!.copy()
    var r = [y, dx, conv.weight.grad.copy()]
    if let bias = conv.bias { r.append(bias.grad.copy()) }
    return r
}

@Suite("Conv2D")
struct ConvolutionTests {
    @Test(
        "finite-difference gradients of input, weight and bias",
        arguments: [(1, 1, true), (2, 1, true), (1, 0, false), (2, 2, true)])
    func gradients(stride: Int, padding: Int, bias: Bool) {
        var rng = RandomSource(seed: 11)
        let conv = Conv2D(
            inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: stride, padding: padding, bias: bias, rng: &rng)
        let x = Tensor.uniform([2, 2, 5, 6], -1, 1, using: &rng)
        let e = GradientCheck.maxRelativeError(layer: conv, input: x)
        #expect(e.input < 2e-3)
        #expect(e.parameters["weight"]! < 2e-3)
        if bias { #expect(e.parameters["bias"]! < 2e-3) } else { #expect(e.parameters["bias"] == nil) }
    }

    @Test("im2col + sgemm equals the direct convolution, also across several chunks")
    func matchesNaive() {
        var rng = RandomSource(seed: 3)
        for chunk in [Conv2D.defaultChunkElements, 64] {  // 64 elements: one sample per chunk
            for (s, p, k) in [(1, 1, 3), (2, 0, 3), (1, 2, 5), (3, 1, 2)] {
                let conv = Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: k, stride: s, padding: p, rng: &rng)
                conv.chunkElements = chunk
                let x = Tensor.uniform([3, 3, 9, 7], -1, 1, using: &rng)
                let y = conv.forward(x, training: true)
                let expected = naiveConvolution(x, conv.weight.value, conv.bias?.value, stride: s, padding: p)
                #expect(y.shape == expected.shape)
                #expect(y.maxAbsDifference(expected) < 1e-5)
            }
        }
    }

    @Test("sample-by-sample products (large planes) give the chunked path's output and gradients, at one and two workers")
    func samplewiseMatchesChunked() {
        var rng = RandomSource(seed: 4)
        for threads in [1, 2] {
            Parallel.withThreads(threads) {
                for (s, p, k, bias) in [(1, 1, 3, true), (2, 1, 3, false), (1, 0, 5, true)] {
                    let wt = Tensor.uniform([4, 3, k, k], -1, 1, using: &rng)
                    let b: Tensor? = bias ? Tensor.uniform([4], -1, 1, using: &rng) : nil
                    let x = Tensor.uniform([5, 3, 36, 34], -1, 1, using: &rng)
                    var results: [[Tensor]] = []
                    for minimum in [Int.max, 1] {  // never, always sample by sample
                        let conv = Conv2D(weight: wt.copy(), bias: b?.copy(), stride: s, padding: p)
                        conv.algorithm = .im2col
                        conv.chunkElements = 3 * k * k * 600  // several chunks of several samples
                        conv.samplewiseMinimumPlane = minimum
                        let y = conv.forward(x, training: true).copy()
                        let dy = Tensor(zeros: y.shape)
                        for i in 0..<dy.count { dy.data[i] = Float(i % 11) / 5 - 1 }
                        let dx = conv.backward(dy, needInputGradient: true)!.copy()
                        var r = [y, dx, conv.weight.grad.copy()]
                        if let bias = conv.bias { r.append(bias.grad.copy()) }
                        conv.weight.zeroGrad()
                        #expect(conv.backward(dy, needInputGradient: false) == nil)
                        r.append(conv.weight.grad.copy())
                        results.append(r)
                    }
                    let expected = naiveConvolution(x, wt, b, stride: s, padding: p)
                    #expect(results[1][0].maxAbsDifference(expected) < 1e-5)
                    // the same sums; dW and db add the samples in another order
                    let names = bias ? ["y", "dx", "dW", "db", "dW alone"] : ["y", "dx", "dW", "dW alone"]
                    for (name, (a, c)) in zip(names, zip(results[0], results[1])) {
                        #expect(a.shape == c.shape)
                        #expect(maxScaledDifference(a, c) < 1e-5, "\(name) s\(s) p\(p) k\(k) threads \(threads)")
                    }
                }
            }
        }
    }

    @Test("forward and backward match the numpy reference")
    func matchesReference() throws {
        let cases = try ReferenceFixtures.load()
        for name in ["conv_s1_p1", "conv_s2_p1", "conv_s1_p0_k1_nobias", "conv_s2_p2_k5"] {
            let c = try #require(cases[name])
            let conv = Conv2D(
                weight: c["weight"]!.tensor, bias: c["bias"]?.tensor, stride: c["stride"]!.int,
                padding: c["padding"]!.int)
            let y = conv.forward(c["x"]!.tensor, training: true)
            #expect(y.shape == c["y"]!.tensor.shape, "\(name)")
            #expect(maxScaledDifference(y, c["y"]!.tensor) < 1e-5, "\(name) forward")
            let dx = try #require(conv.backward(c["dy"]!.tensor, needInputGradient: true))
            #expect(maxScaledDifference(dx, c["dx"]!.tensor) < 1e-5, "\(name) dx")
            #expect(maxScaledDifference(conv.weight.grad, c["dweight"]!.tensor) < 1e-5, "\(name) dweight")
            if let db = c["dbias"] { #expect(maxScaledDifference(conv.bias!.grad, db.tensor) < 1e-5, "\(name) dbias") }
        }
    }

    @Test("gradients accumulate (+=) across backward calls and batch sizes can change")
    func accumulatesAndResizes() {
        var rng = RandomSource(seed: 5)
        let conv = Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, rng: &rng)
        let x = Tensor.uniform([2, 1, 4, 4], -1, 1, using: &rng)
        let dy = Tensor.uniform([2, 2, 4, 4], -1, 1, using: &rng)
        _ = conv.forward(x, training: true)
        _ = conv.backward(dy, needInputGradient: false)
        let once = conv.weight.grad.copy()
        _ = conv.forward(x, training: true)
        _ = conv.backward(dy, needInputGradient: false)
        #expect((conv.weight.grad - once * 2).maxAbsDifference(Tensor(zeros: once.shape)) < 1e-5)
        let y1 = conv.forward(Tensor.uniform([5, 1, 4, 4], -1, 1, using: &rng), training: false)
        #expect(y1.shape == [5, 2, 4, 4])
    }
}

@Suite("Parallel workers")
struct ParallelTests {
    @Test("two workers give the same forward and gradients as one (W3 layers, several chunks)")
    func twoWorkersAgree() throws {
        func run(threads: Int) throws -> [Tensor] {
            try Parallel.withThreads(threads) {
                let (network, inputs, labels) = try cnnSmallBatch(batchSize: 40, seed: 4)
                for case let conv as Conv2D in network.layers { conv.chunkElements = 4096 }  // several chunks per worker
                network.zeroGradients()
                let y = network.forward(inputs, training: true).copy()
                let g = Tensor(zeros: [0])
                _ = SoftmaxCrossEntropy().compute(prediction: y, target: labels, gradient: g)
                network.backward(g)
                return [y] + network.parameters.map { $0.grad.copy() }
            }
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        for (a, b) in zip(one, two) { #expect(maxScaledDifference(a, b) < 1e-5) }
        // relu and max pooling split large tensors into ranges: compare against one worker
        var rng = RandomSource(seed: 6)
        let x = Tensor.uniform([8, 16, 32, 32], -1, 1, using: &rng)
        let dy = Tensor.uniform([8, 16, 16, 16], -1, 1, using: &rng)
        var outputs: [[Tensor]] = []
        for threads in [1, 2] {
            Parallel.withThreads(threads) {
                let relu = Activation(.relu), pool = MaxPool2D(kernelSize: 2)
                let h = relu.forward(x, training: true)
                let y = pool.forward(h, training: true).copy()
                let dx = relu.backward(pool.backward(dy, needInputGradient: true)!, needInputGradient: true)!.copy()
                outputs.append([y, dx])
            }
        }
        #expect(outputs[0][0] == outputs[1][0])
        #expect(outputs[0][1] == outputs[1][1])
    }

    @Test("a 1x1 input with a 1x1 output runs as a dense layer on the center tap: the definition's outputs, im2col's gradients, finite differences")
    func centerTapMatchesIm2col() {
        var rng = RandomSource(seed: 12)
        for (k, p, bias) in [(3, 1, true), (3, 1, false), (5, 2, true), (3, 2, true)] {
            // (3, 2): a 3x3 output (no center-tap path) checks the rule's other side
            let wt = Tensor.uniform([6, 5, k, k], -1, 1, using: &rng)
            let b: Tensor? = bias ? Tensor.uniform([6], -1, 1, using: &rng) : nil
            let x = Tensor.uniform([7, 5, 1, 1], -1, 1, using: &rng)
            var results: [[Tensor]] = []
            for (threads, algorithm) in [(1, Conv2D.Algorithm.automatic), (2, .automatic), (1, .im2col)] {
                Parallel.withThreads(threads) {
                    let conv = Conv2D(weight: wt.copy(), bias: b?.copy(), stride: 1, padding: p)
                    conv.algorithm = algorithm
                    results.append(forwardBackward(conv, x))
                }
            }
            let expected = naiveConvolution(x, wt, b, stride: 1, padding: p)
            for r in results { #expect(r[0].maxAbsDifference(expected) < 1e-5, "k \(k), p \(p)") }
            for r in results.dropFirst() {
                for (a, c) in zip(results[0], r) { #expect(maxScaledDifference(a, c) < 1e-5, "k \(k), p \(p)") }
            }
            let conv = Conv2D(weight: wt.copy(), bias: b?.copy(), stride: 1, padding: p)
            #expect(conv.usesCenterTap(WindowGeometry(channels: 5, height: 1, width: 1, kernelHeight: k, kernelWidth: k,
                                                      stride: 1, padding: p)) == (p < k && 1 + 2 * p - k + 1 == 1))
            let e = GradientCheck.maxRelativeError(layer: conv, input: x)
            #expect(e.input < 2e-3, "k \(k), p \(p): input gradient")
            for (name, err) in e.parameters { #expect(err < 2e-3, "k \(k), p \(p): \(name)") }
        }
    }

    @Test("small padded outputs run tap by tap: the definition's outputs, im2col's gradients at 1 and 2 workers and several chunks, finite differences",
          arguments: [(3, 3, 1, 3), (3, 3, 2, 5), (4, 4, 2, 5), (2, 2, 2, 5), (3, 2, 2, 5), (1, 3, 1, 3), (3, 1, 1, 3)])
    func tapsMatchIm2col(height: Int, width: Int, padding: Int, kernel: Int) {
        var rng = RandomSource(seed: 14)
        let geometry = WindowGeometry(channels: 16, height: height, width: width, kernelHeight: kernel, kernelWidth: kernel,
                                      stride: 1, padding: padding)
        for bias in [true, false] {
            let wt = Tensor.uniform([18, 16, kernel, kernel], -1, 1, using: &rng)
            let b: Tensor? = bias ? Tensor.uniform([18], -1, 1, using: &rng) : nil
            let x = Tensor.uniform([9, 16, height, width], -1, 1, using: &rng)
            var results: [[Tensor]] = []
            // (threads, algorithm, chunk budget): whole-batch chunks, then chunks of 1-2 samples over two workers
            for (threads, algorithm, chunk) in [(1, Conv2D.Algorithm.im2col, 1 << 17), (1, .automatic, 1 << 17),
                                                (2, .automatic, 1 << 17), (2, .automatic, 1000), (1, .automatic, 1000)] {
                Parallel.withThreads(threads) {
                    let conv = Conv2D(weight: wt.copy(), bias: b?.copy(), stride: 1, padding: padding)
                    conv.algorithm = algorithm
                    conv.chunkElements = chunk
                    #expect(conv.usesTaps(geometry) == (algorithm == .automatic))
                    results.append(forwardBackward(conv, x))
                }
            }
            let expected = naiveConvolution(x, wt, b, stride: 1, padding: padding)
            let label = "\(height)x\(width), p \(padding), k \(kernel), bias \(bias)"
            for r in results { #expect(r[0].maxAbsDifference(expected) < 1e-4, "\(label)") }
            for r in results.dropFirst() {
                for (a, c) in zip(results[0], r) { #expect(maxScaledDifference(a, c) < 1e-5, "\(label)") }
            }
        }
        // finite differences through the tap path (a batch of 2, few channels' worth of parameters)
        let conv = Conv2D(inputChannels: 16, outputChannels: 16, kernelSize: kernel, padding: padding, rng: &rng)
        let x = Tensor.uniform([2, 16, height, width], -1, 1, using: &rng)
        #expect(conv.usesTaps(WindowGeometry(channels: 16, height: height, width: width, kernelHeight: kernel,
                                             kernelWidth: kernel, stride: 1, padding: padding)))
        let e = GradientCheck.maxRelativeError(layer: conv, input: x)
        #expect(e.input < 2e-3, "input gradient")
        for (name, err) in e.parameters { #expect(err < 2e-3, "\(name)") }
    }

    @Test("the tap path takes small padded stride-1 outputs with 16 or more channels, nothing else")
    func tapsRule() {
        var rng = RandomSource(seed: 15)
        func takes(_ i: Int, _ o: Int, k: Int, s: Int, p: Int, h: Int, algorithm: Conv2D.Algorithm = .automatic) -> Bool {
            let conv = Conv2D(inputChannels: i, outputChannels: o, kernelSize: k, stride: s, padding: p, rng: &rng)
            conv.algorithm = algorithm
            return conv.usesTaps(WindowGeometry(channels: i, height: h, width: h, kernelHeight: k, kernelWidth: k,
                                                stride: s, padding: p))
        }
        #expect(takes(64, 128, k: 3, s: 1, p: 1, h: 3) && takes(128, 128, k: 3, s: 1, p: 1, h: 3))  // W7's 3x3 layers
        #expect(takes(64, 64, k: 5, s: 1, p: 2, h: 4) && takes(64, 64, k: 5, s: 1, p: 2, h: 2))
        #expect(!takes(128, 128, k: 3, s: 1, p: 1, h: 4))     // 4x4: Winograd's 2x2 tiles fit it
        #expect(!takes(128, 128, k: 3, s: 1, p: 1, h: 1))     // 1x1: the center tap
        #expect(!takes(64, 64, k: 3, s: 1, p: 1, h: 7))       // 7x7: Winograd
        #expect(!takes(64, 64, k: 3, s: 1, p: 1, h: 5))       // 5x5: over the plane limit
        #expect(!takes(8, 64, k: 3, s: 1, p: 1, h: 3) && !takes(64, 8, k: 3, s: 1, p: 1, h: 3))  // few channels
        #expect(!takes(64, 64, k: 3, s: 2, p: 1, h: 4) && !takes(64, 64, k: 3, s: 1, p: 0, h: 5))  // strided, unpadded
        #expect(!takes(64, 64, k: 1, s: 1, p: 1, h: 2))       // 1x1 kernel
        #expect(!takes(64, 128, k: 3, s: 1, p: 1, h: 3, algorithm: .im2col))
        // the runs cover each (tap, position) pair that reads the input exactly once: 49 of 81 on a 3x3 output
        let g = WindowGeometry(channels: 1, height: 3, width: 3, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
        let runs = Conv2D.tapRuns(g)
        #expect(runs.reduce(0) { $0 + $1.length } == 49)
        #expect(runs.count == 17)
        for (h, w, p, k) in [(3, 3, 1, 3), (4, 4, 1, 3), (2, 2, 2, 3), (3, 2, 1, 3), (3, 3, 2, 5)] {
            let g = WindowGeometry(channels: 1, height: h, width: w, kernelHeight: k, kernelWidth: k, stride: 1, padding: p)
            var seen = Set<[Int]>()
            for run in Conv2D.tapRuns(g) {
                for i in 0..<run.length {
                    let (pos, q) = (run.p0 + i, run.q0 + i)
                    let (oy, ox) = (pos / g.outputWidth, pos % g.outputWidth), (iy, ix) = (q / w, q % w)
                    let (ky, kx) = (run.tap / k, run.tap % k)
                    #expect(iy == oy + ky - p && ix == ox + kx - p, "\(h)x\(w) p \(p) k \(k): tap \(run.tap) at \(pos)")
                    #expect(seen.insert([run.tap, pos]).inserted)
                }
            }
            var valid = 0
            for oy in 0..<g.outputHeight { for ox in 0..<g.outputWidth { for ky in 0..<k { for kx in 0..<k {
                let iy = oy + ky - p, ix = ox + kx - p
                if iy >= 0 && iy < h && ix >= 0 && ix < w { valid += 1 }
            } } } }
            #expect(seen.count == valid)
        }
    }

    @Test("the chunks of a batch are even across workers, within the budget; one thread keeps full chunks")
    func chunkPlanIsEven() {
        // W7's layers at batch 128: 1x1 inputs (perSample 1,152), 3x3 outputs (10,368 and 5,184)
        #expect(Conv2D.chunkPlan(perSample: 1152, budget: 1 << 17, batch: 128, threads: 1) == (113, 2, 1))
        #expect(Conv2D.chunkPlan(perSample: 1152, budget: 1 << 17, batch: 128, threads: 2) == (64, 2, 2))
        #expect(Conv2D.chunkPlan(perSample: 10368, budget: 1 << 17, batch: 128, threads: 2) == (11, 12, 2))
        #expect(Conv2D.chunkPlan(perSample: 1, budget: 1 << 17, batch: 128, threads: 2) == (64, 2, 2))
        #expect(Conv2D.chunkPlan(perSample: 1 << 20, budget: 1 << 17, batch: 3, threads: 2) == (1, 3, 2))
        #expect(Conv2D.chunkPlan(perSample: 10, budget: 100, batch: 1, threads: 4) == (1, 1, 1))
        for batch in [1, 2, 5, 40, 127, 128, 129] {
            for perSample in [1, 7, 600, 1152, 5184, 10368, 50176, 1 << 18] {
                for threads in [1, 2, 3, 4] {
                    let (samples, chunks, workers) = Conv2D.chunkPlan(
                        perSample: perSample, budget: 1 << 17, batch: batch, threads: threads)
                    let label = "batch \(batch), perSample \(perSample), threads \(threads)"
                    #expect(samples >= 1 && (chunks - 1) * samples < batch && chunks * samples >= batch, "\(label)")
                    #expect(samples == 1 || samples * perSample <= 1 << 17, "\(label): over the budget")
                    #expect(workers == min(threads, chunks), "\(label)")
                    // samples per worker: worker w takes chunks w, w + workers, ...; the last chunk may be short
                    var load = [Int](repeating: 0, count: workers)
                    for c in 0..<chunks { load[c % workers] += min(samples, batch - c * samples) }
                    #expect(load.reduce(0, +) == batch && load.max()! - load.min()! <= samples, "\(label): \(load)")
                    if threads == 2 && batch >= 2 { #expect(workers == 2, "\(label): a worker idle") }
                }
            }
        }
    }

    @Test("two workers agree with one on layers whose whole batch fits one chunk (W7's 1x1 and 3x3 layers)")
    func twoWorkersAgreeOnSmallPlanes() {
        var rng = RandomSource(seed: 8)
        for (size, padding) in [(1, 1), (3, 1)] {
            let wt = Tensor.uniform([24, 20, 3, 3], -1, 1, using: &rng), b = Tensor.uniform([24], -1, 1, using: &rng)
            let x = Tensor.uniform([37, 20, size, size], -1, 1, using: &rng)
            var results: [[Tensor]] = []
            for threads in [1, 2] {
                Parallel.withThreads(threads) {
                    let conv = Conv2D(weight: wt.copy(), bias: b.copy(), stride: 1, padding: padding)
                    let y = conv.forward(x, training: true).copy()
                    let dy = Tensor(zeros: y.shape)
                    for i in 0..<dy.count { dy.data[i] = Float(i % 13) / 6 - 1 }
                    let dx = conv.backward(dy, needInputGradient: true)!.copy()
                    results.append([y, dx, conv.weight.grad.copy(), conv.bias!.grad.copy()])
                }
            }
            #expect(results[0][0].maxAbsDifference(naiveConvolution(x, wt, b, stride: 1, padding: padding)) < 1e-5)
            for (one, two) in zip(results[0], results[1]) { #expect(maxScaledDifference(one, two) < 1e-5, "\(size)x\(size)") }
        }
    }
}

/// A fresh `cnn-small` (seeded PyTorch-default init) and one synthetic batch: uniform pixels
/// `(batchSize, 1, 28, 28)` and random labels `(batchSize)`.
func cnnSmallBatch(batchSize: Int, seed: UInt64) throws -> (network: Network, inputs: Tensor, labels: Tensor) {
    var rng = RandomSource(seed: seed)
    let network = try Network(Architecture.builtin(named: "cnn-small"), rng: &rng)
    let inputs = Tensor.uniform([batchSize, 1, 28, 28], 0, 1, using: &rng)
    let labels = Tensor(zeros: [batchSize])
    for i in 0..<batchSize { labels.data[i] = Float(rng.index(below: 10)) }
    return (network, inputs, labels)
}

@Suite("Conv2D by Winograd F(2x2, 3x3) and F(4x4, 3x3)")
struct WinogradTests {
    /// A layer forced onto `algorithm`, with the given weights.
    private func layer(_ w: Tensor, _ b: Tensor?, padding: Int, _ algorithm: Conv2D.Algorithm) -> Conv2D {
        let conv = Conv2D(weight: w.copy(), bias: b?.copy(), stride: 1, padding: padding)
        conv.algorithm = algorithm
        return conv
    }

    /// y, dx, dW and db of one forward (`training` or not) and backward of `conv` (with a bias) on
    /// `x` with dy[i] = (i % 13) / 6 - 1, then dW of a second backward without dx (which returns nil).
    private func passes(_ conv: Conv2D, _ x: Tensor, training: Bool) -> [Tensor] {
        let y = conv.forward(x, training: training).copy()
        let dy = Tensor(zeros: y.shape)
        for i in 0..<dy.count { dy.data[i] = Float(i % 13) / 6 - 1 }
        let dx = conv.backward(dy, needInputGradient: true)!.copy()
        var r = [y, dx, conv.weight.grad.copy(), conv.bias!.grad.copy()]
        conv.weight.zeroGrad(); conv.bias!.zeroGrad()
        #expect(conv.backward(dy, needInputGradient: false) == nil)
        r.append(conv.weight.grad.copy())
        return r
    }

    /// The forced algorithm of each tile.
    private static let forced: [(Conv2D.Algorithm, Winograd.Tile)] = [(.winograd, .f2x2), (.winograd4x4, .f4x4)]

    @Test("the forward pass equals the direct convolution: odd and even sizes, padding 0-2, several chunks, both tiles")
    func forwardMatchesNaive() {
        var rng = RandomSource(seed: 21)
        for (algorithm, tile) in Self.forced {
            // 27 products of values in [-1, 1]; F(4x4, 3x3)'s transforms scale by up to 8 and 1/24
            let tolerance: Float = tile == .f2x2 ? 2e-6 * 27 : 1e-5 * 27
            for (h, w) in [(9, 7), (8, 8), (3, 3), (5, 12), (17, 6), (22, 19), (4, 37)] {
                for p in 0...2 where h + 2 * p >= 3 && w + 2 * p >= 3 {
                    for chunk in [Conv2D.defaultWinogradChunkElements, 1] {  // 1: one sample per chunk
                        let wt = Tensor.uniform([5, 3, 3, 3], -1, 1, using: &rng)
                        let bias: Tensor? = p == 1 ? nil : Tensor.uniform([5], -1, 1, using: &rng)
                        let conv = layer(wt, bias, padding: p, algorithm)
                        conv.winogradChunkElements = chunk
                        #expect(conv.winogradTile(height: h, width: w) == tile)
                        let x = Tensor.uniform([3, 3, h, w], -1, 1, using: &rng)
                        let y = conv.forward(x, training: true)
                        let expected = naiveConvolution(x, wt, bias, stride: 1, padding: p)
                        #expect(y.shape == expected.shape)
                        #expect(y.maxAbsDifference(expected) < tolerance, "\(tile) \(h)x\(w) p\(p) chunk \(chunk)")
                    }
                }
            }
        }
    }

    @Test("the input, weight and bias gradients equal the im2col path's, at one and two workers, with and without dx, both tiles")
    func backwardMatchesIm2col() {
        var rng = RandomSource(seed: 22)
        for threads in [1, 2] {
            Parallel.withThreads(threads) {
                for (h, w, p) in [(14, 14, 1), (7, 7, 1), (9, 6, 0), (6, 9, 2), (13, 18, 1)] {
                    let wt = Tensor.uniform([20, 17, 3, 3], -0.2, 0.2, using: &rng)
                    let bias = Tensor.uniform([20], -1, 1, using: &rng)
                    let x = Tensor.uniform([7, 17, h, w], -1, 1, using: &rng)
                    var results: [[Tensor]] = []
                    for algorithm in [Conv2D.Algorithm.im2col, .winograd, .winograd4x4] {
                        let conv = layer(wt, bias, padding: p, algorithm)
                        conv.winogradChunkElements = 16 * 20 * 40  // several chunks
                        results.append(passes(conv, x, training: true))
                    }
                    // dW and db are sums of up to 1,372 terms taken in other chunks: rounding of 1e-5 and more,
                    // about ten times more through F(4x4, 3x3)'s transforms
                    for (tile, tolerance) in [(1, Float(3e-5)), (2, Float(3e-4))] {
                        for (name, (a, b)) in zip(["y", "dx", "dW", "db", "dW alone"], zip(results[0], results[tile])) {
                            #expect(a.shape == b.shape)
                            #expect(maxScaledDifference(a, b) < tolerance,
                                    "\(name) \(h)x\(w) p\(p) threads \(threads) tile \(tile)")
                        }
                    }
                }
            }
        }
    }

    @Test("the sum point of the transformed gradient adds up to each channel's sum of dy (the bias gradient), cropped tiles included, both tiles")
    func sumPointGivesBiasGradient() {
        var rng = RandomSource(seed: 25)
        for tile in Winograd.Tile.allCases {
            for (oh, ow) in [(7, 7), (8, 5), (3, 10), (12, 12)] {
                let samples = 3, channels = 4
                let dy = Tensor.uniform([samples, channels, oh, ow], -1, 1, using: &rng)
                let (th, tw) = Winograd.tiles(outputHeight: oh, outputWidth: ow, tile: tile)
                let t = samples * th * tw, ld = Winograd.leadingDimension(tiles: t)
                let g = Tensor(zeros: [tile.points, channels, ld])
                Winograd.transformGradient(dy.data, samples: samples, channels: channels, outputHeight: oh,
                                           outputWidth: ow, tile: tile, into: g.data, tiles: ld)
                for c in 0..<channels {
                    var expected: Double = 0
                    for b in 0..<samples {
                        for i in 0..<oh * ow { expected += Double(dy.data[(b * channels + c) * oh * ow + i]) }
                    }
                    var sum: Double = 0
                    for i in 0..<t { sum += Double(g.data[(tile.sumPoint * channels + c) * ld + i]) }
                    #expect(abs(sum - expected) < 1e-4, "\(tile) \(oh)x\(ow) channel \(c)")
                }
            }
        }
    }

    @Test("the filter transform and the filter-gradient sum split over workers equal one worker's, bit for bit, both tiles")
    func filterTransformsSplitMatchOneWorker() {
        var rng = RandomSource(seed: 26)
        // 40 x 64 filters: past forRanges' threshold, so two and three workers split them
        let o = 40, c = 64
        let w = Tensor.uniform([o, c, 3, 3], -1, 1, using: &rng)
        for tile in Winograd.Tile.allCases {
            let n = tile.points * o * c
            let du = Tensor.uniform([n], -1, 1, using: &rng)
            let partials = (0..<2).map { _ in Tensor.uniform([n], -1, 1, using: &rng) }
            let dw0 = Tensor.uniform([o, c, 3, 3], -1, 1, using: &rng)
            func run(_ workers: Int) -> [Tensor] {
                Parallel.withThreads(workers) {
                    let u = Tensor(zeros: [n]), flipped = Tensor(zeros: [n])
                    Winograd.transformFilters(w.data, outputs: o, inputs: c, flipped: false, tile: tile, into: u.data)
                    Winograd.transformFilters(w.data, outputs: o, inputs: c, flipped: true, tile: tile, into: flipped.data)
                    let sum = du.copy(), dw = dw0.copy(), ps = partials.map { $0.copy() }
                    Winograd.accumulateFilterGradient(sum.data, partials: ps.map { $0.data }, outputs: o, inputs: c,
                                                      tile: tile, into: dw.data)
                    return [u, flipped, sum, dw]
                }
            }
            let one = run(1)
            // the sum is du + partial 0 + partial 1, in that order
            let expected = du.copy()
            for p in partials { for i in 0..<n { expected.data[i] += p.data[i] } }
            #expect(one[2] == expected, "\(tile)")
            for workers in [2, 3] { #expect(run(workers) == one, "\(tile), \(workers) workers") }
        }
    }

    @Test("a training forward's kept tiles give the same gradients, bit for bit, as transforming x again; an evaluation forward drops them")
    func keptTilesMatchRecomputed() {
        var rng = RandomSource(seed: 24)
        for threads in [1, 2] {
            Parallel.withThreads(threads) {
                for (h, w, p, algorithm) in [(14, 14, 1, Conv2D.Algorithm.winograd), (9, 6, 0, .winograd),
                                             (6, 9, 2, .winograd), (14, 14, 1, .winograd4x4), (9, 6, 0, .winograd4x4),
                                             (6, 9, 2, .winograd4x4)] {
                    let wt = Tensor.uniform([18, 16, 3, 3], -0.2, 0.2, using: &rng)
                    let bias = Tensor.uniform([18], -1, 1, using: &rng)
                    let x = Tensor.uniform([6, 16, h, w], -1, 1, using: &rng)
                    let other = Tensor.uniform([6, 16, h, w], -1, 1, using: &rng)
                    var results: [[Tensor]] = []
                    // kept from a training forward; transformed again after an evaluation forward; a training
                    // forward of another input, then an evaluation forward of x (the kept tiles are stale)
                    for run in 0..<3 {
                        let conv = layer(wt, bias, padding: p, algorithm)
                        conv.winogradChunkElements = 16 * 18 * 30  // several chunks
                        if run == 2 { _ = conv.forward(other, training: true) }
                        let y = conv.forward(x, training: run == 0).copy()
                        let dy = Tensor(zeros: y.shape)
                        for i in 0..<dy.count { dy.data[i] = Float(i % 7) / 3 - 1 }
                        let dx = conv.backward(dy, needInputGradient: true)!.copy()
                        results.append([y, dx, conv.weight.grad.copy(), conv.bias!.grad.copy()])
                    }
                    for run in 1..<3 {
                        for (name, (a, b)) in zip(["y", "dx", "dW", "db"], zip(results[0], results[run])) {
                            #expect(a == b, "\(name) \(h)x\(w) p\(p) \(algorithm) threads \(threads) run \(run)")
                        }
                    }
                }
            }
        }
    }

    @Test("finite-difference gradients of input, weight and bias on the Winograd paths",
          arguments: [0, 1, 2], [Conv2D.Algorithm.winograd, .winograd4x4])
    func gradients(padding: Int, algorithm: Conv2D.Algorithm) {
        var rng = RandomSource(seed: 23)
        let conv = Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: padding, rng: &rng)
        conv.algorithm = algorithm
        let x = Tensor.uniform([2, 2, 5, 6], -1, 1, using: &rng)
        let e = GradientCheck.maxRelativeError(layer: conv, input: x)
        #expect(e.input < 2e-3)
        #expect(e.parameters["weight"]! < 2e-3)
        #expect(e.parameters["bias"]! < 2e-3)
    }

    @Test("the direct path: y equals the definition; y, dx, dW, db and dW alone equal im2col's at one and two workers, from kept or repacked x; every block shape")
    func directMatchesIm2col() {
        var rng = RandomSource(seed: 27)
        // (C, O, H, W, p): 16 outputs (1 vector, segments of 14 and a remainder), 48 (1 vector, dW's input
        // channels in threes), 32 (2 vectors, segments of 7), 64 (4 vectors), 80 inputs (dx on 1 vector, a
        // remainder of 2 input channels for dW), widths 1 to 30
        for (c, o, h, w, p) in [(16, 16, 5, 30, 1), (32, 48, 7, 9, 0), (48, 32, 6, 11, 2), (64, 64, 7, 7, 1),
                                (16, 64, 3, 3, 1), (80, 16, 4, 1, 1)] {
            let wt = Tensor.uniform([o, c, 3, 3], -0.2, 0.2, using: &rng)
            let bias = Tensor.uniform([o], -1, 1, using: &rng)
            let x = Tensor.uniform([3, c, h, w], -1, 1, using: &rng)
            let exact = naiveConvolution(x, wt, bias, stride: 1, padding: p)
            func run(_ algorithm: Conv2D.Algorithm, training: Bool) -> [Tensor] {
                let conv = layer(wt, bias, padding: p, algorithm)
                #expect(conv.usesDirect(height: h, width: w) == (algorithm == .direct))
                return passes(conv, x, training: training)
            }
            let reference = run(.im2col, training: true)
            for threads in [1, 2] {
                for training in [true, false] {
                    let direct = Parallel.withThreads(threads) { run(.direct, training: training) }
                    let label = "\(c) -> \(o) \(h)x\(w) p\(p) threads \(threads) training \(training)"
                    #expect(direct[0].maxAbsDifference(exact) < 2e-6 * Float(c * 9), "y \(label)")
                    for (name, (a, b)) in zip(["y", "dx", "dW", "db", "dW alone"], zip(reference, direct)) {
                        #expect(a.shape == b.shape, "\(name) \(label)")
                        #expect(maxScaledDifference(a, b) < 3e-5, "\(name) \(label)")
                    }
                }
            }
        }
    }

    @Test("finite-difference gradients of input, weight and bias on the direct path", arguments: [0, 1, 2])
    func directGradients(padding: Int) {
        var rng = RandomSource(seed: 28)
        let conv = Conv2D(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: padding, rng: &rng)
        conv.algorithm = .direct
        let x = Tensor.uniform([2, 16, 4, 5], -1, 1, using: &rng)
        #expect(conv.usesDirect(height: 4, width: 5))
        let e = GradientCheck.maxRelativeError(layer: conv, input: x)
        #expect(e.input < 2e-3)
        #expect(e.parameters["weight"]! < 2e-3)
        #expect(e.parameters["bias"]! < 2e-3)
    }

    @Test("the direct path: 3x3 stride-1 layers with padding <= 2 and channel counts that are multiples of 16; automatic takes it, with AVX-512, where Winograd pays and the layer is small (C * O <= 1024) or wastes Winograd's tiles (odd sides)")
    func directChoice() {
        func uses(_ i: Int, _ o: Int, k: Int = 3, s: Int = 1, p: Int = 1, size: Int = 14,
                  _ a: Conv2D.Algorithm = .direct) -> Bool {
            Conv2D.usesDirect(inputs: i, outputs: o, kernel: k, stride: s, padding: p, height: size, width: size,
                              algorithm: a)
        }
        #expect(uses(16, 16) && uses(32, 64) && uses(64, 16, size: 1) && uses(128, 128, p: 2, size: 3))
        // only in a host-tuned build (fused multiply-add instructions) for AVX-512 (registers that hold its blocks)
        let auto = Conv2D.automaticTakesDirect
        #if SCULPT_NATIVE
        #expect(auto == DirectConvolution.wideRegisters)
        #else
        #expect(!auto)
        #endif
        #expect(uses(16, 16, size: 28, .automatic) == auto && uses(16, 32, .automatic) == auto)
        #expect(uses(32, 32, .automatic) == auto && uses(32, 64, size: 7, .automatic) == auto)
        #expect(uses(64, 64, size: 7, .automatic) == auto && uses(64, 64, size: 9, .automatic) == auto)
        #expect(!uses(32, 64, .automatic) && !uses(64, 64, .automatic) && !uses(64, 128, size: 8, .automatic))
        // Winograd does not pay on 3x3 outputs: the tap path and im2col
        #expect(!uses(64, 128, size: 3, .automatic) && !uses(16, 16, size: 3, .automatic))
        func tile64(_ size: Int) -> Winograd.Tile? {
            Conv2D.winogradTile(inputs: 64, outputs: 64, kernel: 3, stride: 1, padding: 1, height: size, width: size)
        }
        #expect((tile64(7) == nil) == auto && tile64(14) == .f2x2)
        #expect(!uses(16, 16, .im2col) && !uses(16, 16, .winograd))
        #expect(!uses(1, 16) && !uses(16, 24) && !uses(24, 16))
        #expect(!uses(16, 16, k: 5) && !uses(16, 16, s: 2) && !uses(16, 16, p: 3) && !uses(16, 16, p: 0, size: 2))
        #expect(Conv2D.winogradTile(inputs: 16, outputs: 16, kernel: 3, stride: 1, padding: 1, height: 14, width: 14,
                                    algorithm: .direct) == nil)
    }

    @Test("automatic takes Winograd only for 3x3 stride-1 layers with padding <= 2, >= 16 channels each way and outputs its 2x2 tiles waste little on; F(4x4, 3x3) only on request")
    func automaticChoice() {
        var rng = RandomSource(seed: 24)
        func uses(_ i: Int, _ o: Int, k: Int = 3, s: Int = 1, p: Int = 1, size: Int = 14,
                  _ a: Conv2D.Algorithm = .automatic) -> Bool {
            let conv = Conv2D(inputChannels: i, outputChannels: o, kernelSize: k, stride: s, padding: p, rng: &rng)
            conv.algorithm = a
            return conv.usesWinograd(height: size, width: size)
        }
        // (the direct path takes 3x3 layers of multiples of 16 channels that are small or waste tiles: directChoice)
        #expect(uses(32, 64))
        #expect(uses(24, 24, p: 0))
        #expect(uses(40, 40, size: 7))  // 16 tiles x 16 against 49 x 9 multiplies
        #expect(uses(24, 24, size: 28))
        #expect(!uses(128, 128, size: 3))  // VGG16's fourth block on Fashion-MNIST: tiles waste too much
        #expect(!uses(128, 128, size: 1))
        #expect(!uses(32, 32, size: 5))
        #expect(!uses(1, 32))  // W3's first layer: im2col
        #expect(!uses(15, 64))
        #expect(!uses(32, 64, k: 5))
        #expect(!uses(32, 64, s: 2))
        #expect(!uses(32, 64, p: 3))
        #expect(!uses(32, 64, .im2col))
        #expect(uses(1, 2, size: 1, .winograd) && uses(1, 2, size: 1, .winograd4x4))
        #expect(!uses(1, 2, s: 2, .winograd) && !uses(1, 2, s: 2, .winograd4x4))  // the geometry still rules
        func tile(_ size: Int, p: Int = 1, _ a: Conv2D.Algorithm = .automatic) -> Winograd.Tile? {
            Conv2D.winogradTile(inputs: 40, outputs: 40, kernel: 3, stride: 1, padding: p, height: size, width: size,
                                algorithm: a)
        }
        // automatic: F(2x2, 3x3) where it pays, never F(4x4, 3x3) (measured no faster here)
        for size in [28, 14, 8, 7, 6, 4, 2] { #expect(tile(size) == .f2x2, "\(size)x\(size)") }
        #expect(tile(3) == nil && tile(5) == nil && tile(1) == nil)
        #expect(tile(14, .winograd) == .f2x2 && tile(14, .winograd4x4) == .f4x4 && tile(14, .im2col) == nil)
        #expect(Winograd.multiplies(outputHeight: 14, outputWidth: 14, tile: .f4x4) == 16 * 36)
        #expect(Winograd.multiplies(outputHeight: 14, outputWidth: 14, tile: .f2x2) == 49 * 16)
        #expect(Winograd.pays(outputHeight: 6, outputWidth: 6, tile: .f2x2))
        #expect(!Winograd.pays(outputHeight: 0, outputWidth: 4, tile: .f2x2))
        #expect(!Winograd.pays(outputHeight: 3, outputWidth: 3, tile: .f2x2))
        #expect(Winograd.pays(outputHeight: 3, outputWidth: 3, tile: .f4x4))
    }

    @Test("rounding error against float64 on a 48-channel layer: F(2x2, 3x3) within 4x of im2col's, F(4x4, 3x3) within 20x")
    func roundingError() {
        var rng = RandomSource(seed: 25)
        let wt = Tensor.uniform([24, 48, 3, 3], -0.07, 0.07, using: &rng)
        let x = Tensor.uniform([2, 48, 8, 8], -1, 1, using: &rng)
        let exact = naiveConvolution(x, wt, nil, stride: 1, padding: 1)
        let viaGemm = layer(wt, nil, padding: 1, .im2col).forward(x, training: false)
        let gemmError = viaGemm.maxAbsDifference(exact)
        for (algorithm, factor, bound) in [(Conv2D.Algorithm.winograd, Float(4), Float(1e-5)), (.winograd4x4, 20, 5e-5)] {
            let viaWinograd = layer(wt, nil, padding: 1, algorithm).forward(x, training: false)
            let winogradError = viaWinograd.maxAbsDifference(exact)
            #expect(winogradError < max(factor * gemmError, 1e-6), "\(algorithm) \(winogradError), im2col \(gemmError)")
            #expect(winogradError < bound, "\(algorithm) \(winogradError)")
        }
    }
}
