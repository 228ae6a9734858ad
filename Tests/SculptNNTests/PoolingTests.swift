import Testing
import SculptCore
import SculptNN
import TestSupport

/// Distinct values spaced 0.1 apart in random order, so finite differences never cross a tie.
private func untiedInput(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    let n = shape.reduce(1, *)
    let order = rng.permutation(n)
    return Tensor(order.map { Float($0) * 0.1 - Float(n) * 0.05 }, shape: shape)
}

@Suite("Pooling")
struct PoolingTests {
    @Test("max pooling: hand-computed forward and routed gradient")
    func maxPoolByHand() throws {
        let pool = MaxPool2D(kernelSize: 2)
        let x = Tensor([1, 5, 2, 0,
                        3, 4, 8, 7,
                        -1, -2, 6, 6,
                        -3, -4, 9, 1], shape: [1, 1, 4, 4])
        let y = pool.forward(x, training: true)
        #expect(y.scalars == [5, 8, -1, 9])
        let dx = try #require(pool.backward(Tensor([10, 20, 30, 40], shape: [1, 1, 2, 2]), needInputGradient: true))
        #expect(dx.scalars == [0, 10, 0, 0,
                               0, 0, 20, 0,
                               30, 0, 0, 0,
                               0, 0, 40, 0])
        // ties go to the first maximum in window order, as in PyTorch
        let tie = MaxPool2D(kernelSize: 2)
        _ = tie.forward(Tensor([6, 6, 6, 6], shape: [1, 1, 2, 2]), training: true)
        #expect(tie.backward(Tensor([1], shape: [1, 1, 1, 1]), needInputGradient: true)!.scalars == [1, 0, 0, 0])
    }

    @Test("finite-difference gradients away from ties", arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)])
    func maxPoolGradient(kernel: Int, stride: Int, padding: Int) {
        let pool = MaxPool2D(kernelSize: kernel, stride: stride, padding: padding)
        let e = GradientCheck.maxRelativeError(layer: pool, input: untiedInput([2, 2, 5, 6], seed: 9), h: 1e-2)
        #expect(e.input < 1e-3)
    }

    @Test("average pooling: hand-computed with padding counted in the divisor")
    func avgPoolByHand() {
        let pool = AvgPool2D(kernelSize: 2, stride: 2, padding: 1)
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        // windows: [pad, pad, pad, 1] ... each divides by 4
        #expect(pool.forward(x, training: false).scalars == [0.25, 0.5, 0.75, 1])
    }

    @Test("finite-difference gradients of average pooling", arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1)])
    func avgPoolGradient(kernel: Int, stride: Int, padding: Int) {
        var rng = RandomSource(seed: 4)
        let pool = AvgPool2D(kernelSize: kernel, stride: stride, padding: padding)
        let e = GradientCheck.maxRelativeError(layer: pool, input: Tensor.uniform([2, 3, 5, 6], -1, 1, using: &rng))
        #expect(e.input < 1e-3)
    }

    @Test("global average pooling: value and finite-difference gradient")
    func globalAveragePool() {
        let pool = GlobalAveragePool()
        let x = Tensor([1, 2, 3, 4, 10, 20, 30, 40], shape: [1, 2, 2, 2])
        #expect(pool.forward(x, training: false).scalars == [2.5, 25])
        #expect(pool.forward(x, training: false).shape == [1, 2])
        var rng = RandomSource(seed: 2)
        let e = GradientCheck.maxRelativeError(layer: pool, input: Tensor.uniform([2, 3, 4, 5], -1, 1, using: &rng))
        #expect(e.input < 1e-3)
    }

    @Test("pooling forward and backward match the numpy reference")
    func matchesReference() throws {
        let cases = try ReferenceFixtures.load()
        for name in ["maxpool_k2_s2", "maxpool_k3_s2_p1", "avgpool_k2_s2", "avgpool_k3_s1_p1", "global_avgpool"] {
            let c = try #require(cases[name])
            let layer: Layer
            if name.hasPrefix("max") {
                layer = MaxPool2D(kernelSize: c["kernel"]!.int, stride: c["stride"]!.int, padding: c["padding"]!.int)
            } else if name.hasPrefix("avg") {
                layer = AvgPool2D(kernelSize: c["kernel"]!.int, stride: c["stride"]!.int, padding: c["padding"]!.int)
            } else {
                layer = GlobalAveragePool()
            }
            let y = layer.forward(c["x"]!.tensor, training: true)
            #expect(y.shape == c["y"]!.tensor.shape, "\(name)")
            #expect(maxScaledDifference(y, c["y"]!.tensor) < 1e-6, "\(name) forward")
            let dx = try #require(layer.backward(c["dy"]!.tensor, needInputGradient: true))
            #expect(maxScaledDifference(dx, c["dx"]!.tensor) < 1e-6, "\(name) dx")
        }
    }
}
