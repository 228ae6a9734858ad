import Testing
import Foundation
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

@Test("Adam's vectorized update equals the scalar formula with IEEE square root bit for bit, at every length, masked or not",
      arguments: [1, 7, 8, 9, 16, 17, 33], [false, true])
func adamVectorLoopIsTheScalarFormula(count: Int, masked: Bool) {
    for decoupled in [false, true] {
        var rng = RandomSource(seed: UInt64(count))
        let p = Parameter(Tensor.uniform([count], -1, 1, using: &rng))
        if masked { p.mask = Tensor((0..<count).map { $0 % 3 == 1 ? 0 : 1 }) }
        let adam = Adam(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: decoupled)
        var w = p.value.scalars, m = [Float](repeating: 0, count: count), v = m
        for t in 1...4 {
            p.grad.fillUniform(-1, 1, using: &rng)
            if t == 2 { p.grad.fill(0) }  // the moments then decay with zero gradients
            let g = p.grad.scalars
            adam.step([p])
            let stepSize = Float(Double(adam.learningRate) / (1 - pow(Double(adam.beta1), Double(t))))
            let bc2Sqrt = Float((1 - pow(Double(adam.beta2), Double(t))).squareRoot())
            let decay: Float = decoupled ? 1 - adam.learningRate * 0.1 : 1, l2: Float = decoupled ? 0 : 0.1
            for i in 0..<count where !masked || i % 3 != 1 {
                let gi = g[i] + l2 * w[i]
                m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * gi
                v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * gi * gi
                let denom = v[i].squareRoot() / bc2Sqrt + adam.epsilon
                w[i] = w[i] * decay - stepSize * m[i] / denom
            }
        }
        #expect(p.value.scalars.map(\.bitPattern) == w.map(\.bitPattern))
        #expect(p.state["exp_avg"]!.scalars.map(\.bitPattern) == m.map(\.bitPattern))
        #expect(p.state["exp_avg_sq"]!.scalars.map(\.bitPattern) == v.map(\.bitPattern))
    }
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
