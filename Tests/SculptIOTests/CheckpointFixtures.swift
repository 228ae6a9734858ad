import SculptCore
import SculptData
import SculptIO
import SculptNN

/// Small networks and data for checkpoint tests.
enum Fixtures {
    /// input -> dense(hidden) -> relu -> dense(classes)
    static func mlp(inputs: Int = 6, hidden: Int = 5, classes: Int = 3) -> Architecture {
        Architecture(inputShape: [inputs], layers: [
            .dense(inputs: inputs, outputs: hidden, bias: true), .activation(.relu),
            .dense(inputs: hidden, outputs: classes, bias: true),
        ])
    }

    /// `count` random samples of `inputs` features with labels in 0..<classes.
    static func data(count: Int = 40, inputs: Int = 6, classes: Int = 3, seed: UInt64 = 9) -> TensorDataset {
        var rng = RandomSource(seed: seed)
        let x = Tensor.uniform([count, inputs], -1, 1, using: &rng)
        let y = Tensor(zeros: [count])
        for i in 0..<count { y.data[i] = Float(rng.index(below: classes)) }
        return TensorDataset(inputs: x, targets: y, classCount: classes)
    }

    /// A run of `mlp()` after `epochs` epochs on `data()`.
    static func trainedRun(_ optimizer: OptimizerConfiguration, epochs: Int, mask: Bool = false) throws -> TrainingRun {
        var rng = RandomSource(seed: 1)
        let network = try Network(mlp(), rng: &rng)
        if mask {
            let w = network.namedParameters[0].parameter
            w.mask = Tensor(repeating: 1, shape: w.value.shape)
            for j in 0..<6 { w.mask!.data[j] = 0 }  // freeze the first unit's weights
        }
        let run = try TrainingRun(
            network: network, configuration: TrainingConfiguration(optimizer: optimizer, batchSize: 8, seed: 1),
            rng: rng)
        for _ in 0..<epochs { try run.runEpoch(train: data()) }
        return run
    }

    static let sgd = OptimizerConfiguration.sgd(
        learningRate: 0.1, momentum: 0.9, dampening: 0, weightDecay: 1e-3, nesterov: false)
    static let adam = OptimizerConfiguration.adam(
        learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 1e-4,
                                                  decoupledWeightDecay: false)
}

/// Bitwise equality of two networks' parameters, optimizer state, steps and masks.
func sameState(_ a: Network, _ b: Network) -> Bool {
    let pa = a.namedParameters, pb = b.namedParameters
    guard pa.map(\.name) == pb.map(\.name) else { return false }
    for ((_, x), (_, y)) in zip(pa, pb) {
        guard x.value == y.value, x.step == y.step, x.mask == y.mask, x.state.keys.sorted() == y.state.keys.sorted()
        else { return false }
        for (k, t) in x.state where y.state[k]! != t { return false }
    }
    return true
}
