import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

@Test("removing units whose outgoing weights are zero leaves outputs unchanged exactly")
func removalIsExact() throws {
    let net = try makeNetwork(inputs: 2, [(6, .relu), (4, .identity), (1, .sigmoid)], seed: 21)
    let consumer = net.layers[2] as! Dense
    for r in 0..<4 { consumer.weight.value[r, 1] = 0; consumer.weight.value[r, 4] = 0 }
    let x = randomInputs(100, 2, seed: 1)
    let before = net.predict(x)
    let report = try net.removeUnits([4, 1], layer: 0)
    #expect(net.predict(x) == before)
    #expect(report.removedUnits == [1, 4] && report.remainingUnits == 4)
    #expect(report.parametersBefore - report.parametersAfter == 2 * (2 + 1 + 4))
    #expect((net.layers[0] as! Dense).outputFeatures == 4 && consumer.inputFeatures == 4)
}

@Test("removal slices gradient, mask and optimizer state with the same indices")
func removalRemapsState() throws {
    let net = try makeNetwork(inputs: 2, [(3, .relu), (2, nil)], seed: 2)
    let producer = net.layers[0] as! Dense, consumer = net.layers[2] as! Dense
    for p in net.parameters {
        for i in 0..<p.count { p.grad.data[i] = Float(i) }
        p.state["exp_avg"] = p.grad.map { $0 + 100 }
    }
    try net.freezeUnits([2], layer: 0)
    try net.removeUnits([1], layer: 0)
    #expect(producer.weight.grad.scalars == [0, 1, 4, 5])
    #expect(producer.bias!.grad.scalars == [0, 2])
    #expect(producer.bias!.state["exp_avg"]!.scalars == [100, 102])
    #expect(consumer.weight.grad.scalars == [0, 2, 3, 5])
    #expect(consumer.weight.state["exp_avg"]!.scalars == [100, 102, 103, 105])
    #expect(producer.weight.mask!.scalars == [1, 1, 0, 0])
    #expect(consumer.weight.mask!.scalars == [1, 0, 1, 0])
}

@Test("bad removals throw a typed error naming the layer and values and change nothing")
func removalErrors() throws {
    let net = try makeNetwork(inputs: 2, [(3, .relu), (2, .identity), (1, .sigmoid)], seed: 4)
    let state = parameterState(net)
    let cases: [([Int], Int, SurgeryError)] = [
        ([0, 1, 2], 0, .removesEveryUnit(path: "layers.0", unitCount: 3)),
        ([3], 0, .unitOutOfRange(path: "layers.0", unit: 3, unitCount: 3)),
        ([-1], 0, .unitOutOfRange(path: "layers.0", unit: -1, unitCount: 3)),
        ([1, 1], 0, .duplicateUnit(path: "layers.0", unit: 1)),
        ([0], 1, .notDense(layer: 1, found: "activation(SculptNN.ActivationKind.relu)")),
        ([0], 4, .noConsumingLayer(layer: 4, found: "the network's end")),
        ([0], 9, .unknownLayer(path: "layers.9", reason: "the network has 6 layers (0..<6)")),
    ]
    for (units, layer, expected) in cases {
        #expect(throws: expected) { try net.removeUnits(units, layer: layer) }
        #expect(sameState(state, parameterState(net)))
    }
    #expect(
        SurgeryError.unitOutOfRange(path: "layers.0", unit: 3, unitCount: 3).description.contains(
            "unit 3 of layer layers.0"))
}

@Test("merging a positively scaled duplicate unit is exact")
func mergeDuplicate() throws {
    let net = try makeNetwork(inputs: 2, [(4, .relu), (3, .identity), (1, nil)], seed: 8)
    let producer = net.layers[0] as! Dense
    for c in 0..<2 { producer.weight.value[3, c] = 2 * producer.weight.value[1, c] }
    producer.bias!.value[3] = 2 * producer.bias!.value[1]
    let x = randomInputs(64, 2, seed: 3)
    let before = net.predict(x)
    let scale = Redundancy.scale(producer, duplicate: 3, kept: 1)
    #expect(abs(scale - 2) < 1e-6)
    try net.mergeUnit(3, into: 1, scale: scale, layer: 0)
    try net.removeUnits([3], layer: 0)
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
}
