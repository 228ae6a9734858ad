import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptSurgery

@Test("frozen units stay bit-for-bit unchanged through reinitialization and training; others move")
func frozenUnitsStay() throws {
    let net = try makeNetwork(inputs: 2, [(5, .relu), (5, .identity), (1, .sigmoid)], seed: 31)
    let data = selfTargets(
        try makeNetwork(inputs: 2, [(3, .relu), (1, .sigmoid)], seed: 9), inputs: randomInputs(64, 2, seed: 2))
    let optimizer = Adam(learningRate: 0.05, weightDecay: 0.01)
    var rng = RandomSource(seed: 1)
    // A few steps first so there is optimizer state to keep or reset.
    try Trainer(network: net, loss: MeanSquaredError(), optimizer: optimizer, batchSize: 16, maxEpochs: 2).fit(
        data, rng: &rng)
    let producer = net.layers[0] as! Dense, consumer = net.layers[2] as! Dense
    let frozen = [0, 3], fresh = [1, 2, 4]
    func frozenSlices() -> [Float] {
        frozen.flatMap { u in
            producer.weight.value.row(u).scalars + [producer.bias!.value[u]]
                + (0..<5).map { consumer.weight.value[$0, u] }
                + producer.weight.state["exp_avg"]!.row(u).scalars
        }
    }
    let before = frozenSlices()
    let oldFresh = producer.weight.value.row(1).scalars
    try net.freezeUnits(frozen, layer: 0)
    try net.reinitializeUnits(fresh, layer: 0, initializer: .glorotUniform, rng: &rng)
    #expect(producer.weight.value.row(1).scalars != oldFresh)
    #expect(producer.weight.state["exp_avg"]!.row(1).scalars == [0, 0])
    #expect(consumer.weight.state["exp_avg"]![2, 4] == 0)
    #expect(frozenSlices() == before)
    #expect(net.trainableParameterCount == net.parameterCount - 2 * (2 + 1 + 5))
    let moving = producer.weight.value.row(2).scalars
    try Trainer(network: net, loss: MeanSquaredError(), optimizer: optimizer, batchSize: 16, maxEpochs: 3).fit(
        data, rng: &rng)
    #expect(frozenSlices() == before)
    #expect(producer.weight.value.row(2).scalars != moving)
    net.unfreezeAll()
    #expect(net.trainableParameterCount == net.parameterCount)
}

@Test("a parameter checkpoint restores values, masks and optimizer state")
func checkpointRestores() throws {
    let net = try makeNetwork(inputs: 2, [(4, .relu), (1, nil)], seed: 5)
    let data = selfTargets(
        try makeNetwork(inputs: 2, [(2, .relu), (1, nil)], seed: 6), inputs: randomInputs(32, 2, seed: 7))
    let optimizer = Adam(learningRate: 0.01)
    var rng = RandomSource(seed: 3)
    try Trainer(network: net, loss: MeanSquaredError(), optimizer: optimizer, batchSize: 8, maxEpochs: 1).fit(
        data, rng: &rng)
    let checkpoint = ParameterCheckpoint(net)
    let values = net.snapshot(), steps = net.parameters.map(\.step)
    let moments = net.parameters.map { $0.state["exp_avg"]!.copy() }
    try net.freezeUnits([1], layer: 0)
    try Trainer(network: net, loss: MeanSquaredError(), optimizer: optimizer, batchSize: 8, maxEpochs: 2).fit(
        data, rng: &rng)
    checkpoint.restore(into: net)
    #expect(net.snapshot() == values)
    #expect(net.parameters.map(\.step) == steps)
    #expect(net.parameters.map { $0.state["exp_avg"]! } == moments)
    #expect(net.parameters.allSatisfy { $0.mask == nil })
}
