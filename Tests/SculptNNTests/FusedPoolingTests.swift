import SculptCore
import Testing
import TestSupport
@testable import SculptNN

/// A batch normalization, its ReLU and a max pooling as one stage (`BatchNorm.forward(_:training:pooling:)`),
/// against the three layers one by one.
@Suite(.serialized) struct FusedPoolingTests {
    private static func sameBits(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && (0..<a.count).allSatisfy { a.data[$0].bitPattern == b.data[$0].bitPattern }
    }

    @Test("BatchNorm + ReLU + max pooling in one pass equals the three layers bit for bit (training and eval, odd sides, ties, NaN, small planes), at one and two workers",
          arguments: [(2, 2, 0), (3, 2, 1), (2, 1, 0)])
    func fusedStageMatchesLayers(kernel: Int, step: Int, padding: Int) {
        var rng = RandomSource(seed: 47)
        // 40 channels: split over two workers; 3x3 planes take the small-plane path (the pair, then the pooling)
        for shape in [[3, 40, 28, 28], [5, 40, 7, 9], [4, 40, 3, 3], [2, 40, 4, 5]] {
            let features = shape[1]
            let gamma = Tensor.uniform([features], -1.5, 1.5, using: &rng)
            let beta = Tensor.uniform([features], -0.5, 0.5, using: &rng)
            let x = Tensor.uniform(shape, -2, 3, using: &rng)
            x.data[0] = .nan  // channel 0's statistics are NaN; the ReLU maps NaN to 0
            // exact ties: a whole sample of channel 1 at one value (after the ReLU, either one value or all zeros)
            let plane = shape[2] * shape[3]
            (x.data + plane).update(repeating: 0.5, count: plane)
            func fresh() -> BatchNorm { batchNorm(gamma: gamma, beta: beta) }
            for training in [true, false] {
                for threads in [1, 2] {
                    Parallel.withThreads(threads) {
                        let context = "\(shape) kernel \(kernel) stride \(step) padding \(padding) training \(training) threads \(threads)"
                        let norm = fresh(), relu = Activation(.relu)
                        let pool = MaxPool2D(kernelSize: kernel, stride: step, padding: padding)
                        let y = pool.forward(relu.forward(norm.forward(x, training: training), training: training),
                                             training: training).copy()
                        let fusedNorm = fresh(), fusedPool = MaxPool2D(kernelSize: kernel, stride: step, padding: padding)
                        let yFused = fusedNorm.forward(x, training: training, pooling: fusedPool)
                        #expect(Self.sameBits(y, yFused), "y \(context)")
                        #expect(fusedNorm.pooledLastForward == (plane >= 16), "pooled \(context)")
                        #expect(Self.sameBits(fusedNorm.runningMean, norm.runningMean)
                                && Self.sameBits(fusedNorm.runningVariance, norm.runningVariance), "running \(context)")
                        let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
                        let dx = norm.backward(
                            relu.backward(pool.backward(dy, needInputGradient: true)!, needInputGradient: true)!,
                            needInputGradient: true)!
                        let dxFused = fusedNorm.backward(pooledGradient: dy, pooling: fusedPool, needInputGradient: true)!
                        #expect(Self.sameBits(dx, dxFused), "dx \(context)")
                        #expect(Self.sameBits(norm.weight.grad, fusedNorm.weight.grad)
                                && Self.sameBits(norm.bias.grad, fusedNorm.bias.grad), "dgamma, dbeta \(context)")
                        // without the input gradient: the parameter gradients accumulate all the same
                        #expect(fusedNorm.backward(pooledGradient: dy, pooling: fusedPool, needInputGradient: false) == nil)
                        #expect((0..<features).allSatisfy {
                            fusedNorm.bias.grad.data[$0].bitPattern == (norm.bias.grad.data[$0] * 2).bitPattern
                                || norm.bias.grad.data[$0].isNaN
                        }, "second dbeta \(context)")
                        // an ordinary forward again: nothing pooled
                        _ = fusedNorm.forward(x, training: false, rectifying: true)
                        #expect(!fusedNorm.pooledLastForward)
                    }
                }
            }
        }
    }

    @Test("a network runs each BatchNorm + ReLU + max pooling as one stage with the layer-by-layer path's outputs, gradients and running statistics, bit for bit")
    func networkFusesBatchNormReluPooling() throws {
        let architecture = Architecture(inputShape: [2, 12, 12], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false),
            .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5), .activation(.relu), .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .conv2d(inputs: 4, outputs: 5, kernel: 3, stride: 1, padding: 1, bias: true),
            .batchNorm(features: 5, momentum: 0.1, epsilon: 1e-5), .activation(.relu), .maxPool2d(kernel: 3, stride: 2, padding: 1),
            .batchNorm(features: 5, momentum: 0.1, epsilon: 1e-5), .activation(.relu), .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .flatten, .dense(inputs: 5 * 1 * 1, outputs: 3, bias: true),
        ])
        var rngA = RandomSource(seed: 8), rngB = RandomSource(seed: 8), rngC = RandomSource(seed: 8)
        let fused = try Network(architecture, rng: &rngA), pairs = try Network(architecture, rng: &rngB)
        let plain = try Network(architecture, rng: &rngC)
        pairs.fusesBatchNormReluPooling = false
        plain.fusesBatchNormRelu = false
        plain.fusesReluPooling = false
        #expect(fused.fusedBatchNormReluPooling(at: 1) != nil && fused.fusedBatchNormReluPooling(at: 5) != nil)
        #expect(fused.fusedBatchNormReluPooling(at: 2) == nil && pairs.fusedBatchNormReluPooling(at: 1) == nil)
        #expect(plain.fusedBatchNormReluPooling(at: 1) == nil)  // needs the pair's fusion too
        #expect(fused.stages.map(\.name) == ["layers.0", "layers.1-3", "layers.4", "layers.5-7", "layers.8-10",
                                              "layers.11-12"])
        var rng = RandomSource(seed: 9)
        // the last stage's planes are 3x3 (the small-plane path); a smaller second batch reuses the buffers
        for (batch, training) in [(6, true), (4, true), (5, false)] {
            let x = Tensor.uniform([batch, 2, 12, 12], -1, 1, using: &rng)
            expectSameStep(fused, plain, x, training: training, rng: &rng)
        }
    }
}
