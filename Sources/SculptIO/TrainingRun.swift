import SculptCore
import SculptData
import SculptNN

/// A training run that advances one epoch at a time and can be saved and resumed exactly:
/// resuming a checkpoint written after epoch k and training on gives bit-for-bit the weights of
/// an uninterrupted run (with one BLAS thread).
///
/// Each epoch shuffles the identity order with the run's generator, so an epoch depends only on
/// the weights, the optimizer state and the generator state, which the checkpoint holds.
public final class TrainingRun {
    public let network: Network
    public let trainer: Trainer
    public let configuration: TrainingConfiguration
    /// The generator that shuffles, augments (and initialized the network).
    public var rng: RandomSource
    /// Epochs finished so far.
    public private(set) var completedEpochs: Int
    /// Metrics of the finished epochs.
    public private(set) var reports: [EpochReport]
    /// Surgery history carried into checkpoints.
    public var history: [HistoryRecord]
    /// The parameters before the first step, carried into checkpoints as `init.safetensors`
    /// (surgery during the run keeps them aligned or drops them; see `InitialWeights`).
    public var initialWeights: InitialWeights?

    /// A fresh run of `network`, whose parameters were initialized from `rng`.
    public init(
        network: Network, configuration: TrainingConfiguration, rng: RandomSource, history: [HistoryRecord] = []
    ) throws {
        try configuration.validate()
        self.network = network
        self.configuration = configuration
        self.rng = rng
        self.completedEpochs = 0
        self.reports = []
        self.history = history
        self.initialWeights = InitialWeights(of: network)
        self.trainer = Trainer(network: network, loss: configuration.loss.makeLoss(),
                               optimizer: try configuration.optimizer.makeOptimizer(),
                               batchSize: configuration.batchSize, maxEpochs: 1)
    }

    /// Continues the run a checkpoint saved (with `configuration` instead of the saved one, when
    /// given: see `TrainingConfiguration.resumed(with:)`); throws when it holds no training state.
    public convenience init(resuming checkpoint: Checkpoint, configuration: TrainingConfiguration? = nil) throws {
        guard let state = checkpoint.training else {
            throw CheckpointError.incompatible("the checkpoint holds no training state (training.json) to resume from")
        }
        try self.init(network: checkpoint.network, configuration: configuration ?? state.configuration, rng: state.rng,
                      history: checkpoint.history)
        completedEpochs = state.completedEpochs
        reports = state.epochs
        initialWeights = checkpoint.initialWeights
    }

    /// Trains one epoch (with `augmentation`, if any) and returns its report, numbered over the run.
    @discardableResult
    public func runEpoch(
        train: Dataset, validation: Dataset? = nil, augmentation: BatchAugmentation? = nil
    ) throws -> EpochReport {
        trainer.maxEpochs = 1
        trainer.augmentation = augmentation
        let history = try trainer.fit(train, validation: validation, rng: &rng)
        guard var report = history.epochs.last else { throw TrainingError.emptyDataset }
        completedEpochs += 1
        report.epoch = completedEpochs
        reports.append(report)
        return report
    }

    /// Replaces the last epoch's report (a scheduled run's epoch resumed between batches reports
    /// the loss of all its batches, not only of those after the resume).
    public func amendLastReport(_ report: EpochReport) {
        guard !reports.isEmpty else { return }
        reports[reports.count - 1] = report
    }

    /// The run as a checkpoint (shares the network; save it before training on).
    public func checkpoint() -> Checkpoint {
        Checkpoint(network: network, history: history,
            training: TrainingState(
                configuration: configuration, completedEpochs: completedEpochs, rng: rng, epochs: reports),
                   initialWeights: initialWeights?.checked(against: network))
    }
}
