import Testing
import SculptCore
import SculptIO
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
    let model3 = try makeNetwork(
        inputs: 2, [(3, .relu), (3, .identity), (3, .identity), (3, .identity), (1, .sigmoid)], seed: 3)
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

// MARK: - With BatchNorm and residual blocks present

/// A conv with no bias (its padding-free collapse is exact whatever the next conv's padding).
private func unbiasedConv(_ i: Int, _ o: Int, _ k: Int) -> LayerSpec {
    .conv2d(inputs: i, outputs: o, kernel: k, stride: 1, padding: 0, bias: false)
}
private let identity = LayerSpec.activation(.identity)

@Test(
    "collapse keeps eval outputs with BatchNorm elsewhere: conv-BN-ReLU, 1x1 identity conv, conv-BN, and the dense analogue"
)
func collapseBesideBatchNorm() throws {
    // [3, 6, 6] -> conv 3x3 pad 1 (4) -> BN -> relu -> 1x1 (6) -> identity -> 3x3 (5) -> BN -> relu -> [80] -> 3
    let specs: [LayerSpec] = [
        conv(3, 4, 3, padding: 1), bn(4), relu, conv(4, 6, 1), identity, conv(6, 5, 3), bn(5), relu,
                              .flatten, .dense(inputs: 80, outputs: 3, bias: true)]
    let net = try makeUnitNetwork([3, 6, 6], specs, seed: 21)
    let x = randomBatch(8, [3, 6, 6], seed: 3)
    let before = net.predict(x), parameters = net.parameterCount
    let kept = [net.layers[0], net.layers[1], net.layers[6]]
    let buffers = net.namedBuffers.map { $0.buffer.copy() }
    #expect(try net.collapse(at: path("layers.3")) == path("layers.3"))
    #expect(net.layers.count == specs.count - 2)
    #expect((net.layers[3] as! Conv2D).weight.value.shape == [5, 4, 3, 3] && (net.layers[3] as! Conv2D).padding == 0)
    #expect(net.parameterCount == parameters - (4 * 6 + 6) - (6 * 5 * 9 + 5) + (4 * 5 * 9 + 5))
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    // The layers around the merge are the same objects, and the BatchNorm statistics are untouched.
    #expect(net.layers[0] === kept[0] && net.layers[1] === kept[1] && net.layers[4] === kept[2])
    #expect(net.namedBuffers.map(\.buffer) == buffers)

    // collapse-all finds the same merge and nothing else.
    let again = try makeUnitNetwork([3, 6, 6], specs, seed: 21)
    #expect(try again.collapseAllLinearLayers() == 1)
    #expect(again.predict(x) == net.predict(x))

    // Dense: dense-BN-ReLU, identity dense, dense.
    let dense = try makeUnitNetwork([4], [.dense(inputs: 4, outputs: 6, bias: true), bn(6), relu,
                                          .dense(inputs: 6, outputs: 8, bias: true), identity,
                                          .dense(inputs: 8, outputs: 3, bias: true)], seed: 22)
    let xd = randomBatch(16, [4], seed: 4)
    let denseBefore = dense.predict(xd), normalization = dense.layers[1]
    let report = try dense.collapseLinearLayers()
    let p = 4 * 6 + 6 + 2 * 6
    #expect(
        report
            == CollapseReport(
                parametersBefore: p + 6 * 8 + 8 + 8 * 3 + 3, parametersAfter: p + 6 * 3 + 3, layersFolded: 1))
    #expect(dense.layers.count == 4 && dense.layers[1] === normalization)
    #expect(relativeDifference(denseBefore, dense.predict(xd)) <= 1e-5)
}

@Test("collapse refuses a linear layer followed by BatchNorm and leaves the network bit for bit unchanged")
func collapseRefusesBatchNormInBetween() throws {
    let dense = try makeUnitNetwork([4], [.dense(inputs: 4, outputs: 6, bias: true), identity, bn(6), relu,
                                          .dense(inputs: 6, outputs: 3, bias: true)], seed: 23)
    let conv = try makeUnitNetwork([3, 5, 5], [conv(3, 4, 1), bn(4), conv(4, 2, 3), relu, .flatten,
                                               .dense(inputs: 18, outputs: 2, bias: true)], seed: 24)
    for net in [dense, conv] {
        let state = fullState(net), specs = net.architecture
        #expect {
            try net.collapse(at: path("layers.0"))
        } throws: { error in
            guard case SurgeryError.notFoldable(let p, let reason) = error else { return false }
            return p == "layers.0" && reason.contains("batchnorm")
        }
        #expect(sameState(state, fullState(net)) && net.architecture == specs)
        // collapse-all sees nothing to fold.
        #expect(try net.collapseAllLinearLayers() == 0)
        #expect(sameState(state, fullState(net)) && net.architecture == specs)
    }
}

/// Stem, an identity-shortcut block whose body holds a biased 1x1 -> 1x1 run, and a projection
/// block whose body holds an unbiased 1x1 before a padded 3x3 and whose projection is 1x1 -> 1x1.
private func residualCollapseNetwork(seed: UInt64) throws -> Network {
    try makeUnitNetwork([3, 6, 6], [
        conv(3, 4, 3, padding: 1), bn(4), relu,
            .residual(
                body: [conv(4, 4, 3, padding: 1), bn(4), relu, conv(4, 6, 1), identity, conv(6, 4, 1), bn(4)],
                projection: nil), relu,
            .residual(
                body: [
                    conv(4, 5, 3, padding: 1), bn(5), relu, unbiasedConv(5, 7, 1), identity, conv(7, 5, 3, padding: 1),
                    bn(5),
                ],
                  projection: [conv(4, 6, 1), identity, conv(6, 5, 1), bn(5)]), relu,
        .globalAvgPool, .dense(inputs: 5, outputs: 3, bias: true),
    ], seed: seed)
}

@Test("collapse inside residual bodies and projections keeps eval outputs; collapse-all finds every run")
func collapseInsideResidualBlocks() throws {
    let net = try residualCollapseNetwork(seed: 25)
    let x = randomBatch(6, [3, 6, 6], seed: 5)
    let before = net.predict(x)
    var parameters = net.parameterCount
    for (at, saved, shape) in [("layers.3.body.3", (4 * 6 + 6) + (6 * 4 + 4) - (4 * 4 + 4), [4, 4, 1, 1]),
                               ("layers.5.body.3", 5 * 7 + (7 * 5 * 9 + 5) - (5 * 5 * 9 + 5), [5, 5, 3, 3]),
                               ("layers.5.projection.0", (4 * 6 + 6) + (6 * 5 + 5) - (4 * 5 + 5), [5, 4, 1, 1])] {
        #expect(try net.collapse(at: path(at)) == path(at))
        let merged = try #require(try net.layer(at: path(at)) as? Conv2D)
        #expect(merged.weight.value.shape == shape, "\(at)")
        #expect(net.parameterCount == parameters - saved, "\(at)")
        parameters = net.parameterCount
        #expect(relativeDifference(before, net.predict(x)) <= 1e-5, "\(at)")
    }
    let block = try #require(net.layers[5] as? Residual)
    #expect(block.body.count == 5 && block.projection?.count == 2)

    let all = try residualCollapseNetwork(seed: 25)
    #expect(try all.collapseAllLinearLayers() == 3)
    #expect(all.parameterCount == net.parameterCount && all.architecture == net.architecture)
    #expect(relativeDifference(before, all.predict(x)) <= 1e-5)

    // A dense residual body: dense -> identity -> dense collapses by its path.
    let dense = try makeUnitNetwork([4], [.dense(inputs: 4, outputs: 6, bias: true), bn(6), relu,
                                          .residual(body: [.dense(inputs: 6, outputs: 8, bias: true), identity,
                    .dense(inputs: 8, outputs: 6, bias: true), bn(6),
                ], projection: nil), relu,
                                          .dense(inputs: 6, outputs: 3, bias: true)], seed: 29)
    let xd = randomBatch(16, [4], seed: 8)
    let denseBefore = dense.predict(xd), denseParameters = dense.parameterCount
    try dense.collapse(at: path("layers.3.body.0"))
    #expect((dense.layers[3] as! Residual).body.count == 2)
    #expect(dense.parameterCount == denseParameters - (6 * 8 + 8) - (8 * 6 + 6) + (6 * 6 + 6))
    #expect(relativeDifference(denseBefore, dense.predict(xd)) <= 1e-5)
}

@Test(
    "collapse refuses a biased 1x1 before a padded conv, or a 1x1 ending a body, in a residual block, changing nothing")
func collapseRefusalsInsideResidualBlocks() throws {
    let net = try makeUnitNetwork([4, 5, 5], [
            .residual(
                body: [conv(4, 6, 1), identity, conv(6, 4, 3, padding: 1), relu, conv(4, 4, 1)], projection: nil), relu,
        .globalAvgPool, .dense(inputs: 4, outputs: 2, bias: true),
    ], seed: 26)
    let state = fullState(net), architecture = net.architecture
    for (at, phrase) in [("layers.0.body.0", "zero padding"), ("layers.0.body.4", "the end of")] {
        #expect("\(at)") {
            try net.collapse(at: path(at))
        } throws: { error in
            guard case SurgeryError.notFoldable(let p, let reason) = error else { return false }
            return p == at && reason.contains(phrase)
        }
        #expect(sameState(state, fullState(net)) && net.architecture == architecture, "\(at)")
    }
    #expect(throws: SurgeryError.self) { try SurgeryPlan.collapse(layer: path("layers.0.body.0")).validate(on: net) }
    #expect(try net.collapseAllLinearLayers() == 0)
    #expect(sameState(state, fullState(net)) && net.architecture == architecture)
}

@Test(
    "fold-bn then collapse: BatchNorms between linear layers fold away, the linear runs then collapse, eval outputs kept"
)
func foldThenCollapse() throws {
    // conv -> BN -> relu -> 1x1 -> BN -> identity -> 3x3 -> BN -> relu -> dense
    let specs: [LayerSpec] = [conv(3, 4, 3, padding: 1), bn(4), relu, conv(4, 6, 1), bn(6), identity,
                              conv(6, 5, 3), bn(5), relu, .flatten, .dense(inputs: 80, outputs: 3, bias: true)]
    let net = try makeUnitNetwork([3, 6, 6], specs, seed: 27)
    let x = randomBatch(8, [3, 6, 6], seed: 6)
    let before = net.predict(x)
    let state = fullState(net)
    #expect(throws: SurgeryError.self) { try net.collapse(at: path("layers.3")) }
    #expect(sameState(state, fullState(net)))
    // As replayable plans: fold every BatchNorm, then collapse the 1x1 (now biased; the 3x3 is unpadded).
    var history: [HistoryRecord] = []
    try SurgeryPlan.foldBatchNorm(layer: nil).apply(to: net, history: &history)
    #expect(net.layers.count == 8 && relativeDifference(before, net.predict(x)) <= 1e-5)
    try SurgeryPlan.collapse(layer: path("layers.2")).apply(to: net, history: &history)
    #expect(net.layers.count == 6 && (net.layers[2] as! Conv2D).weight.value.shape == [5, 4, 3, 3])
    #expect(net.parameterCount == (3 * 4 * 9 + 4) + (4 * 5 * 9 + 5) + (80 * 3 + 3))
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    #expect(history.map(\.operation) == ["fold-bn", "collapse"])
    let replayed = try makeUnitNetwork([3, 6, 6], specs, seed: 27)
    try SurgeryHistory.replay(history, onto: replayed)
    #expect(replayed.predict(x) == net.predict(x))

    // Dense: a BatchNorm directly between two Dense layers folds, leaving a linear Dense that collapses.
    let dense = try makeUnitNetwork(
        [4],
        [
            .dense(inputs: 4, outputs: 6, bias: true), bn(6), relu, .dense(inputs: 6, outputs: 8, bias: true),
                                          bn(8), .dense(inputs: 8, outputs: 3, bias: true)], seed: 28)
    let xd = randomBatch(16, [4], seed: 7)
    let denseBefore = dense.predict(xd)
    #expect(try dense.collapseLinearLayers().layersFolded == 0)
    #expect(try dense.foldBatchNorms() == 2)
    #expect(
        try dense.collapseLinearLayers()
            == CollapseReport(
                parametersBefore: (4 * 6 + 6) + (6 * 8 + 8) + (8 * 3 + 3),
                parametersAfter: (4 * 6 + 6) + (6 * 3 + 3), layersFolded: 1))
    #expect(relativeDifference(denseBefore, dense.predict(xd)) <= 1e-5)
}
