import Testing
import SculptCore
@testable import SculptNN
import TestSupport

@Suite("BatchNorm")
struct NormalizationTests {
    @Test("finite-difference gradients in train and eval mode, dense and conv inputs",
          arguments: [([4, 3], true), ([3, 2, 3, 2], true), ([4, 3], false), ([3, 2, 3, 2], false)])
    func gradients(shape: [Int], training: Bool) {
        var rng = RandomSource(seed: 21)
        let c = shape[1]
        let bn = BatchNorm(
            weight: Tensor.uniform([c], 0.5, 1.5, using: &rng), bias: Tensor.uniform([c], -1, 1, using: &rng),
                           runningMean: Tensor.uniform([c], -0.5, 0.5, using: &rng),
                           runningVariance: Tensor.uniform([c], 0.5, 2, using: &rng))
        let x = Tensor.uniform(shape, -2, 2, using: &rng)
        let e = GradientCheck.maxRelativeError(layer: bn, input: x, training: training, h: 1e-2)
        #expect(e.input < 5e-3)
        #expect(e.parameters["weight"]! < 5e-3)
        #expect(e.parameters["bias"]! < 5e-3)
    }

    @Test("running statistics after two train steps equal hand-computed values")
    func runningStatistics() {
        let bn = BatchNorm(features: 1)
        // step 1: values 1, 3: mean 2, unbiased variance 2
        _ = bn.forward(Tensor([1, 3], shape: [2, 1]), training: true)
        #expect(abs(bn.runningMean[0] - 0.2) < 1e-7)                  // 0.9 * 0 + 0.1 * 2
        #expect(abs(bn.runningVariance[0] - 1.1) < 1e-6)              // 0.9 * 1 + 0.1 * 2
        // step 2: values 0, 4, 8: mean 4, unbiased variance 16
        _ = bn.forward(Tensor([0, 4, 8], shape: [3, 1]), training: true)
        #expect(abs(bn.runningMean[0] - 0.58) < 1e-6)                 // 0.9 * 0.2 + 0.1 * 4
        #expect(abs(bn.runningVariance[0] - 2.59) < 1e-6)             // 0.9 * 1.1 + 0.1 * 16
        // train mode normalizes with the biased variance: (0 - 4) / sqrt(32/3 + 1e-5)
        let y = bn.forward(Tensor([0, 4, 8], shape: [3, 1]), training: true)
        #expect(abs(y[0, 0] - Float(-4 / (32.0 / 3 + 1e-5).squareRoot())) < 1e-6)
        // eval mode uses the running statistics
        let before = bn.runningMean.copy()
        let z = bn.forward(Tensor([1], shape: [1, 1]), training: false)
        #expect(bn.runningMean == before)
        #expect(abs(z[0, 0] - (1 - bn.runningMean[0]) / (bn.runningVariance[0] + 1e-5).squareRoot()) < 1e-6)
    }

    @Test("forward, backward and running statistics match the numpy reference")
    func matchesReference() throws {
        let cases = try ReferenceFixtures.load()
        for name in ["batchnorm_conv", "batchnorm_dense"] {
            let c = try #require(cases[name])
            let w = c["weight"]!.tensor
            let bn = BatchNorm(weight: w, bias: c["bias"]!.tensor, runningMean: Tensor(zeros: w.shape),
                               runningVariance: Tensor(repeating: 1, shape: w.shape))
            let y = bn.forward(c["x"]!.tensor, training: true)
            #expect(maxScaledDifference(y, c["y"]!.tensor) < 1e-5, "\(name) forward")
            let dx = try #require(bn.backward(c["dy"]!.tensor, needInputGradient: true))
            #expect(maxScaledDifference(dx, c["dx"]!.tensor) < 1e-5, "\(name) dx")
            #expect(maxScaledDifference(bn.weight.grad, c["dweight"]!.tensor) < 1e-5, "\(name) dweight")
            #expect(maxScaledDifference(bn.bias.grad, c["dbias"]!.tensor) < 1e-5, "\(name) dbias")
            #expect(maxScaledDifference(bn.runningMean, c["running_mean"]!.tensor) < 1e-6, "\(name) running_mean")
            #expect(maxScaledDifference(bn.runningVariance, c["running_var"]!.tensor) < 1e-6, "\(name) running_var")
        }
    }

    @Test("channels split over two workers give bit-identical outputs, gradients and statistics, close to float64")
    func workersAgree() {
        var rng = RandomSource(seed: 31)
        let x = Tensor.uniform([16, 12, 15, 15], -2, 3, using: &rng)  // 43,200 elements: split at 2 threads
        let dy = Tensor.uniform([16, 12, 15, 15], -1, 1, using: &rng)
        var runs: [[Tensor]] = []
        for threads in [1, 2] {
            Parallel.withThreads(threads) {
                let bn = BatchNorm(features: 12)
                let y = bn.forward(x, training: true).copy()
                let dx = bn.backward(dy, needInputGradient: true)!.copy()
                runs.append([y, dx, bn.weight.grad.copy(), bn.bias.grad.copy(), bn.runningMean.copy(),
                             bn.runningVariance.copy()])
            }
        }
        for (a, b) in zip(runs[0], runs[1]) { #expect(a == b) }
        // the batch mean of channel 5 against a float64 sum
        var sum = 0.0
        for b in 0..<16 { for i in 0..<225 { sum += Double(x.data[(b * 12 + 5) * 225 + i]) } }
        let expected = 0.1 * sum / 3600  // running mean after one step from 0, momentum 0.1
        #expect(abs(Double(runs[0][4].data[5]) - expected) < 1e-6)
    }

    @Test("running statistics are buffers named like PyTorch's")
    func buffers() throws {
        var rng = RandomSource(seed: 1)
        let network = try Network(Architecture(inputShape: [3], layers: [.dense(inputs: 3, outputs: 2, bias: true),
                    .batchNorm(features: 2, momentum: 0.1, epsilon: 1e-5),
                ]),
                                  rng: &rng)
        #expect(network.namedBuffers.map(\.name) == ["layers.1.running_mean", "layers.1.running_var"])
        #expect(
            network.namedParameters.map(\.name) == [
                "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
            ])
    }
}

@Suite("Network snapshots")
struct SnapshotTests {
    @Test("snapshot and restore include BatchNorm running statistics")
    func snapshotIncludesBuffers() throws {
        var rng = RandomSource(seed: 2)
        let network = try Network(
            Architecture(inputShape: [2], layers: [.batchNorm(features: 2, momentum: 0.1, epsilon: 1e-5)]), rng: &rng)
        let saved = network.snapshot()
        #expect(saved.count == 4)
        _ = network.forward(Tensor([1, 2, 3, 5], shape: [2, 2]), training: true)
        let bn = try #require(network.layers[0] as? BatchNorm)
        #expect(bn.runningMean.scalars != [0, 0])
        network.restore(saved)
        #expect(bn.runningMean.scalars == [0, 0])
        #expect(bn.runningVariance.scalars == [1, 1])
    }

    @Test("planes of one value (dense inputs, 1x1 maps): the row-wise loops give the general small-plane loops' numbers bit for bit, forward and backward, train and eval, with and without the ReLU, on values with zeros, -0 and ties")
    func planeOfOneMatchesGeneral() {
        var rng = RandomSource(seed: 31)
        for (b, c, lo, hi) in [(128, 37, 0, 37), (5, 19, 3, 17), (2, 1, 0, 1)] {
            let n = b * c
            let x = Tensor.uniform([n], -2, 2, using: &rng), dy = Tensor.uniform([n], -1, 1, using: &rng)
            for i in stride(from: 0, to: n, by: 7) { x.data[i] = i % 2 == 0 ? 0 : -0.0; dy.data[i] = -0.0 }
            let gamma = Tensor.uniform([c], -1, 1, using: &rng), beta = Tensor.uniform([c], -1, 1, using: &rng)
            for training in [true, false] {
                for rectifying in [true, false] {
                    var results: [[Tensor]] = []
                    for general in [true, false] {
                        let y = Tensor(zeros: [n]), dx = Tensor(zeros: [n]), mu = Tensor(zeros: [c])
                        let inv = Tensor(zeros: [c]), runMean = Tensor(zeros: [c]), runVar = Tensor(zeros: [c])
                        runVar.fill(1.5); runMean.fill(0.25)
                        let dgamma = Tensor(zeros: [c]), dbeta = Tensor(zeros: [c])
                        if general {
                            BatchNorm.smallPlaneForward(
                                x.data, y.data, batch: b, features: c, plane: 1, channels: lo..<hi, training: training,
                                rectifying: rectifying, momentum: 0.1, epsilon: 1e-5, gamma: gamma.data,
                                beta: beta.data, runningMean: runMean.data, runningVariance: runVar.data,
                                means: mu.data, inverseStd: inv.data)
                            BatchNorm.smallPlaneBackward(
                                dy.data, x.data, dx.data, batch: b, features: c, plane: 1, channels: lo..<hi,
                                trained: training, rectified: rectifying, needInputGradient: true, gamma: gamma.data,
                                beta: beta.data, means: mu.data, inverseStd: inv.data, weightGradient: dgamma.data,
                                biasGradient: dbeta.data)
                        } else {
                            BatchNorm.planeOfOneForward(
                                x.data, y.data, batch: b, features: c, channels: lo..<hi, training: training,
                                rectifying: rectifying, momentum: 0.1, epsilon: 1e-5, gamma: gamma.data,
                                beta: beta.data, runningMean: runMean.data, runningVariance: runVar.data,
                                means: mu.data, inverseStd: inv.data)
                            BatchNorm.planeOfOneBackward(
                                dy.data, x.data, dx.data, batch: b, features: c, channels: lo..<hi, trained: training,
                                rectified: rectifying, needInputGradient: true, gamma: gamma.data, beta: beta.data,
                                means: mu.data, inverseStd: inv.data, weightGradient: dgamma.data,
                                biasGradient: dbeta.data)
                        }
                        results.append([y, dx, mu, inv, runMean, runVar, dgamma, dbeta])
                    }
                    for (name, (a, e)) in zip(["y", "dx", "mean", "invStd", "running mean", "running variance",
                                               "dgamma", "dbeta"], zip(results[1], results[0])) {
                        // bit patterns: -0 and NaN compare as they are stored
                        let first = (0..<a.count).first { a.data[$0].bitPattern != e.data[$0].bitPattern }
                        let label = "\(b)x\(c) channels \(lo)..<\(hi) training \(training) relu \(rectifying)"
                        #expect(first == nil, "\(name) differs at \(first ?? -1): \(label)")
                    }
                }
            }
        }
    }
}
