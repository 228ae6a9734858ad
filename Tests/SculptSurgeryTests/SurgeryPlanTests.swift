import Testing
import SculptCore
import SculptIO
import SculptNN
import TestSupport
@testable import SculptSurgery

@Test(
    "plans apply, are recorded in the history, saved with a checkpoint, and replay onto the original model bit for bit")
func historyReplay() throws {
    let net = try residualNetwork(seed: 11)
    let plans: [SurgeryPlan] = [
        .freeze(.units(layer: path("layers.0"), units: [1])),
        .reinitialize(
            layer: path("layers.5.body.0"), units: [0, 4], scheme: .fittedNormal, zeroOutgoing: false, seed: 7),
        .remove(layer: path("layers.0"), units: [3]),
        .remove(layer: path("layers.5.body.3"), units: [0, 2]),
        .foldBatchNorm(layer: path("layers.3.body.0")),
        .unfreeze(.parameters(["layers.0.weight"])),
        .foldBatchNorm(layer: nil),
    ]
    var history: [HistoryRecord] = []
    for plan in plans { try plan.apply(to: net, history: &history) }
    #expect(history.map(\.operation) == ["freeze", "reinit", "remove", "remove", "fold-bn", "unfreeze", "fold-bn"])
    #expect(try history.map { try SurgeryPlan(record: $0) } == plans)
    let dir = TemporaryDirectory()
    try Checkpoint(network: net, history: history).save(to: dir.path + "/model")
    let loaded = try Checkpoint.load(from: dir.path + "/model")
    let original = try residualNetwork(seed: 11)
    try SurgeryHistory.replay(loaded.history, onto: original)
    #expect(original.architecture == net.architecture)
    #expect(original.snapshot() == net.snapshot())
    #expect(original.parameters.map { $0.mask } == net.parameters.map { $0.mask })
    #expect(throws: SurgeryError.unknownOperation("expand")) {
        try SurgeryHistory.replay(
            [HistoryRecord(operation: "expand", details: .object(["to": .number(8)]))], onto: original)
    }
}
