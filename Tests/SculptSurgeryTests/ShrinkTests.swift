import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

/// Dense(5 -> 8) tanh -> Dense(8 -> 6) relu -> Dense(6 -> 3), with biases; no BatchNorm.
private func network(seed: UInt64) throws -> Network {
    try makeNetwork(inputs: 5, [(8, .tanh), (6, .relu), (3, nil)], seed: seed)
}

@Test("Minimum Weight Selection keeps the units with the largest outgoing L2 norms, by hand")
func minimumWeightByHand() throws {
    let net = try network(seed: 1)
    let consumer = net.layers[2] as! Dense
    // outgoing column norms: unit u gets scale (u + 1) except units 2 and 5, made tiny
    for r in 0..<6 {
        for u in 0..<8 {
            consumer.weight.value[r, u] = Float(u + 1) * (u == 2 || u == 5 ? 0.001 : 1) * (r % 2 == 0 ? 1 : -1)
        }
    }
    let report = try net.minimumWeightSelection(layer: 0, to: 5)
    #expect(report.removedUnits == [0, 2, 5])
    #expect((net.layers[0] as! Dense).outputFeatures == 5 && consumer.inputFeatures == 5)
}

@Test("EigenRemove at full rank selects the same units as Minimum Weight Selection, and keeps the weights")
func fullRankEqualsMinimumWeight() throws {
    for seed: UInt64 in 1...5 {
        let a = try network(seed: seed), b = try network(seed: seed)
        let pa = try a.planShrink(layer: 0, to: 4, method: .eigenRemove(rankRatio: 1, keptWeights: .reduced))
        let pb = try b.planShrink(layer: 0, to: 4, method: .minimumWeight)
        #expect(pa.keptUnits == pb.keptUnits)
        try a.applyShrink(pa)
        try b.applyShrink(pb)
        #expect(zip(a.parameters, b.parameters).allSatisfy { $0.value == $1.value })
    }
}

@Test(
    "EigenRemove selects on the reduced outgoing weights; .reduced keeps reduced rows and columns, .original the originals"
)
func eigenRemoveKeptWeights() throws {
    let ratio = 0.5
    let reference = try network(seed: 7)
    let producer = (reference.layers[0] as! Dense).weight.value, consumer = (reference.layers[2] as! Dense).weight.value
    let reducedConsumer = try EigenRemove.reduced(consumer, rankRatio: ratio)
    let reducedProducer = try EigenRemove.reduced(producer, rankRatio: ratio)
    let expectedKept = UnitSelection.minimumWeight(consumerWeight: reducedConsumer, keep: 5)

    let r = try network(seed: 7)
    let plan = try r.shrinkUnits(layer: 0, to: 5, method: .eigenRemove(rankRatio: ratio, keptWeights: .reduced)).plan
    #expect(plan.keptUnits == expectedKept)
    #expect((r.layers[0] as! Dense).weight.value == reducedProducer.gathered(axis: 0, sources: expectedKept))
    #expect((r.layers[2] as! Dense).weight.value == reducedConsumer.gathered(axis: 1, sources: expectedKept))
    #expect(
        (r.layers[0] as! Dense).bias!.value
            == (reference.layers[0] as! Dense).bias!.value.gathered(axis: 0, sources: expectedKept))

    let o = try network(seed: 7)
    try o.eigenRemove(layer: 0, to: 5, rankRatio: ratio, keptWeights: .original)
    #expect((o.layers[0] as! Dense).weight.value == producer.gathered(axis: 0, sources: expectedKept))
    #expect((o.layers[2] as! Dense).weight.value == consumer.gathered(axis: 1, sources: expectedKept))
    // the reduced consumer has rank floor(0.5 * 6) = 3
    let s = try reducedConsumer.singularValues().scalars
    #expect(s[3] < 1e-4 * s[0] && s[2] > 1e-2 * s[0])
}

@Test("applying a replayed EigenRemove plan gives the same network as planning and applying at once, at one and two workers")
func replayedPlan() throws {
    for threads in [1, 2] {
        try Parallel.withThreads(threads) {
            let a = try network(seed: 9), b = try network(seed: 9)
            let plan = try a.shrinkUnits(layer: 2, to: 3, method: .eigenRemove(rankRatio: 0.5, keptWeights: .reduced))
                .plan
            try b.applyShrink(plan)
            #expect(zip(a.parameters, b.parameters).allSatisfy { $0.value == $1.value }, "threads \(threads)")
            #expect(throws: SurgeryError.planDoesNotFit(layer: 2, plannedWidth: 6, width: 3)) { try b.applyShrink(plan) }
        }
    }
}

@Test("EigenRemove at two workers reduces its producer and consumer side by side: the one-worker run's units, its weights to rounding")
func eigenRemoveSideBySide() throws {
    func run(threads: Int, keptWeights: ShrinkMethod.KeptWeights) throws -> (kept: [Int], parameters: [Tensor]) {
        try Parallel.withThreads(threads) {
            let net = try makeNetwork(inputs: 40, [(64, .tanh), (48, .tanh), (3, nil)], seed: 12)
            let plan = try net.shrinkUnits(layer: 0, to: 50, method: .eigenRemove(rankRatio: 0.25, keptWeights: keptWeights))
                .plan
            return (plan.keptUnits, net.parameters.map { $0.value.copy() })
        }
    }
    for keptWeights in ShrinkMethod.KeptWeights.allCases {
        let one = try run(threads: 1, keptWeights: keptWeights), two = try run(threads: 2, keptWeights: keptWeights)
        #expect(one.kept == two.kept, "\(keptWeights)")
        #expect(one.parameters.count == two.parameters.count)
        for (a, b) in zip(one.parameters, two.parameters) {
            #expect(a.shape == b.shape)
            #expect(relativeDifference(a, b) <= 1e-5, "\(keptWeights)")
        }
    }
}

@Test("random removal is reproducible from its seed and keeps the requested width")
func randomRemoval() throws {
    let a = try network(seed: 3), b = try network(seed: 3)
    let pa = try a.shrinkUnits(layer: 0, to: 3, method: .random(seed: 42)).plan
    let pb = try b.shrinkUnits(layer: 0, to: 3, method: .random(seed: 42)).plan
    #expect(pa.keptUnits == pb.keptUnits && pa.keptUnits.count == 3)
}

@Test("shrinking remaps gradients, masks and optimizer state with the kept units")
func shrinkRemapsState() throws {
    let net = try network(seed: 4)
    for p in net.parameters {
        for i in 0..<p.count { p.grad.data[i] = Float(i) }
        p.state["exp_avg"] = p.grad.map { $0 + 100 }
    }
    try net.freezeUnits([6], layer: 0)
    let plan = try net.shrinkUnits(layer: 0, to: 4, method: .random(seed: 1)).plan
    let kept = plan.keptUnits
    let producer = net.layers[0] as! Dense, consumer = net.layers[2] as! Dense
    #expect(producer.bias!.grad.scalars == kept.map(Float.init))
    #expect(producer.bias!.state["exp_avg"]!.scalars == kept.map { Float($0) + 100 })
    #expect(consumer.weight.grad.scalars == (0..<6).flatMap { r in kept.map { Float(r * 8 + $0) } })
    #expect(producer.bias!.mask!.scalars == kept.map { $0 == 6 ? 0 : 1 })
}

@Test("bad shrink requests throw typed errors and leave the network bit for bit unchanged")
func badShrinkRequests() throws {
    let net = try network(seed: 5)
    net.parameters.forEach { $0.state["momentum"] = $0.value.map { $0 * 2 } }
    let before = parameterState(net)
    let cases: [(SurgeryError, () throws -> Void)] = [
        (
            .unknownLayer(path: "layers.9", reason: "the network has 5 layers (0..<5)"),
            { try net.minimumWeightSelection(layer: 9, to: 2) }
        ),
        (
            .notDense(layer: 1, found: String(describing: LayerSpec.activation(.tanh))),
            { try net.minimumWeightSelection(layer: 1, to: 2) }
        ),
        (
            .widthNotSmaller(path: "layers.0", width: 8, target: 8),
            { try net.eigenRemove(layer: 0, to: 8, rankRatio: 0.5) }
        ),
        (.removesEveryUnit(path: "layers.0", unitCount: 8), { try net.eigenRemove(layer: 0, to: 0, rankRatio: 0.5) }),
        (.rankRatioOutOfRange(path: "layers.0", rankRatio: 0), { try net.eigenRemove(layer: 0, to: 4, rankRatio: 0) }),
        (
            .rankRatioOutOfRange(path: "layers.0", rankRatio: 1.5),
            { try net.eigenRemove(layer: 0, to: 4, rankRatio: 1.5) }
        ),
    ]
    for (expected, body) in cases {
        #expect(throws: expected) { try body() }
        #expect(sameState(before, parameterState(net)))
    }
    var plan = try net.planShrink(layer: 0, to: 4, method: .minimumWeight)
    plan.method = .eigenRemove(rankRatio: -1, keptWeights: .reduced)
    #expect(throws: SurgeryError.rankRatioOutOfRange(path: "layers.0", rankRatio: -1)) { try net.applyShrink(plan) }
    plan.keptUnits = [0, 9]
    #expect(throws: SurgeryError.unitOutOfRange(path: "layers.0", unit: 9, unitCount: 8)) { try net.applyShrink(plan) }
    #expect(sameState(before, parameterState(net)))
    #expect(
        SurgeryError.rankRatioOutOfRange(path: "layers.0", rankRatio: 1.5).description
            == "rank ratio 1.5 for layer layers.0 is outside (0, 1]")
}
