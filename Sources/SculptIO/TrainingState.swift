import SculptCore
import SculptNN

/// The loss a run trains with, as data.
public enum LossKind: String, Codable, Sendable {
    case crossEntropy = "cross_entropy"
    case meanSquaredError = "mse"

    /// The loss function.
    public func makeLoss() -> Loss {
        switch self {
        case .crossEntropy: return SoftmaxCrossEntropy()
        case .meanSquaredError: return MeanSquaredError()
        }
    }
}

/// How a run trains: everything besides the network needed to continue it exactly.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public var optimizer: OptimizerConfiguration
    public var loss: LossKind
    public var batchSize: Int
    /// The seed of the run (network initialization, shuffling, augmentation, validation split).
    public var seed: UInt64
    /// The data source string (`DataSource.description`), when the run trains on one.
    public var data: String?
    /// Fraction of the training set held out for validation.
    public var validationFraction: Double
    /// Whether training batches are augmented.
    public var augmentation: Bool
    /// The run's planned length in epochs (nil in checkpoints written before it was saved).
    public var epochs: Int?
    /// Train on the first `trainLimit` training samples only (nil: all).
    public var trainLimit: Int?

    public init(
        optimizer: OptimizerConfiguration, loss: LossKind = .crossEntropy, batchSize: Int = 128, seed: UInt64 = 0,
                data: String? = nil, validationFraction: Double = 0, augmentation: Bool = false,
                epochs: Int? = nil, trainLimit: Int? = nil) {
        self.optimizer = optimizer
        self.loss = loss
        self.batchSize = batchSize
        self.seed = seed
        self.data = data
        self.validationFraction = validationFraction
        self.augmentation = augmentation
        self.epochs = epochs
        self.trainLimit = trainLimit
    }

    /// Checks the values a user or a corrupted file can get wrong.
    public func validate() throws {
        try optimizer.validate()
        guard batchSize > 0 else {
            throw CheckpointError.invalidOptimizer("batch size must be positive, got \(batchSize)")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw CheckpointError.invalidOptimizer("validation fraction must lie in [0, 1), got \(validationFraction)")
        }
        if let epochs, epochs < 0 { throw CheckpointError.invalidOptimizer("epochs must be >= 0, got \(epochs)") }
        if let trainLimit, trainLimit <= 0 {
            throw CheckpointError.invalidOptimizer("train limit must be positive, got \(trainLimit)")
        }
    }
}

/// The state of a training run after some epochs (saved in `training.json`; the optimizer's
/// per-parameter tensors and step counts live on the network's parameters and in
/// `optimizer.safetensors`).
public struct TrainingState: Codable, Equatable, Sendable {
    public var configuration: TrainingConfiguration
    /// Epochs finished so far.
    public var completedEpochs: Int
    /// The generator as it was after the last finished epoch.
    public var rng: RandomSource
    /// Metrics of the finished epochs (`epoch` numbers count from 1 over the whole run).
    public var epochs: [EpochReport]

    public init(
        configuration: TrainingConfiguration, completedEpochs: Int = 0, rng: RandomSource, epochs: [EpochReport] = []
    ) {
        self.configuration = configuration
        self.completedEpochs = completedEpochs
        self.rng = rng
        self.epochs = epochs
    }
}
