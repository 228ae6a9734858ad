import Testing
import SculptCore
import SculptIO
import SculptNN
import TestSupport
@testable import SculptSurgery

/// The networks and anchors the group operations are checked on: conv+BN, conv -> flatten ->
/// dense (span 9), a coupled residual stream, a block's inner conv and a projection group.
private let resizeCases: [(name: String, build: @Sendable () throws -> Network, input: [Int], anchors: [String])] = [
    ("conv+bn", { try convFlattenNetwork(seed: 21) }, [2, 6, 6], ["layers.0", "layers.3"]),
    ("residual", { try residualNetwork(seed: 22) }, [3, 6, 6], ["layers.0", "layers.3.body.0", "layers.5.body.3"]),
    ("dense+bn", { try denseBatchNormNetwork(seed: 23) }, [4], ["layers.0", "layers.3"]),
]

@Test(
    "WeakExpand and ZeroExpand keep the outputs (eval mode, biases, BatchNorm) on conv+BN, conv->flatten->dense and residual streams"
)
func groupExpansionIsExact() throws {
    for c in resizeCases {
        for anchor in c.anchors {
            for method in [ExpandMethod.weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: 0),
                           .weak(order: .meanOutgoing, noiseStandardDeviation: 0.1, seed: 5),
                           .zero(initializer: .pytorchDefault, seed: 9)] {
                let net = try c.build()
                let x = randomBatch(5, c.input, seed: 4)
                let before = net.predict(x)
                let n = try UnitGroup(network: net, layer: path(anchor)).count
                let added = try net.expandUnits(layer: path(anchor), to: 2 * n + 1, method: method)
                #expect(added.count == n + 1)
                #expect(try UnitGroup(network: net, layer: path(anchor)).count == 2 * n + 1)
                let after = net.predict(x)
                #expect(relativeDifference(before, after) <= 1e-5, "\(c.name) \(anchor) \(method)")
            }
        }
    }
}

@Test(
    "WeakExpand copies the split unit's BatchNorm entries; ZeroExpand gives new units scale 1, shift 0, mean 0, variance 1 and zero outgoing weights"
)
func expansionBatchNormEntries() throws {
    let net = try convFlattenNetwork(seed: 24)
    let bnLayer = try #require(try net.layer(at: path("layers.1")) as? BatchNorm)
    let oldScale = bnLayer.weight.value.scalars, oldMean = bnLayer.runningMean.scalars
    let sources = try net.expandUnits(
        layer: path("layers.0"), to: 6, method: .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: 0))
    let bnAfter = try #require(try net.layer(at: path("layers.1")) as? BatchNorm)
    for (i, s) in sources.enumerated() {
        let s = try #require(s)
        #expect(bnAfter.weight.value.scalars[4 + i] == oldScale[s])
        #expect(bnAfter.runningMean.scalars[4 + i] == oldMean[s])
    }
    let zeroNet = try convFlattenNetwork(seed: 24)
    try zeroNet.expandUnits(layer: path("layers.0"), to: 6, method: .zero(initializer: .pytorchDefault, seed: 1))
    let bnZero = try #require(try zeroNet.layer(at: path("layers.1")) as? BatchNorm)
    #expect(Array(bnZero.weight.value.scalars[4...]) == [1, 1])
    #expect(Array(bnZero.bias.value.scalars[4...]) == [0, 0])
    #expect(Array(bnZero.runningMean.scalars[4...]) == [0, 0])
    #expect(Array(bnZero.runningVariance.scalars[4...]) == [1, 1])
    let group = try UnitGroup(network: zeroNet, layer: path("layers.0"))
    for s in group.slices where s.role == .outgoing {
        #expect(s.tensor.unitValues(4, axis: s.axis, span: s.span).allSatisfy { $0 == 0 })
        #expect(s.tensor.unitValues(5, axis: s.axis, span: s.span).allSatisfy { $0 == 0 })
    }
}

@Test(
    "EigenRemove at rank ratio 1 selects (and keeps) the same units as Minimum Weight Selection on conv, flatten spans and residual streams"
)
func eigenRemoveRatioOneIsMinimumWeight() throws {
    for c in resizeCases {
        for anchor in c.anchors {
            let a = try c.build(), b = try c.build()
            let n = try UnitGroup(network: a, layer: path(anchor)).count
            let keptA = try a.shrinkUnits(
                layer: path(anchor), to: n - 2, method: .eigenRemove(rankRatio: 1, keptWeights: .original))
            let keptB = try b.shrinkUnits(layer: path(anchor), to: n - 2, method: .minimumWeight)
            #expect(keptA == keptB, "\(c.name) \(anchor)")
            #expect(a.snapshot() == b.snapshot(), "\(c.name) \(anchor)")
        }
    }
}

@Test("a coupled group's score is the L2 norm over all its outgoing slices; the shrink equals removing the other units")
func coupledMinimumWeightScore() throws {
    let net = try residualNetwork(seed: 25)
    let group = try UnitGroup(network: net, layer: path("layers.0"))
    #expect(group.isCoupled)
    let count = group.count
    let outgoing = group.slices.filter { $0.role == .outgoing }
    #expect(outgoing.count >= 2)
    let expected = (0..<group.count).map { u -> Float in
        Float(
            outgoing.flatMap { $0.tensor.unitValues(u, axis: $0.axis, span: $0.span) }.reduce(0.0) {
                $0 + Double($1) * Double($1)
            }.squareRoot())
    }
    let scores = GroupResize.outgoingNorms(outgoing.map { ($0.tensor, $0) })
    for (s, e) in zip(scores, expected) { #expect(abs(s - e) <= 1e-6 * max(1, e)) }
    let kept = try net.shrinkUnits(layer: path("layers.0"), to: 2, method: .minimumWeight)
    #expect(kept == largestIndices(expected, count: 2))
    let other = try residualNetwork(seed: 25)
    try other.removeUnits((0..<count).filter { !kept.contains($0) }, layer: path("layers.0"))
    #expect(other.snapshot() == net.snapshot())
}

@Test("on a Dense -> Dense layer the group operations equal the Dense API bit for bit")
func denseGroupMatchesDenseAPI() throws {
    let make = { try makeNetwork(inputs: 5, [(8, .tanh), (6, .relu), (3, nil)], seed: 26) }
    let shrinks: [ShrinkMethod] = [.minimumWeight, .eigenRemove(rankRatio: 0.5, keptWeights: .reduced),
                                   .eigenRemove(rankRatio: 0.75, keptWeights: .original), .random(seed: 3)]
    for method in shrinks {
        let a = try make(), b = try make()
        let (plan, _) = try a.shrinkUnits(layer: 0, to: 5, method: method)
        let kept = try b.shrinkUnits(layer: path("layers.0"), to: 5, method: method)
        #expect(plan.keptUnits == kept, "\(method)")
        #expect(a.snapshot() == b.snapshot(), "\(method)")
    }
    // The Dense API is an adapter over the group path: noise too is drawn one way.
    for method in [ExpandMethod.weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: 0),
                   .weak(order: .meanOutgoing, noiseStandardDeviation: 0, seed: 0),
                   .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0.05, seed: 9),
                   .zero(initializer: .heNormal, seed: 4)] {
        let a = try make(), b = try make()
        let report = try a.applyExpand(a.planExpand(layer: 0, to: 13, method: method))
        let sources = try b.expandUnits(layer: path("layers.0"), to: 13, method: method)
        #expect(report.sources == sources, "\(method)")
        #expect(a.snapshot() == b.snapshot(), "\(method)")
    }
}

@Test("failed shrink and expand plans throw typed errors and leave the model bit for bit unchanged")
func failedResizeLeavesModelUnchanged() throws {
    let net = try residualNetwork(seed: 27)
    let x = randomBatch(2, [3, 6, 6], seed: 1)
    _ = net.predict(x)
    let state = fullState(net)
    let cases: [(SurgeryPlan, SurgeryError)] = [
        (
            .shrink(layer: path("layers.0"), to: 4, method: .minimumWeight),
            .widthNotSmaller(path: "layers.0", width: 4, target: 4)
        ),
        (
            .shrink(layer: path("layers.0"), to: 0, method: .minimumWeight),
            .removesEveryUnit(path: "layers.0", unitCount: 4)
        ),
        (.shrink(layer: path("layers.0"), to: 2, method: .eigenRemove(rankRatio: 0, keptWeights: .reduced)),
         .rankRatioOutOfRange(path: "layers.0", rankRatio: 0)),
        (.shrink(layer: path("layers.0"), to: 2, method: .eigenRemove(rankRatio: 1.5, keptWeights: .reduced)),
         .rankRatioOutOfRange(path: "layers.0", rankRatio: 1.5)),
        (.expand(layer: path("layers.5.body.3"), to: 6, method: .zero(initializer: .pytorchDefault, seed: 0)),
         .widthNotLarger(path: "layers.5.body.3", width: 6, target: 6)),
        (
            .expand(
                layer: path("layers.5.body.3"), to: 2,
                method: .weak(order: .meanOutgoing, noiseStandardDeviation: 0, seed: 0)),
         .widthNotLarger(path: "layers.5.body.3", width: 6, target: 2)),
    ]
    for (plan, error) in cases {
        #expect(throws: error) { try plan.validate(on: net) }
        var history: [HistoryRecord] = []
        #expect(throws: error) { try plan.apply(to: net, history: &history) }
        #expect(history.isEmpty)
        #expect(sameState(state, fullState(net)))
    }
    #expect(throws: SurgeryError.self) {
        try SurgeryPlan.shrink(layer: path("layers.40"), to: 1, method: .minimumWeight).apply(to: net)
    }
    #expect(throws: SurgeryError.self) {
        try SurgeryPlan.expand(layer: path("layers.2"), to: 9, method: .zero(initializer: .heNormal, seed: 0)).apply(
            to: net)
    }
    #expect(sameState(state, fullState(net)))
}

@Test("shrink and expand plans are recorded and replay onto the original model bit for bit")
func resizePlanReplay() throws {
    let net = try residualNetwork(seed: 28)
    let plans: [SurgeryPlan] = [
        .expand(
            layer: path("layers.0"), to: 7,
            method: .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0.05, seed: 3)),
        .shrink(layer: path("layers.5.body.3"), to: 4, method: .eigenRemove(rankRatio: 0.5, keptWeights: .reduced)),
        .expand(layer: path("layers.3.body.0"), to: 6, method: .zero(initializer: .heNormal, seed: 8)),
        .shrink(layer: path("layers.0"), to: 5, method: .minimumWeight),
        .shrink(layer: path("layers.3.body.0"), to: 3, method: .random(seed: 2)),
    ]
    var history: [HistoryRecord] = []
    for plan in plans { try plan.apply(to: net, history: &history) }
    #expect(history.map(\.operation) == ["expand", "eigenremove", "zero-expand", "minweight", "random-remove"])
    #expect(try history.map { try SurgeryPlan(record: $0) } == plans)
    let original = try residualNetwork(seed: 28)
    try SurgeryHistory.replay(history, onto: original)
    #expect(original.architecture == net.architecture)
    #expect(original.snapshot() == net.snapshot())
}

@Test("an expansion whose tensors would not fit in the memory limit is refused before anything is allocated")
func absurdExpansionIsRefused() throws {
    let net = try makeNetwork(inputs: 5, [(8, .tanh), (3, nil)], seed: 28)
    let state = fullState(net)
    let group = try UnitGroup(network: net, layer: 0)
    // Dense(5, 8) + Dense(8, 3): 5 + 1 + 3 floats per unit, value and gradient, old and new copies.
    #expect(GroupResize.expansionBytes(group, width: 10) == 2 * 10 * 9 * 2 * 4)
    let plan = SurgeryPlan.expand(
        layer: LayerPath(0), to: 1_000_000_000_000, method: .zero(initializer: .heNormal, seed: 1))
    #expect(throws: SurgeryError.tooLarge(path: "layers.0", width: 1_000_000_000_000,
                                          bytes: GroupResize.expansionBytes(group, width: 1_000_000_000_000),
                                          limit: MemoryBudget.standard.limit)) { try plan.apply(to: net) }
    #expect(throws: SurgeryError.self) { try net.weakExpand(layer: 0, to: 1_000_000_000) }
    #expect(throws: SurgeryError.self) { try plan.validate(on: net, memoryLimit: 1000) }
    try SurgeryPlan.expand(layer: LayerPath(0), to: 10, method: .zero(initializer: .heNormal, seed: 1)).validate(
        on: net)
    #expect(fullState(net) == state)
    let message = SurgeryError.tooLarge(path: "layers.0", width: 7, bytes: 3 * 1024 * 1024 * 1024, limit: 1024)
        .description
    #expect(message == "layer layers.0 at 7 units needs an estimated 3.0 GiB, above the limit of 1.0 KiB")
}
