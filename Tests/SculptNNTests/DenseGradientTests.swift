import Testing
import SculptCore
@testable import SculptNN
import TestSupport

@Test("Dense gradients match finite differences", arguments: [true, false])
func denseGradients(bias: Bool) {
    var rng = RandomSource(seed: 11)
    let layer = Dense(inputs: 4, outputs: 3, bias: bias, rng: &rng)
    let x = Tensor.uniform([5, 4], -1, 1, using: &rng)
    let e = GradientCheck.maxRelativeError(layer: layer, input: x)
    #expect(e.input < 1e-2)
    for (name, err) in e.parameters { #expect(err < 1e-2, "\(name): \(err)") }
    #expect(e.parameters.count == (bias ? 2 : 1))
}

@Test("activation gradients match finite differences",
      arguments: [ActivationKind.relu, .leakyRelu(slope: 0.1), .tanh, .sigmoid, .identity])
func activationGradients(kind: ActivationKind) {
    var rng = RandomSource(seed: 12)
    // Keep inputs away from the ReLU kink so central differences are valid.
    let x = Tensor.uniform([4, 6], 0.1, 1, using: &rng)
    for i in stride(from: 0, to: x.count, by: 2) { x.data[i] = -x.data[i] }
    let e = GradientCheck.maxRelativeError(layer: Activation(kind), input: x, h: 1e-2)
    #expect(e.input < 1e-2, "\(kind): \(e.input)")
}

@Test("Dense forward equals x W^T + b on a hand-computed case")
func denseForwardByHand() {
    let layer = Dense(weight: Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), bias: Tensor([0.5, -1]))
    let y = layer.forward(Tensor([1, 0, -1, 2, 1, 0], shape: [2, 3]), training: false)
    // row 0: [1-3+0.5, 4-6-1] = [-1.5, -3]; row 1: [2+2+0.5, 8+5-1] = [4.5, 12]
    #expect(y.scalars == [-1.5, -3, 4.5, 12])
}

@Test("Dense accumulates gradients across backward calls")
func denseAccumulates() {
    var rng = RandomSource(seed: 2)
    let layer = Dense(inputs: 2, outputs: 2, rng: &rng)
    let x = Tensor([1, 2], shape: [1, 2]), dy = Tensor([1, 1], shape: [1, 2])
    _ = layer.forward(x, training: true)
    _ = layer.backward(dy, needInputGradient: false)
    let once = layer.weight.grad.copy()
    _ = layer.backward(dy, needInputGradient: false)
    #expect(layer.weight.grad.maxAbsDifference(once * 2) == 0)
}

@Test("activations compute their definitions")
func activationValues() {
    let x = Tensor([-2, 0, 3])
    #expect(Activation(.relu).forward(x, training: false).scalars == [0, 0, 3])
    #expect(Activation(.leakyRelu(slope: 0.5)).forward(x, training: false).scalars == [-1, 0, 3])
    #expect(Activation(.identity).forward(x, training: false).scalars == [-2, 0, 3])
    let s = Activation(.sigmoid).forward(Tensor([0]), training: false)
    #expect(s.scalars == [0.5])
}
