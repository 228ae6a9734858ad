import Testing
import SculptCore
import TestSupport
@testable import SculptNN

@Test("SGD with momentum and weight decay follows PyTorch's update rule")
func sgdMomentum() {
    let p = parameter([1, -2], grad: [0.5, 1])
    let sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    sgd.step([p])
    // d = g + wd*w = [0.51, 0.98]; buf = d; w -= lr*buf
    #expect(abs(p.value[0] - (1 - 0.1 * 0.51)) < 1e-7)
    #expect(abs(p.value[1] - (-2 - 0.1 * 0.98)) < 1e-7)
    let w1 = p.value.scalars
    sgd.step([p])
    // buf = 0.9*buf + d'
    let d0: Float = 0.5 + 0.01 * w1[0]
    let expected = w1[0] - 0.1 * (0.9 * 0.51 + d0)
    #expect(abs(p.value[0] - expected) < 1e-6)
}

@Test("Nesterov uses d + mu * buf")
func sgdNesterov() {
    let p = parameter([1], grad: [1])
    SGD(learningRate: 0.1, momentum: 0.5, nesterov: true).step([p])
    #expect(abs(p.value[0] - (1 - 0.1 * 1.5)) < 1e-7)
}

@Test("Adam's first steps match the closed form")
func adamSteps() {
    let p = parameter([1], grad: [0.5])
    let adam = Adam()
    adam.step([p])
    // t=1: m_hat = g, v_hat = g^2 -> step = lr * g / (|g| + eps) ~ lr
    #expect(abs(p.value[0] - (1 - 1e-3 * 0.5 / (0.5 + 1e-8))) < 1e-7)
    p.grad.assign(Tensor([-1]))
    adam.step([p])
    let m = 0.9 * 0.1 * 0.5 + 0.1 * -1.0, v = 0.999 * 0.001 * 0.25 + 0.001 * 1.0
    let mHat = m / (1 - 0.81), vHatSqrt = (v / (1 - 0.999 * 0.999)).squareRoot()
    let expected = Double(1 - 1e-3 * 0.5 / (0.5 + 1e-8)) - 1e-3 * mHat / (vHatSqrt + 1e-8)
    #expect(abs(Double(p.value[0]) - expected) < 1e-6)
    #expect(p.step == 2)
}

/// The optimizer `kind` ("sgd", "nesterov", "adam", "adamw") with lr 0.1, momentum 0.9 and weight decay 0.1.
func testOptimizer(_ kind: String) -> Optimizer {
    switch kind {
    case "sgd": return SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
    case "nesterov": return SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true)
    case "adam": return Adam(learningRate: 0.1, weightDecay: 0.1)
    default: return Adam(learningRate: 0.1, weightDecay: 0.1, decoupledWeightDecay: true)
    }
}

@Test("masked entries get no update at all, bit for bit", arguments: ["sgd", "nesterov", "adam", "adamw"])
func masksFreezeEntries(kind: String) {
    var rng = RandomSource(seed: 8)
    let p = Parameter(Tensor.uniform([6], -1, 1, using: &rng))
    p.mask = Tensor([1, 0, 1, 0, 0, 1])
    let before = p.value.copy()
    let optimizer = testOptimizer(kind)
    for _ in 0..<5 {
        p.grad.fillUniform(-1, 1, using: &rng)
        optimizer.step([p])
    }
    for i in [1, 3, 4] {
        #expect(p.value[i].bitPattern == before[i].bitPattern)
        for (_, s) in p.state { #expect(s[i] == 0) }
    }
    for i in [0, 2, 5] { #expect(p.value[i] != before[i]) }
}
