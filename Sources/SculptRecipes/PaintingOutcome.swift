import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery

/// A painting network trained (plainly or with reinitializations), collapsed and assessed:
/// what `sculpt paint` reports and what the painting trial kinds measure.
public struct PaintingOutcome {
    /// The job that ran.
    public let job: PaintingJob
    /// The target picture.
    public let painting: Painting
    /// The final network: linear layers collapsed (and, with reinitialization, pruned).
    public let network: Network
    /// Loss, active units, pixel agreement, sides and the minimal-correct test of `network`.
    public let assessment: PaintingAssessment
    /// Parameters of the network that was trained (linear layers included).
    public let parametersTrained: Int
    /// Parameters of `network`.
    public let parametersFinal: Int
    /// Epochs over all training phases.
    public let epochs: Int
    /// Why the last training phase ended.
    public let stopReason: StopReason
    /// Wall-clock seconds of training (all phases, with reinitialization's unit checks).
    public let trainingSeconds: Double
    /// Wall-clock seconds of training, collapse and assessment.
    public let seconds: Double
    /// The epochs of plain training (nil with reinitialization).
    public let history: TrainingHistory?
    /// The log of reinitialization training (nil for plain training).
    public let reinitialization: ReinitializationResult?
    /// The weights before the first step, kept while they fit `network`, else dropped with the
    /// reason (a collapse of linear layers or a prune changes the layers): a painting folder's
    /// `init.safetensors` (or `init.json`).
    public let initialWeights: InitialWeights

    /// Full-image MSE of the final network (eval mode).
    public var finalLoss: Float { assessment.loss }
}

extension PaintingJob {
    /// Builds the network from `seed`, trains it on `painting`, collapses its linear layers and
    /// assesses the result.
    ///
    /// Without `reinitialization` this is plain training (`run(on:)`) followed by the collapse.
    /// With it, `ReinitializationTraining` runs with that configuration, except that its batch
    /// size, epoch cap per phase and reinitialization initializer are this job's (`batch`,
    /// `epochs`, `initializer`), and it always collapses at the end. Adam with `learningRate`
    /// serves every phase. `minDelta` applies to plain training only (reinitialization's
    /// phases stop on any lack of improvement, as Keras' default).
    public func train(on painting: Painting, reinitialization: ReinitializationConfiguration? = nil,
                      assessor: PaintingAssessor = PaintingAssessor(),
                      progress: ((EpochReport) -> Void)? = nil) throws -> PaintingOutcome {
        try validate()
        precondition(painting.size == size, "painting of size \(painting.size) for a job of size \(size)")
        let start = Clock.now()
        let network: Network, parametersTrained: Int, epochsRun: Int, stopReason: StopReason, trainingSeconds: Double
        var history: TrainingHistory? = nil, log: ReinitializationResult? = nil
        if var configuration = reinitialization {
            configuration.batchSize = batch
            configuration.maxEpochsPerPhase = epochs
            configuration.initializer = initializer
            configuration.collapseAtEnd = true
            var rng = RandomSource(seed: seed)
            network = try Network(architecture, initializer: initializer, rng: &rng)
            var training = ReinitializationTraining(configuration: configuration)
            training.epochProgress = progress
            let result = try training.run(network: network, data: painting.dataset, loss: MeanSquaredError(),
                                          optimizer: Adam(learningRate: learningRate), rng: &rng)
            parametersTrained = result.parametersTrained
            epochsRun = result.totalEpochs
            stopReason = (result.finalTraining ?? result.rounds.last?.training ?? result.initialTraining).stopReason
            trainingSeconds = result.seconds
            log = result
        } else {
            let result = try run(on: painting, progress: progress)
            network = result.network
            parametersTrained = result.parameterCount
            try network.collapseLinearLayers()
            epochsRun = result.epochs
            stopReason = result.stopReason
            trainingSeconds = result.seconds
            history = result.history
        }
        let assessment = try assessor.assess(network: network, painting: painting)
        return PaintingOutcome(job: self, painting: painting, network: network, assessment: assessment,
                               parametersTrained: parametersTrained, parametersFinal: network.parameterCount,
                               epochs: epochsRun, stopReason: stopReason, trainingSeconds: trainingSeconds,
                               seconds: Clock.now() - start, history: history, reinitialization: log,
                               initialWeights: try initialWeights(fitting: network, reinitialized: log != nil))
    }

    /// The weights the job's network starts from (the same seed draws them again), checked
    /// against the final `network`.
    func initialWeights(fitting network: Network, reinitialized: Bool) throws -> InitialWeights {
        var rng = RandomSource(seed: seed)
        let initial = InitialWeights(of: try Network(architecture, initializer: initializer, rng: &rng))
        guard let mismatch = initial.mismatch(with: network) else { return initial }
        let change = reinitialized ? "pruned and its linear layers collapsed" : "its linear layers collapsed"
        return .dropped("the painting network was \(change) after training (\(mismatch))")
    }
}
