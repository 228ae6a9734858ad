import SculptCore
import SculptData
import SculptNN

/// Optimization settings of a partial-training run; defaults follow the paper's protocol
/// (momentum SGD with weight decay, 10 epochs).
public struct PartialTrainingSettings: Codable, Equatable, Sendable {
    public var epochs: Int = 10
    public var batchSize: Int = 128
    public var learningRate: Float = 0.01
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4

    public init(epochs: Int = 10, batchSize: Int = 128, learningRate: Float = 0.01, momentum: Float = 0.9,
                weightDecay: Float = 5e-4) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// Throws `TrainingError.invalidConfiguration` naming the first impossible value.
    public func validate() throws {
        func check(_ ok: Bool, _ why: String) throws { if !ok { throw TrainingError.invalidConfiguration(why) } }
        try check(epochs >= 0, "epochs must be >= 0, got \(epochs)")
        try check(batchSize > 0, "batch size must be positive, got \(batchSize)")
        try check(batchSize <= 1 << 20, "batch size must be at most \(1 << 20), got \(batchSize)")
        try check(epochs <= 1_000_000, "epochs must be at most 1000000, got \(epochs)")
        try check(learningRate > 0 && learningRate.isFinite, "learning rate must be positive, got \(learningRate)")
        try check(momentum >= 0 && momentum < 1, "momentum must lie in [0, 1), got \(momentum)")
        try check(weightDecay >= 0 && weightDecay.isFinite, "weight decay must be >= 0, got \(weightDecay)")
    }

    /// A fresh momentum-SGD optimizer with these settings.
    public func makeOptimizer() -> Optimizer {
        SGD(learningRate: learningRate, momentum: momentum, weightDecay: weightDecay)
    }
}

/// What a partial-training run measured.
public struct PartialTrainingOutcome: Codable, Equatable, Sendable {
    public var summary: PartialTrainingSummary
    public var testAccuracy: Float
    public var testLoss: Float
    /// Mean training loss of the last epoch (nil without epochs).
    public var trainLoss: Float?
    public var epochs: Int
    /// Wall-clock seconds of training.
    public var seconds: Double

    public init(summary: PartialTrainingSummary, testAccuracy: Float, testLoss: Float, trainLoss: Float?, epochs: Int,
                seconds: Double) {
        self.summary = summary
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.trainLoss = trainLoss
        self.epochs = epochs
        self.seconds = seconds
    }
}

extension PartialTraining {
    /// Applies `plan` to `network` (validated before anything changes), trains it on `train`
    /// with `settings`, and evaluates it on `test`.
    public static func train(_ network: Network, plan: PartialTrainingPlan, settings: PartialTrainingSettings,
                             train: Dataset, test: Dataset, rng: inout RandomSource,
                             progress: ((EpochReport) -> Void)? = nil) throws -> PartialTrainingOutcome {
        try settings.validate()
        let summary = try apply(plan, to: network)
        let trainer = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: settings.makeOptimizer(),
                              batchSize: settings.batchSize, maxEpochs: settings.epochs)
        trainer.progress = progress
        let history = try trainer.fit(train, rng: &rng)
        let (loss, accuracy) = trainer.evaluate(test)
        return PartialTrainingOutcome(summary: summary, testAccuracy: accuracy ?? 0, testLoss: loss,
                                      trainLoss: history.epochs.last?.loss, epochs: history.epochs.count,
                                      seconds: history.seconds)
    }
}
