import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

@Test("collapsing linear layers keeps the function to float32 rounding, for several shapes",
      arguments: [
        [(3, ActivationKind.relu), (9, .identity), (1, .sigmoid)],
        [(3, .relu), (3, .identity), (3, .identity), (3, .identity), (1, .sigmoid)],
        [(7, .relu), (2, nil), (11, .identity), (5, .relu), (13, .identity), (4, nil)],
        [(6, .identity), (6, .tanh), (30, .identity), (1, .identity), (8, .relu), (3, nil)],
      ] as [[(Int, ActivationKind?)]])
func collapseIsExact(layers: [(Int, ActivationKind?)]) throws {
    let net = try makeNetwork(inputs: 2, layers, seed: 11)
    let x = randomInputs(200, 2, seed: 5)
    let before = net.predict(x)
    let denseBefore = net.layers.filter { $0 is Dense }.count
    let report = try net.collapseLinearLayers()
    let after = net.predict(x)
    #expect(relativeDifference(before, after) <= 1e-5)
    #expect(report.parametersAfter == net.parameterCount)
    #expect(report.parametersBefore > report.parametersAfter)
    #expect(net.layers.filter { $0 is Dense }.count == denseBefore - report.layersFolded)
    // No linear Dense is left: every Dense but the last is followed by a non-identity activation.
    for (i, layer) in net.layers.enumerated() where layer is Dense {
        #expect(!Network.isLinear(at: i, in: net.layers))
    }
}

@Test("the paper's model 2 collapses from 55 to 13 parameters (2-3-1 with biases)")
func paperModelCounts() throws {
    let net = try makeNetwork(inputs: 2, [(3, .relu), (9, .identity), (1, .sigmoid)], seed: 3)
    #expect(net.parameterCount == 55)
    let report = try net.collapseLinearLayers()
    #expect(report == CollapseReport(parametersBefore: 55, parametersAfter: 13, layersFolded: 1))
    let model3 = try makeNetwork(inputs: 2, [(3, .relu), (3, .identity), (3, .identity), (3, .identity), (1, .sigmoid)], seed: 3)
    #expect(model3.parameterCount == 49)
    #expect(try model3.collapseLinearLayers().parametersAfter == 13)
}

@Test("folding is A' = A3 A2, b' = A3 b2 + b3 on a hand-computed case")
func foldByHand() throws {
    let first = Dense(weight: Tensor([1, 2, 3, 4], shape: [2, 2]), bias: Tensor([1, -1]))
    let second = Dense(weight: Tensor([2, 1], shape: [1, 2]), bias: Tensor([0.5]))
    let folded = fold(first, into: second)
    #expect(folded.weight.value.scalars == [5, 8])
    #expect(folded.bias!.value.scalars == [1.5])
}
