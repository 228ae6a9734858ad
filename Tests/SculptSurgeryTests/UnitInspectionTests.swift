import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptSurgery

@Test("inspection on a hand-built network: ratios, active flags, redundancy groups and norms")
func handInspection() throws {
    // Units 0 and 1 point the same way (cosine 1: one group), unit 2 stands alone with a zero outgoing column.
    let hidden = Dense(weight: Tensor([3, 4, 6, 8, 0, 1], shape: [3, 2]), bias: Tensor([0, 0, 0.5]))
    let out = Dense(weight: Tensor([1, 2, 0], shape: [1, 3]), bias: Tensor([0]))
    let net = try Network(inputShape: [2], layers: [hidden, Activation(.relu), out])
    let x = Tensor([1, 0, 0, 1, -1, 0, 0.5, 0.5], shape: [4, 2])
    let y = net.predict(x)
    let t = Tensor((0..<4).map { y.data[$0] + 1 }, shape: [4, 1])  // every prediction off by exactly -1: baseline 1
    let units = try UnitInspection.inspect(
        network: net, data: TensorDataset(inputs: x, targets: t), loss: MeanSquaredError())
    #expect(units.map(\.unit) == [0, 1, 2] && units.allSatisfy { $0.layer == 0 })
    #expect(units.map(\.redundancyGroup) == [0, 0, nil])
    #expect(units.map(\.incomingNorm) == [5, 10, 1])
    #expect(units.map(\.outgoingNorm) == [1, 2, 0])
    #expect(units.map(\.bias) == [0, 0, 0.5])
    // Without unit 0 the predictions drop by relu(3a + 4b): 3, 4, 0, 3.5 -> errors 4, 5, 1, 4.5.
    #expect(abs(units[0].lossRatio - (16 + 25 + 1 + 20.25) / 4) < 1e-5)
    #expect(units[2].lossRatio == 1 && !units[2].active)
    #expect(units[0].active && units[1].active)
    let strict = try UnitInspection.inspect(
        network: net, data: TensorDataset(inputs: x, targets: t), loss: MeanSquaredError(),
                                            threshold: 1e9, redundancy: 1.0000001)
    #expect(strict.allSatisfy { !$0.active && $0.redundancyGroup == nil })
}
