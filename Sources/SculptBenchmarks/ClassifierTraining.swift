import SculptCore
import SculptData
import SculptNN

/// The training loop pieces W2 and W3 share, as `bench/torch_reference.py` runs them: Fashion-MNIST, a
/// classifier, cross-entropy, SGD with momentum, batch 128.
public enum ClassifierTraining {
    /// Mini-batch size of W2 and W3.
    public static let batchSize = 128

    /// The Fashion-MNIST training and test sets from `directory` (pixels / 255, `[1, 28, 28]`).
    public static func fashionMNIST(directory: String) throws -> (train: ImageDataset, test: ImageDataset) {
        (
            try MNISTFormat.load(directory: directory, part: .train),
            try MNISTFormat.load(directory: directory, part: .test)
        )
    }

    /// A fresh network of `architecture` with PyTorch's default init from `seed`, its convolutions
    /// set to `convolution`, and the generator after the initialization (it goes on to shuffle).
    public static func network(_ architecture: Architecture, seed: UInt64,
                               convolution: Conv2D.Algorithm = .automatic) throws -> (Network, RandomSource) {
        var rng = RandomSource(seed: seed)
        let network = try Network(architecture, initializer: .pytorchDefault, rng: &rng)
        network.setConvolutionAlgorithm(convolution)
        return (network, rng)
    }

    /// Trains on the first `batches` mini-batches of `order` (the last one may be partial), as
    /// torch_reference.py's `sgd_steps`; returns the last batch's loss.
    @discardableResult
    public static func trainBatches(_ network: Network, optimizer: Optimizer, data: Dataset, order: [Int],
                                    batches: Int, batchSize: Int = batchSize) -> Float {
        let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0]), gradient = Tensor(zeros: [0])
        let loss = SoftmaxCrossEntropy()
        let parameters = network.parameters
        var last: Float = 0, begin = 0, done = 0
        while begin < order.count && done < batches {
            let end = Swift.min(begin + batchSize, order.count)
            data.fillBatch(indices: order[begin..<end], inputs: inputs, targets: targets)
            for p in parameters { p.zeroGrad() }
            let y = network.forward(inputs, training: true)
            last = loss.compute(prediction: y, target: targets, gradient: gradient)
            network.backward(gradient)
            optimizer.step(parameters)
            begin = end
            done += 1
        }
        return last
    }

    /// A random permutation of `0..<count`.
    public static func permutation(_ count: Int, rng: inout RandomSource) -> [Int] {
        var order = Array(0..<count)
        rng.shuffle(&order)
        return order
    }

    /// Trains `network` for one epoch through `Trainer` (the path `sculpt train` takes, the
    /// shuffle included); returns the wall-clock seconds.
    public static func timedEpoch(
        _ network: Network, optimizer: Optimizer, data: Dataset, rng: inout RandomSource
    ) throws -> Double {
        let trainer = Trainer(
            network: network, loss: SoftmaxCrossEntropy(), optimizer: optimizer, batchSize: batchSize, maxEpochs: 1)
        let start = Clock.now()
        try trainer.fit(data, rng: &rng)
        return Clock.now() - start
    }

    /// Test-set accuracy in eval mode, in training-sized batches (torch_reference.py uses 1000; the
    /// accuracy does not depend on it, but layers keep buffers of the largest batch they saw, so
    /// 1000-sample batches would raise the peak memory by about 300 MB for cnn-small).
    public static func accuracy(_ network: Network, on data: Dataset) -> Double {
        Double(network.evaluate(on: data, loss: SoftmaxCrossEntropy(), batchSize: batchSize).accuracy ?? 0)
    }
}
