import SculptCore
import SculptData
import SculptNN

/// W7: VGG16 x0.25 (the interruptible spec's network: 11 3x3 convs 16-16-M-32-32-M-64x3-M-128x2-M-128x2,
/// FC 256-128-64-10, BatchNorm everywhere) on Fashion-MNIST `[1, 28, 28]`, SGD lr 0.01 momentum 0.9
/// weight decay 5e-4, batch 128, with W3's protocol (`CNNBenchmark.runBatches`): timed batches
/// extrapolated to an epoch, one real epoch at the largest thread count.
public enum VGGBenchmark {
    /// SGD's learning rate.
    public static let learningRate: Float = 0.01
    /// SGD's momentum.
    public static let momentum: Float = 0.9
    /// SGD's (L2) weight decay.
    public static let weightDecay: Float = 5e-4
    /// The width multiplier of the thesis's VGG16.
    public static let widthMultiplier = 0.25

    /// The model: `vgg16` x0.25 for `[1, 28, 28]` inputs and 10 classes.
    public static func architecture() throws -> Architecture {
        try Architecture.builtin(named: "vgg16", widthMultiplier: widthMultiplier, inputShape: [1, 28, 28])
    }

    /// Runs W7 at `options.threads` (the caller sets the threads).
    @Sendable
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        try CNNBenchmark.runBatches(
            workload: "vgg", model: "vgg16x0.25", architecture: architecture(),
            optimizer: { SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay) },
            optimizerName: "sgd lr=0.01 momentum=0.9 weight_decay=5e-4", options: options)
    }
}
