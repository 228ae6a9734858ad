import SculptCore
import SculptData
import SculptNN

/// A network from alternating dense widths and activations, e.g. [2, relu, 5, identity, 4, sigmoid-free 1].
func makeNetwork(inputs: Int, _ layers: [(Int, ActivationKind?)], seed: UInt64,
                 initializer: Initializer = .uniform(low: -0.8, high: 0.8)) throws -> Network {
    var specs: [LayerSpec] = []
    var width = inputs
    for (outputs, activation) in layers {
        specs.append(.dense(inputs: width, outputs: outputs, bias: true))
        if let activation { specs.append(.activation(activation)) }
        width = outputs
    }
    var rng = RandomSource(seed: seed)
    return try Network(Architecture(inputShape: [inputs], layers: specs), initializer: initializer, rng: &rng)
}

/// A deep copy of every parameter (value, grad, mask, state) for bit-for-bit comparisons.
func parameterState(_ network: Network) -> [[Tensor?]] {
    network.parameters.map { p in
        [p.value.copy(), p.grad.copy(), p.mask?.copy()] + p.state.keys.sorted().map { p.state[$0]!.copy() }
    }
}

func sameState(_ a: [[Tensor?]], _ b: [[Tensor?]]) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        guard x.count == y.count else { return false }
        for (s, t) in zip(x, y) where s != t { return false }
    }
    return true
}

/// Random inputs `[n, features]`.
func randomInputs(_ n: Int, _ features: Int, seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    return Tensor.uniform([n, features], -1, 1, using: &rng)
}

/// Largest |a - b| relative to the largest |a|.
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    a.maxAbsDifference(b) / max(1, a.map(abs).max())
}

/// A regression dataset the network itself produces.
func selfTargets(_ network: Network, inputs: Tensor) -> TensorDataset {
    TensorDataset(inputs: inputs, targets: network.predict(inputs))
}
