import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

/// Dense(5 -> 8) tanh -> Dense(8 -> 6) relu -> Dense(6 -> 3), with biases; no BatchNorm.
private func network(seed: UInt64) throws -> Network {
    try makeNetwork(inputs: 5, [(8, .tanh), (6, .relu), (3, nil)], seed: seed)
}

@Test("WeakExpand keeps the outputs to float32 rounding, with biases, at every width (1.1x, 2x, 3.5x)",
      arguments: [1.125, 2.0, 3.5], [0, 2])
func weakExpandIsExact(factor: Double, layer: Int) throws {
    let net = try network(seed: 11)
    let x = randomInputs(64, 5, seed: 2)
    let before = net.predict(x)
    let grown = Int((Double(layer == 0 ? 8 : 6) * factor).rounded(.up))
    let report = try net.weakExpand(layer: layer, to: grown)
    #expect(report.widthAfter == grown && report.sources.count == grown - report.widthBefore)
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
}

@Test("ZeroExpand keeps the outputs to float32 rounding; new units have random incoming and zero outgoing weights")
func zeroExpandIsExact() throws {
    let net = try network(seed: 12)
    let x = randomInputs(64, 5, seed: 3)
    let before = net.predict(x)
    var rng = RandomSource(seed: 1)
    try net.zeroExpand(layer: 0, to: 13, rng: &rng)
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    let producer = net.layers[0] as! Dense, consumer = net.layers[2] as! Dense
    #expect(producer.weight.value.gathered(axis: 0, sources: Array(8..<13)).squaredNorm() > 0)
    #expect(consumer.weight.value.gathered(axis: 1, sources: Array(8..<13)).squaredNorm() == 0)
}

@Test("WeakExpand by hand: the strongest unit is copied, its outgoing weights halved, its bias copied")
func weakExpandByHand() throws {
    let producer = Dense(weight: Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2]), bias: Tensor([0.1, 0.2, 0.3]))
    // outgoing columns: unit 0 (1, 1) mean |w| 1; unit 1 (-4, 2) mean |w| 3; unit 2 (2, 2) mean |w| 2
    let consumer = Dense(weight: Tensor([1, -4, 2, 1, 2, 2], shape: [2, 3]), bias: Tensor([0, 0]))
    let net = try Network(inputShape: [2], layers: [producer, Activation(.tanh), consumer])
    let report = try net.weakExpand(layer: 0, to: 5)
    #expect(report.sources == [1, 2])
    #expect(producer.weight.value.scalars == [1, 2, 3, 4, 5, 6, 3, 4, 5, 6])
    #expect(producer.bias!.value.scalars == [0.1, 0.2, 0.3, 0.2, 0.3])
    #expect(consumer.weight.value.scalars == [1, -2, 1, -2, 1, 1, 1, 1, 1, 1])
    // the thesis's literal order (signed mean): unit 2 (mean 2) before unit 0 (1) before unit 1 (-1)
    let plan = try net.planExpand(
        layer: 0, to: 7, method: .weak(order: .meanOutgoing, noiseStandardDeviation: 0, seed: 0))
    #expect(plan.sources.count == 2)
}

@Test("WeakExpand with symmetry-breaking noise keeps the function and makes the copies' outgoing weights differ")
func weakExpandNoise() throws {
    let net = try network(seed: 13)
    let x = randomInputs(64, 5, seed: 4)
    let before = net.predict(x)
    let report = try net.weakExpand(layer: 0, to: 12, noiseStandardDeviation: 0.05, seed: 9)
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    let consumer = net.layers[2] as! Dense
    let source = report.sources[0]!
    #expect(
        consumer.weight.value.gathered(axis: 1, sources: [source])
            != consumer.weight.value.gathered(axis: 1, sources: [8]))
}

@Test("expansion: existing units keep gradients and state, new units start at zero, copies inherit masks")
func expandRemapsState() throws {
    let net = try network(seed: 14)
    for p in net.parameters {
        for i in 0..<p.count { p.grad.data[i] = Float(i + 1) }
        p.state["exp_avg"] = p.grad.map { $0 + 100 }
    }
    let plan = try net.planExpand(
        layer: 0, to: 10, method: .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: 0))
    try net.freezeUnits([plan.sources[0]!], layer: 0)
    try net.applyExpand(plan)
    let producer = net.layers[0] as! Dense, consumer = net.layers[2] as! Dense
    #expect(producer.bias!.grad.scalars == (1...8).map(Float.init) + [0, 0])
    #expect(producer.bias!.state["exp_avg"]!.scalars == (1...8).map { Float($0) + 100 } + [0, 0])
    #expect(consumer.weight.grad.gathered(axis: 1, sources: [8, 9]).squaredNorm() == 0)
    let mask = producer.bias!.mask!.scalars
    #expect(mask[8] == 0 && mask[9] == 1 && mask[plan.sources[0]!] == 0)
}

@Test("bad expansion requests throw typed errors and leave the network bit for bit unchanged")
func badExpandRequests() throws {
    let net = try network(seed: 15)
    let before = parameterState(net)
    var rng = RandomSource(seed: 1)
    #expect(throws: SurgeryError.widthNotLarger(path: "layers.0", width: 8, target: 8)) {
        try net.weakExpand(layer: 0, to: 8)
    }
    #expect(throws: SurgeryError.widthNotLarger(path: "layers.0", width: 8, target: 3)) {
        try net.zeroExpand(layer: 0, to: 3, rng: &rng)
    }
    #expect(throws: SurgeryError.unknownLayer(path: "layers.7", reason: "the network has 5 layers (0..<5)")) {
        try net.weakExpand(layer: 7, to: 20)
    }
    #expect(throws: SurgeryError.noConsumingLayer(layer: 4, found: "the network's end")) {
        try net.weakExpand(layer: 4, to: 20)
    }
    #expect(sameState(before, parameterState(net)))
}
