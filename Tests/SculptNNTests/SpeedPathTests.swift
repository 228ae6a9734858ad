import Foundation
import SculptCore
import SculptData
import Testing
import TestSupport
@testable import SculptNN

/// One step of `fused` and `plain` on `x` from zeroed gradients, with the same random dy: outputs,
/// parameter gradients and buffers (BatchNorm's running statistics) equal bit for bit.
func expectSameStep(_ fused: Network, _ plain: Network, _ x: Tensor, training: Bool,
                            rng: inout RandomSource) {
    for p in fused.parameters + plain.parameters { p.zeroGrad() }
    let y = fused.forward(x, training: training).copy()
    #expect(y == plain.forward(x, training: training))
    let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
    fused.backward(dy); plain.backward(dy)
    for (a, b) in zip(fused.parameters, plain.parameters) { #expect(a.grad == b.grad) }
    for (a, b) in zip(fused.namedBuffers, plain.namedBuffers) { #expect(a.buffer == b.buffer, "\(a.name)") }
}

/// A BatchNorm over `gamma.count` features with copies of `gamma` and `beta` and PyTorch's initial
/// running statistics.
func batchNorm(gamma: Tensor, beta: Tensor) -> BatchNorm {
    BatchNorm(weight: gamma.copy(), bias: beta.copy(), runningMean: Tensor(zeros: [gamma.count]),
              runningVariance: Tensor(repeating: 1, shape: [gamma.count]))
}

/// Issue 17's faster paths, each against the plain path it replaces.
@Suite(.serialized) struct SpeedPathTests {
    /// Small dense architectures of every activation kind; the last is too wide for the fused pass.
    static let smallArchitectures: [Architecture] = [
        Architecture(inputShape: [2], layers: [
            .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu), .dense(inputs: 3, outputs: 9, bias: true),
            .dense(inputs: 9, outputs: 1, bias: true), .activation(.sigmoid),
        ]),
        Architecture(inputShape: [2], layers: [
            .dense(inputs: 2, outputs: 12, bias: true), .activation(.relu), .dense(inputs: 12, outputs: 1, bias: true),
            .activation(.sigmoid),
        ]),
        Architecture(inputShape: [5], layers: [
            .dense(inputs: 5, outputs: 16, bias: true), .activation(.tanh),
            .dense(inputs: 16, outputs: 7, bias: false), .activation(.leakyRelu(slope: 0.1)),
            .dense(inputs: 7, outputs: 4, bias: true), .activation(.identity),
        ]),
    ]

    @Test("the fused small-network pass gives the plain path's outputs and gradients",
          arguments: [0, 1, 2], [1, 15, 16, 17, 128])
    func fusedMatchesPlain(architectureIndex: Int, batch: Int) throws {
        let architecture = Self.smallArchitectures[architectureIndex]
        var rngA = RandomSource(seed: 3), rngB = RandomSource(seed: 3)
        let fused = try Network(architecture, rng: &rngA), plain = try Network(architecture, rng: &rngB)
        plain.fusesSmallDenseLayers = false
        var rng = RandomSource(seed: UInt64(batch))
        let x = Tensor.uniform([batch] + architecture.inputShape, -1, 1, using: &rng)
        let yFused = fused.forward(x, training: true).copy(), yPlain = plain.forward(x, training: true).copy()
        #expect(yFused.shape == yPlain.shape)
        #expect(maxScaledDifference(yFused, yPlain) < 1e-5)
        let dy = Tensor.uniform(yPlain.shape, -1, 1, using: &rng)
        for _ in 0..<2 {  // twice: gradients accumulate (+=)
            fused.backward(dy)
            plain.backward(dy)
        }
        for (a, b) in zip(fused.parameters, plain.parameters) { #expect(maxScaledDifference(a.grad, b.grad) < 1e-5) }
    }

    @Test("the fused pass computes, bit for bit, the sums its documentation defines (scalar reference, sample by sample)",
          arguments: [0, 1, 2], [1, 15, 16, 17, 64, 128, 200])
    func fusedMatchesScalarReference(architectureIndex: Int, batch: Int) throws {
        let architecture = Self.smallArchitectures[architectureIndex]
        var seeded = RandomSource(seed: 11)
        let network = try Network(architecture, rng: &seeded)
        var rng = RandomSource(seed: UInt64(batch) + 100)
        let x = Tensor.uniform([batch] + architecture.inputShape, -1, 1, using: &rng)
        let y = network.forward(x, training: true).copy()
        let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
        for p in network.parameters { p.grad.fillUniform(-1, 1, using: &rng) }  // gradients accumulate (+=)
        let expected = fusedReference(network, x: x, dy: dy)
        network.backward(dy)
        #expect(y.scalars.map(\.bitPattern) == expected.output.map(\.bitPattern))
        for (p, g) in zip(network.parameters, expected.gradients) {
            #expect(p.grad.scalars.map(\.bitPattern) == g.map(\.bitPattern))
        }
    }

    @Test("the fused backward's four-at-a-time lane sums are SIMD sum() bit for bit", arguments: [1, 3, 4, 7, 9, 16])
    func laneSumsMatchSum(count: Int) {
        var rng = RandomSource(seed: UInt64(count))
        // Magnitudes from 1e-8 to 1e8 so the order of the adds shows in the last bits; -0 and infinities too.
        let lanes = (0..<count).map { k -> SmallDenseStack.Lanes in
            var v = SmallDenseStack.Lanes()
            for l in 0..<16 {
                let magnitude = Float(pow(10, Double(rng.uniform(-8, 8))))
                v[l] = (rng.uniform(0, 1) < 0.5 ? -1 : 1) * magnitude
            }
            if k == 1 { v = SmallDenseStack.Lanes(repeating: -0.0) }
            if k == 2 { v[5] = .infinity }
            return v
        }
        let start = (0..<count).map { Float($0) * 0.1 }
        var got = start, expected = start
        lanes.withUnsafeBufferPointer { p in
            got.withUnsafeMutableBufferPointer { SmallDenseStack.addLaneSums(p.baseAddress!, count: count, to: $0.baseAddress!) }
        }
        for k in 0..<count { expected[k] += lanes[k].sum() }
        #expect(got.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("networks wider than 16 units or with other layers take the plain path, bit for bit")
    func fusedPassIsChosenBySize() throws {
        let wide = Architecture(inputShape: [2], layers: [
            .dense(inputs: 2, outputs: 17, bias: true), .activation(.relu), .dense(inputs: 17, outputs: 1, bias: true),
        ])
        let withFlatten = Architecture(inputShape: [1, 2, 2], layers: [
            .flatten, .dense(inputs: 4, outputs: 3, bias: true), .activation(.relu),
            .dense(inputs: 3, outputs: 2, bias: true),
        ])
        for architecture in [wide, withFlatten] {
            var rngA = RandomSource(seed: 4), rngB = RandomSource(seed: 4)
            let a = try Network(architecture, rng: &rngA), b = try Network(architecture, rng: &rngB)
            b.fusesSmallDenseLayers = false
            var rng = RandomSource(seed: 9)
            let x = Tensor.uniform([33] + architecture.inputShape, -1, 1, using: &rng)
            let ya = a.forward(x, training: true).copy(), yb = b.forward(x, training: true).copy()
            #expect(ya.scalars == yb.scalars)
            let dy = Tensor.uniform(ya.shape, -1, 1, using: &rng)
            a.backward(dy)
            b.backward(dy)
            for (p, q) in zip(a.parameters, b.parameters) { #expect(p.grad.scalars == q.grad.scalars) }
        }
    }

    @Test("training W1's model with the fused pass ends where the plain path does")
    func fusedTrainingMatchesPlain() throws {
        var rng = RandomSource(seed: 2)
        let inputs = Tensor.uniform([300, 2], -0.5, 0.5, using: &rng)
        let targets = Tensor((0..<300).map { abs(inputs.data[2 * $0]) < 0.25 ? 1 : 0 }, shape: [300, 1])
        let data = TensorDataset(inputs: inputs, targets: targets)
        var results: [[Tensor]] = []
        for fuse in [true, false] {
            var seeded = RandomSource(seed: 0)
            let network = try Network(Self.smallArchitectures[0], rng: &seeded)
            network.fusesSmallDenseLayers = fuse
            let trainer = Trainer(network: network, loss: MeanSquaredError(), optimizer: Adam(learningRate: 1e-2),
                                  batchSize: 128, maxEpochs: 5)
            try trainer.fit(data, rng: &seeded)
            results.append(network.parameters.map { $0.value.copy() })
        }
        for (a, b) in zip(results[0], results[1]) { #expect(maxScaledDifference(a, b) < 1e-4) }
    }

    @Test("the backward pass stops at the first layer with parameters, with the same gradients")
    func backwardStopsAtTheFirstTrainableLayer() throws {
        let architecture = Architecture(inputShape: [1, 4, 5], layers: [
            .flatten, .dense(inputs: 20, outputs: 24, bias: true), .activation(.relu),
            .dense(inputs: 24, outputs: 3, bias: true),
        ])
        var rngA = RandomSource(seed: 6), rngB = RandomSource(seed: 6)
        let a = try Network(architecture, rng: &rngA), b = try Network(architecture, rng: &rngB)
        b.fusesFlattenDense = false  // b's layers are run backward one by one below, Flatten too
        #expect(a.firstLayerWithParameters == 1)
        var rng = RandomSource(seed: 1)
        let x = Tensor.uniform([7, 1, 4, 5], -1, 1, using: &rng)
        let dy = Tensor.uniform([7, 3], -1, 1, using: &rng)
        _ = a.forward(x, training: true)
        a.backward(dy)
        _ = b.forward(x, training: true)
        var g: Tensor? = dy
        for layer in b.layers.reversed() { g = layer.backward(g!, needInputGradient: true) }  // every layer, input too
        #expect(g?.shape == [7, 1, 4, 5])
        for (p, q) in zip(a.parameters, b.parameters) { #expect(p.grad.scalars == q.grad.scalars) }
    }

    @Test("SGD and Adam split over two workers update bit for bit as on one",
          arguments: ["sgd", "nesterov", "adam", "adamw"])
    func parallelOptimizerMatchesOneWorker(kind: String) {
        func run(threads: Int, masked: Bool) -> [Float] {
            Parallel.withThreads(threads) {
                var rng = RandomSource(seed: 12)
                let p = Parameter(Tensor.uniform([70_001], -1, 1, using: &rng))  // above the split threshold, odd
                if masked { p.mask = Tensor.uniform([70_001], 0, 1, using: &rng).map { $0 < 0.3 ? 0 : 1 } }
                let optimizer = testOptimizer(kind)
                for _ in 0..<3 {
                    p.grad.fillUniform(-1, 1, using: &rng)
                    optimizer.step([p])
                }
                return p.value.scalars + p.state.keys.sorted().flatMap { p.state[$0]!.scalars }
            }
        }
        for masked in [false, true] { #expect(run(threads: 2, masked: masked) == run(threads: 1, masked: masked)) }
    }

    @Test("max pooling of relu(x) in one pass equals ReLU then pooling bit for bit (ties, all-negative windows, NaN), at one and two workers",
          arguments: [(2, 2, 0), (3, 2, 1), (2, 1, 0)])
    func rectifyingPoolMatchesReluThenPool(kernel: Int, step: Int, padding: Int) {
        var rng = RandomSource(seed: 41)
        for (h, w) in [(8, 8), (7, 9), (28, 28)] {
            let x = Tensor.uniform([3, 40, h, w], -1, 1, using: &rng)  // 40 * 3 planes: split over two workers
            for i in stride(from: 0, to: x.count, by: 7) { x.data[i] = 0.25 }       // ties
            for i in stride(from: 3, to: x.count, by: 11) { x.data[i] = -x.data[i].magnitude }  // more negative windows
            x.data[5] = .nan; x.data[x.count - 2] = .nan
            for threads in [1, 2] {
                Parallel.withThreads(threads) {
                    let relu = Activation(.relu), plain = MaxPool2D(kernelSize: kernel, stride: step, padding: padding)
                    let y = plain.forward(relu.forward(x, training: true), training: true).copy()
                    let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
                    let dx = relu.backward(plain.backward(dy, needInputGradient: true)!, needInputGradient: true)!.copy()
                    let fused = MaxPool2D(kernelSize: kernel, stride: step, padding: padding)
                    let yFused = fused.forward(x, rectifying: true)
                    #expect(fused.rectifiedLastForward)
                    #expect(yFused == y, "y \(h)x\(w) threads \(threads)")
                    #expect(fused.backward(dy, needInputGradient: true)! == dx, "dx \(h)x\(w) threads \(threads)")
                    _ = fused.forward(x, training: true)  // an ordinary forward again: no ReLU
                    #expect(!fused.rectifiedLastForward)
                }
            }
        }
    }

    @Test("batch normalization of x with its ReLU in one pass equals BatchNorm then ReLU bit for bit (training and eval, plane tails, NaN), at one and two workers",
          arguments: [[5, 40, 7, 9], [3, 40, 28, 28], [6, 40, 1, 1], [9, 33]])
    func rectifyingBatchNormMatchesBatchNormThenRelu(shape: [Int]) {
        var rng = RandomSource(seed: 43)
        let features = shape[1]
        let gamma = Tensor.uniform([features], -1.5, 1.5, using: &rng), beta = Tensor.uniform([features], -0.5, 0.5, using: &rng)
        let x = Tensor.uniform(shape, -2, 3, using: &rng)
        let spatial = x.count / (shape[0] * features)
        // one NaN in channel 0 (the whole channel's statistics are NaN), and exact zeros after the affine map
        x.data[0] = .nan
        func fresh() -> BatchNorm { batchNorm(gamma: gamma, beta: beta) }
        for training in [true, false] {
            for threads in [1, 2] {
                Parallel.withThreads(threads) {
                    let plain = fresh(), relu = Activation(.relu), fused = fresh()
                    let y = relu.forward(plain.forward(x, training: training), training: training).copy()
                    let yFused = fused.forward(x, training: training, rectifying: true).copy()
                    #expect(fused.rectifiedLastForward)
                    #expect(yFused.shape == y.shape)
                    #expect(zip(0..<y.count, 0..<y.count).allSatisfy { i, _ in y.data[i].bitPattern == yFused.data[i].bitPattern },
                            "y \(shape) training \(training) threads \(threads)")
                    #expect(fused.runningMean == plain.runningMean && fused.runningVariance == plain.runningVariance)
                    let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
                    let dx = plain.backward(relu.backward(dy, needInputGradient: true)!, needInputGradient: true)!.copy()
                    let dxFused = fused.backward(dy, needInputGradient: true)!
                    // NaN != NaN: compare bit patterns
                    #expect((0..<dx.count).allSatisfy { dx.data[$0].bitPattern == dxFused.data[$0].bitPattern },
                            "dx \(shape) training \(training) threads \(threads) (plane of \(spatial))")
                    #expect((0..<features).allSatisfy {
                        plain.weight.grad.data[$0].bitPattern == fused.weight.grad.data[$0].bitPattern
                            && plain.bias.grad.data[$0].bitPattern == fused.bias.grad.data[$0].bitPattern
                    })
                    _ = fused.forward(x, training: training)  // an ordinary forward again: no ReLU
                    #expect(!fused.rectifiedLastForward)
                }
            }
        }
    }

    /// BatchNorm plane by plane, as it was written before the sample-major path for small planes: each
    /// channel's planes summed with `Kernels.sum` / `Kernels.sumOfSquares` and added in double, the
    /// gradient sums with `BatchNorm.gradientSums` added in float. Returns y, dx, dgamma, dbeta and the
    /// running statistics.
    private static func planeByPlaneBatchNorm(
        _ x: Tensor, _ dy: Tensor, gamma: Tensor, beta: Tensor, training: Bool, rectifying: Bool
    ) -> (y: [Float], dx: [Float], dgamma: [Float], dbeta: [Float], mean: [Float], variance: [Float]) {
        let b = x.shape[0], c = x.shape[1], s = x.count / (b * c), n = b * s, mo: Float = 0.1, eps: Float = 1e-5
        var y = [Float](repeating: 0, count: x.count), dx = y
        var dgamma = [Float](repeating: 0, count: c), dbeta = dgamma
        var runMean = [Float](repeating: 0, count: c), runVar = [Float](repeating: 1, count: c)
        let xs = x.data, g = dy.data
        for ch in 0..<c {
            var mean = runMean[ch], invStd = 1 / (runVar[ch] + eps).squareRoot()
            if training {
                var sum = 0.0
                for bi in 0..<b { sum += Double(Kernels.sum(xs + (bi * c + ch) * s, count: s)) }
                let m = sum / Double(n)
                var squares = 0.0
                for bi in 0..<b { squares += Double(Kernels.sumOfSquares(xs + (bi * c + ch) * s, count: s, around: Float(m))) }
                mean = Float(m)
                invStd = Float(1 / (squares / Double(n) + Double(eps)).squareRoot())
                runMean[ch] = (1 - mo) * runMean[ch] + mo * Float(m)
                runVar[ch] = (1 - mo) * runVar[ch] + mo * Float(squares / Double(n - 1))
            }
            let gm = gamma.data[ch], bt = beta.data[ch], affine = rectifying ? (gamma: gm, beta: bt) : nil
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for bi in 0..<b {
                let o = (bi * c + ch) * s
                for i in 0..<s {
                    let v = gm * ((xs[o + i] - mean) * invStd) + bt
                    y[o + i] = rectifying ? (v > 0 ? v : 0) : v
                }
                let (a, d) = BatchNorm.gradientSums(g + o, xs + o, count: s, mean: mean, invStd: invStd, rectifying: affine)
                sumDy += a
                sumDyXhat += d
            }
            dgamma[ch] = sumDyXhat
            dbeta[ch] = sumDy
            let k = gm * invStd, meanDy = training ? sumDy / Float(n) : 0, meanDyXhat = training ? sumDyXhat / Float(n) : 0
            for bi in 0..<b {
                let o = (bi * c + ch) * s
                for i in 0..<s {
                    let h = (xs[o + i] - mean) * invStd
                    let gi = rectifying && !(gm * h + bt > 0) ? 0 : g[o + i]
                    dx[o + i] = k * (gi - meanDy - h * meanDyXhat)
                }
            }
        }
        return (y, dx, dgamma, dbeta, runMean, runVar)
    }

    @Test("BatchNorm on planes of fewer than 16 values (dense, 2x2, 3x3, 15) gives the plane-by-plane sums and values bit for bit, training and eval, with and without its ReLU, at one and two workers",
          arguments: [[7, 300], [64, 256], [5, 130, 2, 2], [9, 70, 3, 3], [4, 33, 3, 5], [6, 20, 4, 4]])
    func smallPlaneBatchNormMatchesPlaneByPlane(shape: [Int]) {
        var rng = RandomSource(seed: UInt64(shape.reduce(0, +)))
        let features = shape[1]
        let gamma = Tensor.uniform([features], -1.5, 1.5, using: &rng), beta = Tensor.uniform([features], -0.5, 0.5, using: &rng)
        let x = Tensor.uniform(shape, -2, 3, using: &rng), dy = Tensor.uniform(shape, -1, 1, using: &rng)
        for training in [true, false] {
            for rectifying in [false, true] {
                let expected = Self.planeByPlaneBatchNorm(x, dy, gamma: gamma, beta: beta, training: training,
                                                          rectifying: rectifying)
                for threads in [1, 2] {
                    Parallel.withThreads(threads) {
                        let layer = batchNorm(gamma: gamma, beta: beta)
                        let y = layer.forward(x, training: training, rectifying: rectifying)
                        let context = "\(shape) training \(training) relu \(rectifying) threads \(threads)"
                        #expect(y.scalars.map(\.bitPattern) == expected.y.map(\.bitPattern), "y \(context)")
                        #expect(layer.runningMean.scalars == expected.mean && layer.runningVariance.scalars == expected.variance,
                                "running statistics \(context)")
                        let dx = layer.backward(dy, needInputGradient: true)!
                        #expect(dx.scalars.map(\.bitPattern) == expected.dx.map(\.bitPattern), "dx \(context)")
                        #expect(layer.weight.grad.scalars == expected.dgamma && layer.bias.grad.scalars == expected.dbeta,
                                "dgamma, dbeta \(context)")
                    }
                }
            }
        }
    }

    @Test("a network runs each BatchNorm + ReLU pair as one pass with the layer-by-layer path's outputs, gradients and running statistics, bit for bit")
    func networkFusesBatchNormRelu() throws {
        let architecture = Architecture(inputShape: [2, 12, 12], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false), .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5),
            .activation(.relu), .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .conv2d(inputs: 4, outputs: 5, kernel: 3, stride: 1, padding: 1, bias: true), .batchNorm(features: 5, momentum: 0.1, epsilon: 1e-5),
            .activation(.tanh), .batchNorm(features: 5, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
            .flatten, .dense(inputs: 5 * 6 * 6, outputs: 20, bias: true), .batchNorm(features: 20, momentum: 0.1, epsilon: 1e-5),
            .activation(.relu), .dense(inputs: 20, outputs: 3, bias: true),
        ])
        var rngA = RandomSource(seed: 8), rngB = RandomSource(seed: 8)
        let fused = try Network(architecture, rng: &rngA), plain = try Network(architecture, rng: &rngB)
        plain.fusesBatchNormRelu = false
        #expect(fused.fusedBatchNormRelu(at: 1) != nil && fused.fusedBatchNormRelu(at: 7) != nil)
        #expect(fused.fusedBatchNormRelu(at: 11) != nil && fused.fusedBatchNormRelu(at: 5) == nil)
        #expect(plain.fusedBatchNormRelu(at: 1) == nil)
        // the ReLU runs with the batch normalization, so the pooling after it runs alone
        #expect(fused.fusedReluPooling(at: 2) == nil && plain.fusedReluPooling(at: 2) != nil)
        // layers 1-3 (BatchNorm, ReLU, max pooling) run as one pass (`fusedBatchNormReluPooling`)
        #expect(fused.stages.map(\.name) == ["layers.0", "layers.1-3", "layers.4", "layers.5", "layers.6",
                                              "layers.7-8", "layers.9-10", "layers.11-12", "layers.13"])
        var rng = RandomSource(seed: 9)
        for (batch, training) in [(6, true), (4, true), (5, false)] {
            let x = Tensor.uniform([batch, 2, 12, 12], -1, 1, using: &rng)
            expectSameStep(fused, plain, x, training: training, rng: &rng)
        }
    }

    @Test("a network runs each ReLU + max pooling pair as one pass with the layer-by-layer path's outputs and gradients, bit for bit")
    func networkFusesReluPooling() throws {
        let architecture = Architecture(inputShape: [2, 12, 12], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .conv2d(inputs: 4, outputs: 5, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 3, stride: 2, padding: 1), .activation(.tanh), .maxPool2d(kernel: 2, stride: 1, padding: 0),
            .flatten, .dense(inputs: 5 * 2 * 2, outputs: 3, bias: true),
        ])
        var rngA = RandomSource(seed: 8), rngB = RandomSource(seed: 8)
        let fused = try Network(architecture, rng: &rngA), plain = try Network(architecture, rng: &rngB)
        plain.fusesReluPooling = false
        #expect(fused.fusedReluPooling(at: 1) != nil && fused.fusedReluPooling(at: 4) != nil)
        #expect(fused.fusedReluPooling(at: 6) == nil && fused.fusedReluPooling(at: 0) == nil)
        #expect(plain.fusedReluPooling(at: 1) == nil)
        var rng = RandomSource(seed: 9)
        let x = Tensor.uniform([6, 2, 12, 12], -1, 1, using: &rng)
        let y = fused.forward(x, training: true).copy()
        #expect(y == plain.forward(x, training: true))
        let dy = Tensor.uniform(y.shape, -1, 1, using: &rng)
        fused.backward(dy); plain.backward(dy)
        for (a, b) in zip(fused.parameters, plain.parameters) { #expect(a.grad == b.grad) }
    }

    @Test("a network runs each flatten + dense pair as the dense layer on the unflattened input, with the layer-by-layer path's outputs and gradients bit for bit")
    func networkFusesFlattenDense() throws {
        // cnn-like (conv, pool, flatten, dense) and MLP-like (flatten first: no input gradient is needed)
        let convolutional = Architecture(inputShape: [2, 8, 8], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0), .flatten, .dense(inputs: 4 * 4 * 4, outputs: 6, bias: true),
            .activation(.relu), .dense(inputs: 6, outputs: 3, bias: true),
        ])
        let dense = Architecture(inputShape: [1, 5, 5], layers: [
            .flatten, .dense(inputs: 25, outputs: 40, bias: true), .activation(.tanh), .dense(inputs: 40, outputs: 20, bias: false),
        ])
        for (architecture, flattenAt) in [(convolutional, 3), (dense, 0)] {
            var rngA = RandomSource(seed: 4), rngB = RandomSource(seed: 4)
            let fused = try Network(architecture, rng: &rngA), plain = try Network(architecture, rng: &rngB)
            plain.fusesFlattenDense = false
            fused.fusesSmallDenseLayers = false; plain.fusesSmallDenseLayers = false
            #expect(fused.fusedFlattenDense(at: flattenAt) != nil && plain.fusedFlattenDense(at: flattenAt) == nil)
            #expect(fused.stages.contains { $0.layers == flattenAt...(flattenAt + 1) })
            var rng = RandomSource(seed: 5)
            for batch in [7, 3] {  // a smaller second batch reuses the buffers
                let x = Tensor.uniform([batch] + architecture.inputShape, -1, 1, using: &rng)
                expectSameStep(fused, plain, x, training: true, rng: &rng)
            }
        }
        // Dense alone: an input of (B, C, H, W) is read as (B, C * H * W); its gradient has the input's shape.
        var rng = RandomSource(seed: 6)
        let layer = Dense(inputs: 12, outputs: 5, rng: &rng)
        let x4 = Tensor.uniform([3, 3, 2, 2], -1, 1, using: &rng)
        let y4 = layer.forward(x4, training: true).copy()
        let x2 = x4.reshaped([3, 12])
        #expect(y4 == layer.forward(x2, training: true))
        let dy = Tensor.uniform([3, 5], -1, 1, using: &rng)
        let dx2 = layer.backward(dy, needInputGradient: true)!.copy()
        _ = layer.forward(x4, training: true)
        let dx4 = layer.backward(dy, needInputGradient: true)!
        #expect(dx4.shape == [3, 3, 2, 2] && dx2.shape == [3, 12] && dx4.scalars == dx2.scalars)
    }

    @Test("a large fill over two workers sets every element")
    func parallelFill() {
        let t = Tensor(repeating: 1, shape: [100_003])
        Parallel.withThreads(2) { t.fill(-2.5) }
        #expect(t.scalars.allSatisfy { $0 == -2.5 })
    }

    @Test("the sigmoid layer gives VectorMath.sigmoid's value for every element, at any length, offset and worker count, and the fused pass the same bits",
          arguments: [1, 15, 16, 17, 100_003])
    func sigmoidLayerMatchesVectorFunction(count: Int) throws {
        var rng = RandomSource(seed: UInt64(count))
        let x = Tensor.uniform([count], -30, 30, using: &rng)
        if count > 3 { x.data[1] = .nan; x.data[2] = .infinity; x.data[3] = -.infinity }
        for workers in [1, 2] {
            let y = Parallel.withThreads(workers) { Activation(.sigmoid).forward(x, training: false).copy() }
            for i in 0..<count {
                #expect(y.data[i].bitPattern == VectorMath.sigmoid(x.data[i]).bitPattern || (y.data[i].isNaN && x.data[i].isNaN),
                        "element \(i) at \(workers) workers")
            }
        }
        // the fused small-network pass ends in the same sigmoid: identical outputs when its last layer is identity-weighted
        let architecture = Architecture(inputShape: [1], layers: [.dense(inputs: 1, outputs: 1, bias: true), .activation(.sigmoid)])
        var rngA = RandomSource(seed: 1), rngB = RandomSource(seed: 1)
        let fused = try Network(architecture, rng: &rngA), plain = try Network(architecture, rng: &rngB)
        plain.fusesSmallDenseLayers = false
        for network in [fused, plain] { network.parameters[0].value.data[0] = 1; network.parameters[1].value.data[0] = 0 }
        let column = Tensor.uniform([37, 1], -30, 30, using: &rng)
        #expect(fused.forward(column, training: true) == plain.forward(column, training: true))
    }

    @Test("a dense network's outputs and gradients at two and three workers (forward and input-gradient products split by columns, the weight gradient by units) equal one worker's to rounding")
    func denseProductsSplitMatchOneWorker() throws {
        let architecture = Architecture(inputShape: [300], layers: [
            .dense(inputs: 300, outputs: 200, bias: true), .activation(.relu), .dense(inputs: 200, outputs: 100, bias: false),
        ])
        var rng = RandomSource(seed: 9)
        let x = Tensor.uniform([128, 300], -1, 1, using: &rng), dy = Tensor.uniform([128, 100], -1, 1, using: &rng)
        func step(workers: Int) throws -> (Tensor, [Tensor], Tensor) {
            var seed = RandomSource(seed: 4)
            let network = try Network(architecture, rng: &seed)
            return Parallel.withThreads(workers) {
                var h = x
                for layer in network.layers { h = layer.forward(h, training: true) }
                let y = h.copy()
                var g = dy
                for layer in network.layers.reversed() { g = layer.backward(g, needInputGradient: true)! }
                return (y, network.parameters.map { $0.grad.copy() }, g.copy())
            }
        }
        let (y1, grads1, dx1) = try step(workers: 1)
        for workers in [2, 3] {
            let (y, grads, dx) = try step(workers: workers)
            // each block is its own sgemm call: OpenBLAS may take another kernel for a block's size
            // (bit for bit the same at two workers on W2 here)
            #expect(maxScaledDifference(y, y1) < 1e-5 && maxScaledDifference(dx, dx1) < 1e-5, "\(workers) workers")
            for (a, b) in zip(grads, grads1) { #expect(maxScaledDifference(a, b) < 1e-5, "\(workers) workers") }
        }
    }
}

/// The fused pass's numbers as `SmallDenseStack` defines them, with scalar floats: samples in groups of 16 (the
/// lanes), the last group padded with zero inputs and zero output gradients; z = (bias or 0) + h_0 w_o0 + ... in
/// order of the inputs; a weight's or bias's gradient adds to its value (current gradient) -0 + S_0 + ... + S_15,
/// where S_l = +0 + (term of lane l in group 0) + (term in group 1) + ...; dLoss/da below = +0 + dz_0 w_0i + ...
/// in order of the outputs. Returns the output (B, out) and every parameter's gradient after the backward pass.
private func fusedReference(_ network: Network, x: Tensor, dy: Tensor) -> (output: [Float], gradients: [[Float]]) {
    struct Stage { let dense: Dense; let kind: ActivationKind }
    var stages: [Stage] = []
    for layer in network.layers {
        if let dense = layer as? Dense { stages.append(Stage(dense: dense, kind: .identity)) }
        if let activation = layer as? Activation {
            stages[stages.count - 1] = Stage(dense: stages[stages.count - 1].dense, kind: activation.kind)
        }
    }
    let b = x.shape[0], groups = (b + 15) / 16, rows = groups * 16
    func activate(_ z: Float, _ kind: ActivationKind) -> Float {
        switch kind {
        case .identity: return z
        case .relu: return z > 0 ? z : 0
        case .leakyRelu(let slope): return z > 0 ? z : z * slope
        case .sigmoid: return VectorMath.sigmoid(z)
        case .tanh: return floatTanh(z)
        }
    }
    func derivative(_ g: Float, z: Float, a: Float, _ kind: ActivationKind) -> Float {
        switch kind {
        case .identity: return g
        case .relu: return z > 0 ? g : 0
        case .leakyRelu(let slope): return z > 0 ? g : g * slope
        case .tanh: return g * (1 - a * a)
        case .sigmoid: return g * a * (1 - a)
        }
    }
    let nIn = stages[0].dense.inputFeatures
    // inputs[s] is stage s's input (rows, n); zs[s] and outs[s] its pre-activation and output (rows, m)
    var inputs: [[[Float]]] = [(0..<rows).map { r in (0..<nIn).map { r < b ? x.data[r * nIn + $0] : 0 } }]
    var zs: [[[Float]]] = [], outs: [[[Float]]] = []
    for stage in stages {
        let (n, m) = (stage.dense.inputFeatures, stage.dense.outputFeatures), w = stage.dense.weight.value.data
        let h = inputs[inputs.count - 1]
        var z = [[Float]](repeating: [Float](repeating: 0, count: m), count: rows), a = z
        for r in 0..<rows {
            for o in 0..<m {
                var acc = stage.dense.bias?.value.data[o] ?? 0
                for i in 0..<n { acc += h[r][i] * w[o * n + i] }
                z[r][o] = acc
                a[r][o] = activate(acc, stage.kind)
            }
        }
        zs.append(z)
        outs.append(a)
        inputs.append(a)
    }
    let nOut = stages[stages.count - 1].dense.outputFeatures
    let output = (0..<b).flatMap { r in outs[outs.count - 1][r] }
    var gradients: [[Float]] = []
    var dA = (0..<rows).map { r in (0..<nOut).map { r < b ? dy.data[r * nOut + $0] : Float(0) } }
    func laneSum(_ term: (Int) -> Float) -> Float {  // -0 + S_0 + ... + S_15, S_l over the groups in order
        var total: Float = -0.0
        for l in 0..<16 {
            var lane: Float = 0
            for g in 0..<groups { lane += term(g * 16 + l) }
            total += lane
        }
        return total
    }
    for s in stride(from: stages.count - 1, through: 0, by: -1) {
        let stage = stages[s], (n, m) = (stage.dense.inputFeatures, stage.dense.outputFeatures)
        let w = stage.dense.weight.value.data, h = inputs[s]
        let dz = (0..<rows).map { r in
            (0..<m).map { derivative(dA[r][$0], z: zs[s][r][$0], a: outs[s][r][$0], stage.kind) }
        }
        var dW = stage.dense.weight.grad.scalars
        for o in 0..<m { for i in 0..<n { dW[o * n + i] += laneSum { dz[$0][o] * h[$0][i] } } }
        var layerGradients = [dW]
        if let bias = stage.dense.bias {
            var db = bias.grad.scalars
            for o in 0..<m { db[o] += laneSum { dz[$0][o] } }
            layerGradients.append(db)
        }
        gradients.insert(contentsOf: layerGradients, at: 0)
        dA = (0..<rows).map { r in
            (0..<n).map { i in
                var acc: Float = 0
                for o in 0..<m { acc += dz[r][o] * w[o * n + i] }
                return acc
            }
        }
    }
    return (output, gradients)
}
