import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptSurgery

/// y = relu(x) + 3 relu(-x) + 0 relu(x + 1), fitted to targets y* = relu(x): unit 0 is exact,
/// unit 1 adds error, unit 2 has zero outgoing weight.
private func handNetwork() throws -> (Network, TensorDataset) {
    let hidden = Dense(weight: Tensor([1, -1, 1], shape: [3, 1]), bias: Tensor([0, 0, 1]))
    let out = Dense(weight: Tensor([1, 3, 0], shape: [1, 3]), bias: Tensor([0]))
    let net = try Network(inputShape: [1], layers: [hidden, Activation(.relu), out])
    let x = Tensor([-1, -0.5, 0.5, 1], shape: [4, 1])
    let t = Tensor([0, 0, 0.5, 1], shape: [4, 1])
    return (net, TensorDataset(inputs: x, targets: t))
}

@Test("loss ratios on a hand-built network, and the network is restored bit for bit")
func handRatios() throws {
    let (net, data) = try handNetwork()
    let state = parameterState(net)
    let scores = try UnitContributions.measure(network: net, layer: 0, data: data, loss: MeanSquaredError())
    #expect(sameState(state, parameterState(net)))
    // baseline: errors 3, 1.5, 0, 0 -> (9 + 2.25) / 4 = 2.8125
    // without unit 0: predictions 3, 1.5, 0, 0 vs 0, 0, .5, 1 -> (9 + 2.25 + .25 + 1) / 4 = 3.125
    // without unit 1: exact -> 0; unit 2: unchanged -> ratio 1
    #expect(abs(scores[0].lossRatio - 3.125 / 2.8125) < 1e-6)
    #expect(scores[1].lossRatio == 0)
    #expect(scores[2].lossRatio == 1)
    #expect(scores.map(\.isActive) == [false, false, false])
    let strict = try UnitContributions.measure(
        network: net, layer: 0, data: data, loss: MeanSquaredError(), threshold: 1.1)
    #expect(strict.map(\.isActive) == [true, false, false])
}

@Test("a perfect network: a needed unit has ratio at the finite maximum, a zero-weight unit ratio 1")
func zeroBaseline() throws {
    let (net, _) = try handNetwork()
    (net.layers[2] as! Dense).weight.value[0, 1] = 0
    let x = Tensor([-1, 0.5, 1], shape: [3, 1])
    let data = TensorDataset(inputs: x, targets: net.predict(x))
    let scores = try UnitContributions.measure(network: net, layer: 0, data: data, loss: MeanSquaredError())
    #expect(scores.map(\.lossRatio) == [Float.greatestFiniteMagnitude, 1, 1])
    #expect(try UnitContributions.activeUnitCount(network: net, data: data, loss: MeanSquaredError()) == 1)
}

@Test("redundancy groups are connected components of cosine >= 0.99, bias included")
func redundancyGroups() throws {
    // Incoming vectors (w0, w1, b) = scale * (cos t, 0.3, sin t): neighbours 7 degrees apart have
    // cosine 0.9932, 14 degrees apart 0.9728. Units 0, 2, 4 at t = 0, 7, 14 form one chain;
    // unit 1 differs from unit 0 only in its bias; unit 3 at 40 degrees; unit 5 is all zeros.
    func vector(_ degrees: Double, _ scale: Double) -> [Float] {
        let t = degrees * Double.pi / 180
        return [Float(scale * cos(t)), Float(scale * 0.3), Float(scale * sin(t))]
    }
    let rows = [vector(0, 1), [1, 0.3, -0.5], vector(7, 2), vector(40, 1), vector(14, 0.5), [0, 0, 0]]
    let hidden = Dense(weight: Tensor(rows.flatMap { $0.prefix(2) }, shape: [6, 2]), bias: Tensor(rows.map { $0[2] }))
    let net = try Network(
        inputShape: [2], layers: [hidden, Activation(.relu), Dense(weight: Tensor(zeros: [1, 6]), bias: nil)])
    #expect(Redundancy.cosine(hidden, 0, 4) < 0.99)  // grouped only through unit 2
    #expect(Redundancy.cosine(hidden, 0, 1) < 0.99)  // same weights, different bias
    #expect(try Redundancy.groups(network: net, layer: 0) == [RedundantGroup(layer: 0, units: [0, 2, 4])])
    #expect(try Redundancy.groups(network: net, layer: 0, threshold: 0.995).isEmpty)
    #expect(
        try Redundancy.groups(network: net, layer: 0, threshold: 0.97) == [RedundantGroup(layer: 0, units: [0, 2, 4])])
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
