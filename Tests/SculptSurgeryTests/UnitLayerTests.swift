import SculptCore
import SculptNN
@testable import SculptSurgery

import Testing

/// A weight layer type the surgery module has never heard of (a Dense that counts its forward
/// passes). Its only surgery code is the `UnitLayer` conformance below.
private final class CountingDense: Layer, UnitLayer {
    var forwardPasses = 0
    let inner: Dense
    init(_ inner: Dense) { self.inner = inner }
    var weight: Parameter { inner.weight }
    var bias: Parameter? { inner.bias }
    var spec: LayerSpec { inner.spec }
    var namedParameters: [(name: String, parameter: Parameter)] { inner.namedParameters }
    func outputShape(for inputShape: [Int]) throws -> [Int] { try inner.outputShape(for: inputShape) }
    func forward(_ input: Tensor, training: Bool) -> Tensor {
        forwardPasses += 1
        return inner.forward(input, training: training)
    }
    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        inner.backward(gradOutput, needInputGradient: needInputGradient)
    }

    static var readsFlattenedUnits: Bool { true }
    func rebuilt(weight: Tensor, bias: Tensor?) -> Layer { CountingDense(Dense(weight: weight, bias: bias)) }
}

@Test("a new weight layer type is one UnitLayer conformance: groups, resizes, removal and folding work on it")
func newLayerTypeNeedsOneConformance() throws {
    var rng = RandomSource(seed: 40)
    let net = try Network(inputShape: [3], layers: [
        CountingDense(Dense(inputs: 3, outputs: 5, rng: &rng)), BatchNorm(features: 5), Activation(.tanh),
        CountingDense(Dense(inputs: 5, outputs: 2, rng: &rng)),
    ])
    let bn = try #require(net.layers[1] as? BatchNorm)
    bn.runningMean.fillUniform(-0.5, 0.5, using: &rng)
    bn.bias.value.fillUniform(-0.5, 0.5, using: &rng)
    let x = randomInputs(16, 3, seed: 41)
    let group = try UnitGroup(network: net, layer: 0)
    #expect(group.producers.count == 1 && group.normalizations.count == 1 && group.consumers.count == 1)
    let before = net.predict(x)
    try net.expandUnits(
        layer: LayerPath(0), to: 8, method: .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: 0))
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    // Zero the outgoing weights of units 1 and 6, then remove them: the function is kept.
    let consumer = try #require(net.layers[3] as? CountingDense)
    for r in 0..<2 { for u in [1, 6] { consumer.weight.value.data[r * 8 + u] = 0 } }
    let zeroed = net.predict(x)
    try net.removeUnits([1, 6], layer: LayerPath(0))
    #expect(relativeDifference(zeroed, net.predict(x)) <= 1e-5)
    // Folding the BatchNorm rebuilds the layer through the conformance, keeping its kind.
    try net.foldBatchNorm(at: LayerPath(0))
    #expect((net.layers[0] as? CountingDense)?.forwardPasses == 0 && net.layers.count == 3)
    #expect(relativeDifference(zeroed, net.predict(x)) <= 1e-5)
}
