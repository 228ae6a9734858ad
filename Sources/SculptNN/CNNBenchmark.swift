import SculptCore

/// The W3 workload of the peer benchmarks (`shared/bench/peers/README.md`): `cnn-small` on
/// 1x28x28 inputs, cross-entropy, SGD lr 0.01 momentum 0.9, one training step per call.
///
/// Inputs are synthetic (uniform pixels, random labels): the step's cost does not depend on
/// the values. `sculpt bench` can call `millisecondsPerBatch`.
public final class CNNBenchmark {
    public let network: Network
    public let optimizer: SGD
    public let inputs: Tensor
    public let labels: Tensor
    private let loss = SoftmaxCrossEntropy()
    private let lossGradient = Tensor(zeros: [0])

    /// A fresh `cnn-small` (seeded PyTorch-default init) and one batch of `batchSize` samples.
    public init(batchSize: Int = 128, seed: UInt64 = 0) throws {
        var rng = RandomSource(seed: seed)
        network = try Network(Architecture.builtin(named: "cnn-small"), rng: &rng)
        optimizer = SGD(learningRate: 0.01, momentum: 0.9)
        inputs = Tensor.uniform([batchSize, 1, 28, 28], 0, 1, using: &rng)
        labels = Tensor(zeros: [batchSize])
        for i in 0..<batchSize { labels.data[i] = Float(rng.index(below: 10)) }
    }

    /// One training step (zero gradients, forward, loss, backward, SGD); returns the loss.
    @discardableResult
    public func step() -> Float {
        network.zeroGradients()
        let logits = network.forward(inputs, training: true)
        let value = loss.compute(prediction: logits, target: labels, gradient: lossGradient)
        network.backward(lossGradient)
        optimizer.step(network.parameters)
        return value
    }

    /// Median wall-clock milliseconds per step over `repetitions` runs of `batches` steps,
    /// after `warmup` steps.
    public func millisecondsPerBatch(warmup: Int = 20, batches: Int = 100, repetitions: Int = 3) -> Double {
        for _ in 0..<warmup { step() }
        var times: [Double] = []
        for _ in 0..<Swift.max(repetitions, 1) {
            let start = Clock.now()
            for _ in 0..<batches { step() }
            times.append((Clock.now() - start) * 1000 / Double(Swift.max(batches, 1)))
        }
        return times.sorted()[times.count / 2]
    }
}
