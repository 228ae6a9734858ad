import Testing
import SculptCore
import SculptNN
import TestSupport

@Suite("Dropout and Flatten")
struct DropoutFlattenTests {
    @Test("dropout is the identity in eval mode")
    func evalIdentity() {
        var rng = RandomSource(seed: 1)
        let dropout = Dropout(probability: 0.5, rng: RandomSource(seed: 9))
        let x = Tensor.uniform([4, 10], -1, 1, using: &rng)
        #expect(dropout.forward(x, training: false) == x)
        #expect(dropout.backward(x, needInputGradient: true)! == x)
    }

    @Test("dropout masks are determined by the layer's seed and scale survivors by 1/(1-p)")
    func deterministic() {
        let x = Tensor(repeating: 1, shape: [8, 500])
        let a = Dropout(probability: 0.3, rng: RandomSource(seed: 42))
        let b = Dropout(probability: 0.3, rng: RandomSource(seed: 42))
        let c = Dropout(probability: 0.3, rng: RandomSource(seed: 43))
        let ya = a.forward(x, training: true).copy()
        #expect(ya == b.forward(x, training: true))
        #expect(ya != c.forward(x, training: true))
        var zeros = 0
        for v in ya.scalars {
            #expect(v == 0 || abs(v - 1 / 0.7) < 1e-6)
            if v == 0 { zeros += 1 }
        }
        #expect(abs(Double(zeros) / 4000 - 0.3) < 0.03)
        // a second step draws a new mask
        #expect(a.forward(x, training: true) != ya)
    }

    @Test("dropout gradient by finite differences with a fixed mask")
    func gradient() {
        var rng = RandomSource(seed: 5)
        let dropout = Dropout(probability: 0.4, rng: RandomSource(seed: 0))
        let e = GradientCheck.maxRelativeError(layer: dropout, input: Tensor.uniform([3, 7], -1, 1, using: &rng),
                                               beforeForward: { dropout.rng = RandomSource(seed: 77) })
        #expect(e.input < 1e-3)
    }

    @Test("flatten keeps row-major order and its gradient restores the shape")
    func flatten() throws {
        var rng = RandomSource(seed: 2)
        let layer = Flatten()
        let x = Tensor.uniform([2, 3, 2, 2], -1, 1, using: &rng)
        let y = layer.forward(x, training: true)
        #expect(y.shape == [2, 12])
        #expect(y.scalars == x.scalars)
        #expect(y[1, 7] == x[1, 1, 1, 1])
        let e = GradientCheck.maxRelativeError(layer: layer, input: x)
        #expect(e.input < 1e-3)
        #expect(try layer.outputShape(for: [3, 2, 2]) == [12])
    }
}
