import SculptCore
import SculptData
import SculptNN

/// W2: the 784-512-512-10 ReLU MLP (`mlp`) on Fashion-MNIST, SGD lr 0.05 momentum 0.9, batch 128.
///
/// As bench/README.md defines it: 20 warm-up batches on a throw-away model (seed 1), then
/// `options.repetitions` timed full epochs, each from a fresh model (seed 0) with the shuffle
/// inside the timed region; the test accuracy after that one epoch is reported.
public enum MLPBenchmark {
    /// SGD's learning rate.
    public static let learningRate: Float = 0.05
    /// SGD's momentum.
    public static let momentum: Float = 0.9

    /// The model: `mlp` for `[1, 28, 28]` inputs and 10 classes.
    public static func architecture() throws -> Architecture { try Architecture.builtin(named: "mlp") }

    /// Runs W2 at `options.threads` (the caller sets the threads).
    @Sendable
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        let (train, test) = try ClassifierTraining.fashionMNIST(directory: options.fashionMNISTDirectory)
        let architecture = try architecture()
        let batch = ClassifierTraining.batchSize
        do {
            var (warm, rng) = try ClassifierTraining.network(architecture, seed: 1)
            ClassifierTraining.trainBatches(
                warm, optimizer: SGD(learningRate: learningRate, momentum: momentum), data: train,
                                            order: ClassifierTraining.permutation(train.count, rng: &rng),
                                            batches: options.warmupBatches)
        }
        var times: [Double] = [], accuracies: [Double] = []
        for _ in 0..<Swift.max(options.repetitions, 1) {
            var (network, rng) = try ClassifierTraining.network(architecture, seed: 0)
            let optimizer = SGD(learningRate: learningRate, momentum: momentum)
            times.append(try ClassifierTraining.timedEpoch(network, optimizer: optimizer, data: train, rng: &rng))
            accuracies.append(ClassifierTraining.accuracy(network, on: test))
        }
        let med = median(times)
        let steps = (train.count + batch - 1) / batch
        var r = BenchmarkRecord(workload: "mlp", model: "784-512-512-10", threads: options.threads,
                                medianSeconds: med, timesSeconds: times)
        r.secondsPerEpoch = med
        r.epochs = 1
        r.stepsPerEpoch = steps
        r.stepMicroseconds = med / Double(steps) * 1e6
        r.batchSize = batch
        r.optimizer = "sgd lr=0.05 momentum=0.9"
        r.testAccuracy = accuracies.first
        return [r]
    }
}
