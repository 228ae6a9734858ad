import Testing
import SculptCore
@testable import SculptNN
import TestSupport

@Test("MSE value and gradient")
func mse() {
    let p = Tensor([1, 2, 3, 4], shape: [2, 2]), t = Tensor([1, 0, 3, 2], shape: [2, 2])
    let g = Tensor(zeros: [0])
    #expect(MeanSquaredError().compute(prediction: p, target: t, gradient: g) == 2)  // (4 + 4) / 4
    #expect(g.scalars == [0, 1, 0, 1])
    #expect(GradientCheck.lossError(MeanSquaredError(), prediction: p, target: t) < 1e-2)
}

@Test("softmax cross-entropy value and gradient")
func crossEntropy() {
    var rng = RandomSource(seed: 4)
    let logits = Tensor.uniform([5, 4], -2, 2, using: &rng)
    let labels = Tensor([0, 3, 1, 2, 3])
    #expect(GradientCheck.lossError(SoftmaxCrossEntropy(), prediction: logits, target: labels) < 1e-2)
    // Uniform logits: loss = log(C).
    let flat = Tensor(zeros: [2, 4])
    let l = SoftmaxCrossEntropy().compute(prediction: flat, target: Tensor([1, 2]), gradient: nil)
    #expect(abs(l - logf(4)) < 1e-6)
    // Large logits do not overflow.
    let big = Tensor([1000, 0, -1000, 0], shape: [1, 4])
    #expect(SoftmaxCrossEntropy().compute(prediction: big, target: Tensor([0]), gradient: nil) < 1e-6)
}

@Test("accuracy counts argmax hits")
func accuracy() {
    let logits = Tensor([0.1, 0.9, 0.8, 0.2, 0.3, 0.7], shape: [3, 2])
    #expect(classificationAccuracy(logits: logits, labels: Tensor([1, 0, 0])) == Float(2) / 3)
}

#if canImport(Glibc)
import Glibc
#endif
