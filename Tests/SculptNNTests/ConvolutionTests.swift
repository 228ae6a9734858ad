import Testing
import SculptCore
import SculptNN
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
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        func run(threads: Int) throws -> [Tensor] {
            Parallel.threads = threads
            let (network, inputs, labels) = try cnnSmallBatch(batchSize: 40, seed: 4)
            for case let conv as Conv2D in network.layers { conv.chunkElements = 4096 }  // several chunks per worker
            network.zeroGradients()
            let y = network.forward(inputs, training: true).copy()
            let g = Tensor(zeros: [0])
            _ = SoftmaxCrossEntropy().compute(prediction: y, target: labels, gradient: g)
            network.backward(g)
            return [y] + network.parameters.map { $0.grad.copy() }
        }
        let one = try run(threads: 1), two = try run(threads: 2)
        for (a, b) in zip(one, two) { #expect(maxScaledDifference(a, b) < 1e-5) }
        // relu and max pooling split large tensors into ranges: compare against one worker
        var rng = RandomSource(seed: 6)
        let x = Tensor.uniform([8, 16, 32, 32], -1, 1, using: &rng)
        let dy = Tensor.uniform([8, 16, 16, 16], -1, 1, using: &rng)
        var outputs: [[Tensor]] = []
        for threads in [1, 2] {
            Parallel.threads = threads
            let relu = Activation(.relu), pool = MaxPool2D(kernelSize: 2)
            let h = relu.forward(x, training: true)
            let y = pool.forward(h, training: true).copy()
            let dx = relu.backward(pool.backward(dy, needInputGradient: true)!, needInputGradient: true)!.copy()
            outputs.append([y, dx])
        }
        #expect(outputs[0][0] == outputs[1][0])
        #expect(outputs[0][1] == outputs[1][1])
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
