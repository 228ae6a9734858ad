import SculptCore
import SculptData
import SculptNN
@testable import SculptSurgery

/// Builds `layers` on `inputShape` with PyTorch's default initialization and BatchNorms whose
/// scale, shift and running statistics are far from their initial values.
func makeUnitNetwork(_ inputShape: [Int], _ layers: [LayerSpec], seed: UInt64) throws -> Network {
    var rng = RandomSource(seed: seed)
    let net = try Network(Architecture(inputShape: inputShape, layers: layers), rng: &rng)
    for (_, layer) in net.layerPaths {
        guard let bn = layer as? BatchNorm else { continue }
        bn.weight.value.fillUniform(0.5, 1.5, using: &rng)
        bn.bias.value.fillUniform(-0.5, 0.5, using: &rng)
        bn.runningMean.fillUniform(-0.5, 0.5, using: &rng)
        bn.runningVariance.fillUniform(0.5, 2, using: &rng)
    }
    return net
}

func bn(_ n: Int) -> LayerSpec { .batchNorm(features: n, momentum: 0.1, epsilon: 1e-5) }
func conv(_ i: Int, _ o: Int, _ k: Int, padding: Int = 0) -> LayerSpec {
    .conv2d(inputs: i, outputs: o, kernel: k, stride: 1, padding: padding, bias: true)
}
let relu = LayerSpec.activation(.relu)

/// Dense with BatchNorm: 4 -> 6 (BN, relu) -> 5 (relu) -> 3.
func denseBatchNormNetwork(seed: UInt64 = 1) throws -> Network {
    try makeUnitNetwork([4], [.dense(inputs: 4, outputs: 6, bias: true), bn(6), relu,
            .dense(inputs: 6, outputs: 5, bias: true), relu, .dense(inputs: 5, outputs: 3, bias: true),
        ], seed: seed)
}

/// Conv -> BN -> relu -> conv -> relu -> maxpool -> flatten -> dense, on [2, 6, 6].
func convFlattenNetwork(seed: UInt64 = 2) throws -> Network {
    try makeUnitNetwork([2, 6, 6], [conv(2, 4, 3, padding: 1), bn(4), relu, conv(4, 5, 3, padding: 1), relu,
            .maxPool2d(kernel: 2, stride: 2, padding: 0), .flatten, .dense(inputs: 45, outputs: 3, bias: true),
        ], seed: seed)
}

/// A small ResNet on [3, 6, 6]: stem conv+BN, an identity-shortcut block, a projection block,
/// global average pooling and a dense head.
func residualNetwork(seed: UInt64 = 3) throws -> Network {
    try makeUnitNetwork([3, 6, 6], [
        conv(3, 4, 3, padding: 1), bn(4), relu,
            .residual(
                body: [conv(4, 4, 3, padding: 1), bn(4), relu, conv(4, 4, 3, padding: 1), bn(4)], projection: nil),
            relu,
            .residual(
                body: [conv(4, 6, 3, padding: 1), bn(6), relu, conv(6, 6, 3, padding: 1), bn(6)],
                projection: [conv(4, 6, 1), bn(6)]), relu,
        .globalAvgPool, .dense(inputs: 6, outputs: 3, bias: true),
    ], seed: seed)
}

/// Random inputs `[n] + shape` in [-1, 1].
func randomBatch(_ n: Int, _ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    return Tensor.uniform([n] + shape, -1, 1, using: &rng)
}

/// Every parameter's value, gradient, mask and optimizer state, then every buffer (deep copies).
func fullState(_ network: Network) -> [[Tensor?]] {
    parameterState(network) + network.namedBuffers.map { [$0.buffer.copy()] }
}

/// A path from text (tests only).
func path(_ text: String) -> LayerPath {
    guard let p = try? LayerPath(parsing: text) else { preconditionFailure("bad path \(text)") }
    return p
}

/// Sets every outgoing slice of `unit` to zero.
func zeroOutgoing(_ group: UnitGroup, unit: Int) {
    for s in group.slices where s.role == .outgoing { s.tensor.fillUnit(unit, axis: s.axis, span: s.span, with: 0) }
}
