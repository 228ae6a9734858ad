import SculptCore
import SculptData
import SculptNN

/// W3: `cnn-small` (conv32-pool-conv64-pool-fc128-fc10) on Fashion-MNIST, SGD lr 0.01
/// momentum 0.9, batch 128.
///
/// As bench/README.md defines it: one model (seed 1) trains 20 warm-up batches, then
/// `options.repetitions` timed runs of `options.cnnTimedBatches` batches, each over a fresh
/// permutation drawn before the clock starts; seconds per epoch are extrapolated to the 60k
/// training samples. At the largest thread count of the run one real epoch from a fresh model
/// (seed 0) is timed too and its test accuracy reported.
public enum CNNBenchmark {
    /// SGD's learning rate.
    public static let learningRate: Float = 0.01
    /// SGD's momentum.
    public static let momentum: Float = 0.9

    /// The model: `cnn-small` for `[1, 28, 28]` inputs and 10 classes.
    public static func architecture() throws -> Architecture { try Architecture.builtin(named: "cnn-small") }

    /// Runs W3 at `options.threads` (the caller sets the threads).
    @Sendable
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        try runBatches(workload: "cnn", model: "conv32-pool-conv64-pool-fc128-fc10", architecture: architecture(),
                       optimizer: { SGD(learningRate: learningRate, momentum: momentum) },
                       optimizerName: "sgd lr=0.01 momentum=0.9", options: options)
    }

    /// The W3 protocol for any image classifier (W3, W7): a model from seed 1 trains
    /// `options.warmupBatches` batches, then `options.repetitions` timed runs of
    /// `options.cnnTimedBatches` batches over fresh permutations, extrapolated to an epoch; at the
    /// largest thread count one real epoch of a fresh model (seed 0) and its test accuracy.
    static func runBatches(workload: String, model: String, architecture: Architecture, optimizer: () -> SGD,
                           optimizerName: String, options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        let (train, test) = try ClassifierTraining.fashionMNIST(directory: options.fashionMNISTDirectory)
        let batch = ClassifierTraining.batchSize, timed = Swift.max(options.cnnTimedBatches, 1)
        var record: BenchmarkRecord
        do {
            let (network, seeded) = try ClassifierTraining.network(
                architecture, seed: 1, convolution: options.convolutionAlgorithm)
            var rng = seeded
            let sgd = optimizer()
            ClassifierTraining.trainBatches(network, optimizer: sgd, data: train,
                                            order: ClassifierTraining.permutation(train.count, rng: &rng),
                                            batches: options.warmupBatches)
            var times: [Double] = []
            for _ in 0..<Swift.max(options.repetitions, 1) {
                let order = ClassifierTraining.permutation(train.count, rng: &rng)
                let start = Clock.now()
                ClassifierTraining.trainBatches(network, optimizer: sgd, data: train, order: order, batches: timed)
                times.append(Clock.now() - start)
            }
            let med = median(times)
            // Batches actually run: fewer than asked when the training set is small.
            let ran = Swift.min(timed, (train.count + batch - 1) / batch)
            let samples = Swift.min(ran * batch, train.count)
            record = BenchmarkRecord(workload: workload, model: model, threads: options.threads,
                                     medianSeconds: med, timesSeconds: times)
            record.secondsPerEpoch = med / Double(samples) * Double(train.count)
            record.batchMilliseconds = med / Double(ran) * 1000
            record.timedBatches = ran
        }
        record.batchSize = batch
        record.optimizer = optimizerName
        if options.cnnFullEpoch && options.threads >= (options.largestThreadCount ?? options.threads) {
            var (network, rng) = try ClassifierTraining.network(
                architecture, seed: 0, convolution: options.convolutionAlgorithm)
            record.measuredEpochSeconds = try ClassifierTraining.timedEpoch(
                network, optimizer: optimizer(), data: train, rng: &rng)
            record.testAccuracy = ClassifierTraining.accuracy(network, on: test)
        }
        return [record]
    }

    /// Milliseconds per batch spent in each stage's forward and backward pass and in the
    /// optimizer, averaged over `batches` training steps of `network` on `data` (for profiling).
    /// The stages are `Network.stages`, run as `Network.forward` and `backward` run them: a layer,
    /// a fused pair or triple (BatchNorm + ReLU, with a max pooling after them; ReLU + max pooling)
    /// as one pass, or a flatten and the dense layer after it as the dense layer.
    public static func profile(_ network: Network, data: Dataset, batches: Int, seed: UInt64 = 0) -> LayerProfile {
        let layers = network.layers, stages = network.stages
        var forward = [Double](repeating: 0, count: stages.count), backward = forward
        var optimizerTime = 0.0
        let optimizer = SGD(learningRate: learningRate, momentum: momentum), loss = SoftmaxCrossEntropy()
        let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0]), gradient = Tensor(zeros: [0])
        let parameters = network.parameters
        var rng = RandomSource(seed: seed)
        let order = ClassifierTraining.permutation(data.count, rng: &rng)
        let steps = Swift.max(batches, 1)
        let first = network.firstLayerWithParameters ?? layers.count  // where Network.backward stops
        var begin = 0
        for _ in 0..<steps {
            if begin >= order.count { begin = 0 }
            let end = Swift.min(begin + ClassifierTraining.batchSize, order.count)
            data.fillBatch(indices: order[begin..<end], inputs: inputs, targets: targets)
            begin = end
            for p in parameters { p.zeroGrad() }
            var h = inputs
            for (s, stage) in stages.enumerated() {
                let t = Clock.now()
                h = network.forward(stage, h, training: true)
                forward[s] += Clock.now() - t
            }
            _ = loss.compute(prediction: h, target: targets, gradient: gradient)
            var d = gradient
            for (s, stage) in stages.enumerated().reversed() where stage.layers.upperBound >= first {
                let t = Clock.now()
                if let g = network.backward(stage, d, first: first) { d = g }
                backward[s] += Clock.now() - t
            }
            let t = Clock.now()
            optimizer.step(parameters)
            optimizerTime += Clock.now() - t
        }
        let scale = 1000 / Double(steps)
        return LayerProfile(
            names: stages.map(\.name),
            layers: stages.map { $0.layers.map { layers[$0].spec.summary }.joined(separator: " + ") },
            forwardMilliseconds: forward.map { $0 * scale },
            backwardMilliseconds: backward.map { $0 * scale }, optimizerMilliseconds: optimizerTime * scale)
    }
}

/// Per-stage milliseconds of one training step (`CNNBenchmark.profile`).
public struct LayerProfile: Codable, Sendable {
    /// Each stage's layers: "layers.3", or "layers.1-2" ("layers.4-6") for layers run as one pass.
    public var names: [String]
    /// Each stage's summary ("conv2d(1->32, 3x3, pad 1)"; "relu + maxpool2d(...)" for a fused pair,
    /// "batchnorm(16) + relu + maxpool2d(...)" for a triple).
    public var layers: [String]
    /// Forward milliseconds per step, by layer.
    public var forwardMilliseconds: [Double]
    /// Backward milliseconds per step, by layer.
    public var backwardMilliseconds: [Double]
    /// Optimizer milliseconds per step.
    public var optimizerMilliseconds: Double
}
