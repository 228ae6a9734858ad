import Testing
import SculptCore
import SculptData
import SculptNN
import SculptIO
@testable import SculptSurgery

/// (network, input shape, group anchor, unit) cases covering dense+BN, conv, conv->flatten->dense and residual streams.
func exactnessCases() throws -> [(Network, [Int], LayerPath, Int)] {
    [
        (try denseBatchNormNetwork(), [4], path("layers.0"), 2),
        (try convFlattenNetwork(), [2, 6, 6], path("layers.0"), 1),
        (try convFlattenNetwork(), [2, 6, 6], path("layers.3"), 4),
        (try residualNetwork(), [3, 6, 6], path("layers.0"), 3),
        (try residualNetwork(), [3, 6, 6], path("layers.3.body.0"), 0),
        (try residualNetwork(), [3, 6, 6], path("layers.5.projection.0"), 5),
    ]
}

@Test("removing a unit whose outgoing weights are zero keeps the outputs (dense+BN, conv, flatten, residual)")
func removeZeroOutgoingIsExact() throws {
    for (net, shape, anchor, unit) in try exactnessCases() {
        let x = randomBatch(8, shape, seed: 5)
        let group = try UnitGroup(network: net, layer: anchor)
        zeroOutgoing(group, unit: unit)
        let before = net.predict(x)
        let parameters = net.parameterCount, units = group.count
        try net.removeUnits([unit], layer: anchor)
        let after = net.predict(x)
        #expect(relativeDifference(before, after) <= 1e-5, "\(anchor)")
        #expect(try UnitGroup(network: net, layer: anchor).count == units - 1)
        let perUnit = group.slices.filter { $0.parameter != nil }.reduce(0) { $0 + $1.tensor.count / $1.unitCount }
        #expect(net.parameterCount == parameters - perUnit, "\(anchor)")
    }
}

@Test("removal remaps gradients, masks and Adam moments with the weights, BN buffers included")
func groupRemovalRemapsState() throws {
    let net = try convFlattenNetwork()
    let x = randomBatch(6, [2, 6, 6], seed: 1)
    let data = TensorDataset(inputs: x, targets: Tensor([0, 1, 2, 0, 1, 2], shape: [6]))
    var rng = RandomSource(seed: 2)
    try Trainer(
        network: net, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01), batchSize: 3, maxEpochs: 1
    ).fit(data, rng: &rng)
    let consumer = net.layers[3] as! Conv2D, bnLayer = net.layers[1] as! BatchNorm
    for (i, p) in [consumer.weight, bnLayer.bias].enumerated() {
        p.grad.fillUniform(-1, 1, using: &rng)
        p.mask = Tensor.uniform(p.value.shape, 0, 1, using: &rng).map { $0 > 0.5 ? 1 : 0 }
        #expect(p.state["exp_avg"] != nil, "parameter \(i)")
    }
    let kept = [0, 2, 3]
    func channels(_ t: Tensor) -> [Float] { kept.flatMap { t.unitValues($0, axis: 1, span: 1) } }
    let expected = [
        consumer.weight.value, consumer.weight.grad, consumer.weight.mask!, consumer.weight.state["exp_avg"]!,
                    consumer.weight.state["exp_avg_sq"]!].map(channels)
    let bnExpected = [
        bnLayer.bias.grad, bnLayer.bias.mask!, bnLayer.bias.state["exp_avg"]!, bnLayer.runningMean,
        bnLayer.runningVariance,
    ]
        .map { t in kept.map { t.data[$0] } }
    try net.removeUnits([1], layer: path("layers.0"))
    #expect([consumer.weight.value, consumer.weight.grad, consumer.weight.mask!, consumer.weight.state["exp_avg"]!,
            consumer.weight.state["exp_avg_sq"]!,
        ].map { t in (0..<3).flatMap { t.unitValues($0, axis: 1, span: 1) } } == expected)
    #expect(
        [
            bnLayer.bias.grad, bnLayer.bias.mask!, bnLayer.bias.state["exp_avg"]!, bnLayer.runningMean,
            bnLayer.runningVariance,
        ].map(\.scalars) == bnExpected)
    // Training goes on with the smaller shapes.
    try Trainer(
        network: net, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01), batchSize: 3, maxEpochs: 1
    ).fit(data, rng: &rng)
}

@Test(
    "a function-preserving restart: units restarted with zeroed outgoing weights give the outputs of the network without them"
)
func functionPreservingRestart() throws {
    let schemes: [ReinitializationScheme] = [
        .smallUniform, .initializer(.heNormal), .initializer(.glorotUniform), .layerRange, .fittedNormal,
    ]
    for scheme in schemes {
        for (net, shape, anchor, unit) in try exactnessCases() {
            let x = randomBatch(4, shape, seed: 9)
            let group = try UnitGroup(network: net, layer: anchor)
            zeroOutgoing(group, unit: unit)  // the network without the unit
            let before = net.predict(x)
            let oldRow = group.primary.weight.value.unitValues(unit, axis: 0, span: 1)
            var rng = RandomSource(seed: 4)
            try net.reinitializeUnits([unit], of: group, scheme: scheme, zeroOutgoing: true, rng: &rng)
            #expect(group.primary.weight.value.unitValues(unit, axis: 0, span: 1) != oldRow)
            #expect(relativeDifference(before, net.predict(x)) <= 1e-5, "\(scheme) \(anchor)")
        }
    }
}

@Test("reinitialization schemes draw from their ranges: U(-0.05, 0.05), the layer's range, the unit's fitted normal")
func reinitializationRanges() throws {
    let net = try convFlattenNetwork()
    let group = try UnitGroup(network: net, layer: 0)
    let w = group.primary.weight.value
    let (low, high) = (w.min(), w.max())
    var rng = RandomSource(seed: 3)
    try net.reinitializeUnits([0, 1], of: group, scheme: .smallUniform, rng: &rng)
    #expect(w.unitValues(0, axis: 0, span: 1).allSatisfy { abs($0) <= 0.05 })
    try net.reinitializeUnits([2], of: group, scheme: .layerRange, rng: &rng)
    #expect(w.unitValues(2, axis: 0, span: 1).allSatisfy { $0 >= low && $0 <= high })
    w.setUnitValues(3, axis: 0, span: 1, (0..<18).map { 10 + Float($0 % 2) })  // mean 10.5, std 0.5
    try net.reinitializeUnits([3], of: group, scheme: .fittedNormal, rng: &rng)
    let fitted = w.unitValues(3, axis: 0, span: 1)
    #expect(fitted.allSatisfy { $0 > 7 && $0 < 14 } && Set(fitted).count == 18)
    let bnLayer = net.layers[1] as! BatchNorm
    #expect(
        bnLayer.weight.value[3] == 1 && bnLayer.bias.value[3] == 0 && bnLayer.runningMean[3] == 0
            && bnLayer.runningVariance[3] == 1)
    #expect(
        ReinitializationScheme(parsing: "he") == .initializer(.heNormal)
            && ReinitializationScheme(parsing: "nope") == nil)
}

@Test("frozen units, layers and parameters stay bit-for-bit through reinitialization elsewhere and SGD steps")
func frozenStayExact() throws {
    let net = try residualNetwork()
    let x = randomBatch(8, [3, 6, 6], seed: 3)
    let data = TensorDataset(inputs: x, targets: Tensor([0, 1, 2, 0, 1, 2, 0, 1], shape: [8]))
    let stream = try UnitGroup(network: net, layer: 0)
    try net.freeze(.units(layer: path("layers.0"), units: [0, 2]))
    try net.freeze(.layers([path("layers.5.projection.0")]))
    try net.freeze(.parameters(["layers.8.bias"]))
    func frozen() -> [[Float]] {
        stream.slices.compactMap(\.parameter).flatMap { p -> [[Float]] in
            let s = stream.slices.first { $0.parameter === p }!
            return [0, 2].map { p.value.unitValues($0, axis: s.axis, span: s.span) }
        } + [
            (net.layers[5] as! Residual).projection![0].parameters[0].value.scalars,
            (net.layers[8] as! Dense).bias!.value.scalars,
        ]
    }
    let before = frozen()
    var rng = RandomSource(seed: 8)
    try net.reinitializeUnits([1, 3], of: stream, scheme: .initializer(.heNormal), rng: &rng)
    try net.reinitializeUnits([0], layer: path("layers.5.body.0"), scheme: .smallUniform, rng: &rng)
    let moving = stream.primary.weight.value.unitValues(1, axis: 0, span: 1)
    let optimizer = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    try Trainer(network: net, loss: SoftmaxCrossEntropy(), optimizer: optimizer, batchSize: 4, maxEpochs: 2).fit(
        data, rng: &rng)
    #expect(frozen() == before)
    #expect(stream.primary.weight.value.unitValues(1, axis: 0, span: 1) != moving)
    try net.unfreeze(.units(layer: path("layers.0"), units: [0, 2]))
    try net.unfreeze(.layers([path("layers.5.projection.0")]))
    try net.unfreeze(.parameters(["layers.8.bias"]))
    #expect(net.trainableParameterCount == net.parameterCount && net.parameters.allSatisfy { $0.mask == nil })
}

@Test("failed operations throw typed errors naming layer and values and leave the model bit-for-bit unchanged")
func failedOperationsChangeNothing() throws {
    let net = try residualNetwork()
    var rng = RandomSource(seed: 1)
    try Trainer(network: net, loss: SoftmaxCrossEntropy(), optimizer: Adam(), batchSize: 2, maxEpochs: 1)
        .fit(
            TensorDataset(inputs: randomBatch(4, [3, 6, 6], seed: 2), targets: Tensor([0, 1, 2, 0], shape: [4])),
            rng: &rng)
    let state = fullState(net), architecture = net.architecture
    let cases: [(SurgeryPlan, SurgeryError)] = [
        (
            .remove(layer: path("layers.20"), units: [0]),
            .unknownLayer(path: "layers.20", reason: "layers has 9 layers (0..<9)")
        ),
        (.remove(layer: path("layers.0"), units: [4]), .unitOutOfRange(path: "layers.0", unit: 4, unitCount: 4)),
        (.remove(layer: path("layers.0"), units: [0, 1, 2, 3]), .removesEveryUnit(path: "layers.0", unitCount: 4)),
        (.remove(layer: path("layers.0"), units: [1, 1]), .duplicateUnit(path: "layers.0", unit: 1)),
        (.remove(layer: path("layers.1"), units: [0]), .notUnitLayer(path: "layers.1", found: "batchnorm(4)")),
        (.remove(layer: path("layers.8"), units: [0]), .unitsAreOutputs(path: "layers.8")),
        (.reinitialize(layer: path("layers.3.body.0"), units: [-1], scheme: .smallUniform, zeroOutgoing: true, seed: 1),
         .unitOutOfRange(path: "layers.3.body.0", unit: -1, unitCount: 4)),
        (
            .freeze(.parameters(["layers.0.weight", "layers.99.weight"])),
            .unknownParameter(name: "layers.99.weight", known: 26)
        ),
        (
            .freeze(.units(layer: path("layers.5.body.3"), units: [6])),
            .unitOutOfRange(path: "layers.5.body.3", unit: 6, unitCount: 6)
        ),
        (
            .foldBatchNorm(layer: path("layers.2")),
            .notFoldable(
                path: "layers.2",
                reason: "it is not a BatchNorm directly after a dense or conv2d layer, nor such a layer followed by one"
            )
        ),
        (
            .collapse(layer: path("layers.0")),
            .notFoldable(
                path: "layers.0",
                reason:
                    "not a 1x1 stride-1 unpadded conv2d followed, over identity activations, by a conv2d it can fold into exactly"
            )
        ),
    ]
    for (plan, expected) in cases {
        var history: [HistoryRecord] = []
        #expect(throws: expected) { try plan.apply(to: net, history: &history) }
        #expect(history.isEmpty)
        #expect(sameState(state, fullState(net)) && net.architecture == architecture, "\(plan)")
    }
    #expect(
        SurgeryError.unitOutOfRange(path: "layers.0", unit: 4, unitCount: 4).description.contains(
            "unit 4 of layer layers.0"))
}
