import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptSurgery

/// Dense 1 -> 2 (weights 1, 2; no bias), ReLU, Dense 2 -> 1 (weights 3, -1; no bias).
func tinyTaylorNetwork() throws -> Network {
    try Network(inputShape: [1], layers: [Dense(weight: Tensor([1, 2], shape: [2, 1]), bias: nil), Activation(.relu),
                                          Dense(weight: Tensor([3, -1], shape: [1, 2]), bias: nil)])
}

@Test("Taylor criterion, mean activation and APoZ on a hand-computed case")
func taylorHandComputed() throws {
    // x = 1: a = (1, 2), y = 1, per-sample MSE gradient 2y = 2, dL/da = (6, -2), a*g = (6, -4).
    // x = -1: a = (0, 0). Averages over the 2 samples: Taylor (3, 2), normalized by sqrt(13).
    let net = try tinyTaylorNetwork()
    let data = TensorDataset(inputs: Tensor([1, -1], shape: [2, 1]), targets: Tensor([0, 0], shape: [2, 1]))
    let state = fullState(net)
    let group = try UnitGroup(network: net, layer: 0)
    #expect(group.measurementPoint == path("layers.1"))
    for batchSize in [1, 2] {
        let a = try UnitActivity.measure(
            network: net, group: group, data: data, loss: MeanSquaredError(), batchSize: batchSize)
        #expect(a.map(\.taylor) == [3, 2])
        #expect(
            abs(a[0].taylorNormalized - 3 / Float(13).squareRoot()) < 1e-6
                && abs(a[1].taylorNormalized - 2 / Float(13).squareRoot()) < 1e-6)
        #expect(a.map(\.meanActivation) == [0.5, 1] && a.map(\.zeroFraction) == [0.5, 0.5])
    }
    #expect(sameState(state, fullState(net)))
    #expect(net.layers[1] is Activation)  // the probe is gone
}

@Test("Taylor criterion averages activation x gradient over the feature map before the absolute value")
func taylorOverFeatureMap() throws {
    // One 1x1 filter (weight 1) on a [1, 1, 2] input, Flatten, Dense with weights (1, -1), MSE to 0.
    // Input (2, 1): a = (2, 1), y = 1, dL/dy = 2, g = (2, -2), mean(a*g) = (4 - 2) / 2 = 1.
    let net = try Network(
        inputShape: [1, 1, 2],
        layers: [
            Conv2D(weight: Tensor([1], shape: [1, 1, 1, 1]), bias: nil), Flatten(),
                                                          Dense(weight: Tensor([1, -1], shape: [1, 2]), bias: nil)])
    let data = TensorDataset(inputs: Tensor([2, 1], shape: [1, 1, 1, 2]), targets: Tensor([0], shape: [1, 1]))
    let group = try UnitGroup(network: net, layer: 0)
    #expect(group.consumers[0].span == 2)
    let a = try UnitActivity.measure(network: net, group: group, data: data, loss: MeanSquaredError())
    #expect(a[0].taylor == 1 && a[0].taylorNormalized == 1 && a[0].meanActivation == 1.5 && a[0].zeroFraction == 0)
}

@Test("weight norms per unit, ablation ratios for a conv group, and a full layer measurement")
func normsAndAblation() throws {
    let net = try tinyTaylorNetwork()
    let norms = UnitWeightNorms.measure(try UnitGroup(network: net, layer: 0))
    #expect(norms.map(\.incomingL1) == [1, 2] && norms.map(\.outgoingL1) == [3, 1] && norms.map(\.outgoingL2) == [3, 1])
    let conv = try convFlattenNetwork()
    let x = randomBatch(16, [2, 6, 6], seed: 3)
    let data = TensorDataset(inputs: x, targets: conv.predict(x).map { $0 + 0.1 })
    let group = try UnitGroup(network: conv, layer: 3)
    zeroOutgoing(group, unit: 2)
    let state = fullState(conv)
    let ratios = try UnitAblation.lossRatios(network: conv, group: group, data: data, loss: MeanSquaredError())
    #expect(ratios[2].ratio == 1 && ratios.contains { $0.ratio != 1 })
    #expect(sameState(state, fullState(conv)))
    let layers = try LayerMeasurement.measure(network: conv, data: data, loss: MeanSquaredError())
    #expect(layers.map(\.layer) == ["layers.0", "layers.3"])
    #expect(layers[1].units[2].outgoingL2 == 0 && layers[1].units[2].lossRatio == 1 && layers[1].units[2].taylor == 0)
    #expect(sameState(state, fullState(conv)))
}

@Test("redundancy: conv kernels match their circular permutations only when asked")
func circularRedundancy() throws {
    let net = try convFlattenNetwork()
    let group = try UnitGroup(network: net, layer: 0)
    let w = group.primary.weight.value, b = group.primary.bias!.value
    // Unit 1 is unit 0 with rows shifted by 1 and columns by 2 on both input channels, same bias.
    let k0 = w.unitValues(0, axis: 0, span: 1)
    var k1 = k0
    for c in 0..<2 {
        for r in 0..<3 { for q in 0..<3 { k1[(c * 3 + (r + 1) % 3) * 3 + (q + 2) % 3] = k0[(c * 3 + r) * 3 + q] } }
    }
    w.setUnitValues(1, axis: 0, span: 1, k1)
    b.data[1] = b.data[0]
    #expect(Redundancy.groups(in: group, threshold: 0.99, circular: false).isEmpty)
    #expect(Redundancy.groups(in: group, threshold: 0.99, circular: true) == [[0, 1]])
    #expect(abs(Redundancy.similarity(group, 1, 0, circular: true) - 1) < 1e-9)
}
