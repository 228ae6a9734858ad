import SculptCore
import SculptData
import SculptNN

/// A painting-job setting a user gave that cannot work, named by its command-line flag.
public enum PaintingJobError: Error, Equatable, CustomStringConvertible {
    case invalid(flag: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let flag, let value, let reason): return "\(flag) \(value): \(reason)"
        }
    }
}

/// The image-painting task of Hyatt & Lee (2018), Sections 2-3, as a configuration.
///
/// The network is Dense(2, hidden) + ReLU, then one Dense(w) + Identity ("linear layer") per entry
/// of `linear`, then Dense(., 1) + Sigmoid, with Keras' Glorot-uniform initialization and zero biases, as the paper
/// (or `initializer`; PyTorch's default leaves a ReLU unit dead on the whole image 1 time in 4). It trains with
/// Adam on the mean squared error over mini-batches of pixels, reshuffled each epoch, and stops
/// Keras-style when the training loss has not improved by more than `minDelta` for `patience`
/// epochs (the paper: patience 20, batch 128, practically unlimited epochs).
public struct PaintingJob: Codable, Equatable, Sendable {
    public var shape: PaintingShape
    /// Image side in pixels.
    public var size: Int
    /// Width of the ReLU layer.
    public var hidden: Int
    /// Widths of the identity-activation Dense layers after the ReLU layer.
    public var linear: [Int]
    /// Maximum number of epochs.
    public var epochs: Int
    /// Early-stopping patience in epochs.
    public var patience: Int
    /// Mini-batch size.
    public var batch: Int
    /// Adam's step size.
    public var learningRate: Float
    /// Seed of the generator that initializes the weights and shuffles the pixels.
    public var seed: UInt64
    /// Smallest decrease of the training loss that counts as an improvement.
    public var minDelta: Float
    /// Weight initialization: PyTorch's default, or Keras' (`.glorotUniform`, zero biases) as the paper used.
    public var initializer: Initializer
    /// Activation of the output unit: sigmoid (the paper) or identity.
    public var outputActivation: ActivationKind

    /// Output activations a painting network may end with (side counting needs a monotone one).
    public static let outputActivations: [ActivationKind] = [.sigmoid, .identity]

    /// The largest image side accepted (a 4096 x 4096 image already has 16 M samples).
    public static let maximumSize = Painting.maximumSize

    public init(shape: PaintingShape = .square, size: Int = 64, hidden: Int = 3, linear: [Int] = [], epochs: Int = 5000,
                patience: Int = 20, batch: Int = 128, learningRate: Float = 1e-3, seed: UInt64 = 0, minDelta: Float = 0,
                initializer: Initializer = .glorotUniform, outputActivation: ActivationKind = .sigmoid) {
        self.shape = shape
        self.size = size
        self.hidden = hidden
        self.linear = linear
        self.epochs = epochs
        self.patience = patience
        self.batch = batch
        self.learningRate = learningRate
        self.seed = seed
        self.minDelta = minDelta
        self.initializer = initializer
        self.outputActivation = outputActivation
    }

    private enum CodingKeys: String, CodingKey {
        case shape, size, hidden, linear, epochs, patience, batch, learningRate, seed, minDelta, initializer
        case outputActivation = "output"
    }

    /// Decodes a job; missing fields take the defaults of `init`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PaintingJob()
        self.init(shape: try c.decodeIfPresent(PaintingShape.self, forKey: .shape) ?? d.shape,
                  size: try c.decodeIfPresent(Int.self, forKey: .size) ?? d.size,
                  hidden: try c.decodeIfPresent(Int.self, forKey: .hidden) ?? d.hidden,
                  linear: try c.decodeIfPresent([Int].self, forKey: .linear) ?? d.linear,
                  epochs: try c.decodeIfPresent(Int.self, forKey: .epochs) ?? d.epochs,
                  patience: try c.decodeIfPresent(Int.self, forKey: .patience) ?? d.patience,
                  batch: try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch,
                  learningRate: try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? d.learningRate,
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed,
                  minDelta: try c.decodeIfPresent(Float.self, forKey: .minDelta) ?? d.minDelta,
                  initializer: try c.decodeIfPresent(Initializer.self, forKey: .initializer) ?? d.initializer,
                  outputActivation: try c.decodeIfPresent(ActivationKind.self,
                                                          forKey: .outputActivation) ?? d.outputActivation)
    }

    /// Checks every numeric field; throws the first problem, named by its flag. Does not read files.
    public func validate() throws {
        func fail(_ flag: String, _ value: Any, _ reason: String) -> PaintingJobError {
            .invalid(flag: flag, value: "\(value)", reason: reason)
        }
        guard size >= 2 else { throw fail("--size", size, "the image side must be at least 2") }
        guard size <= Self.maximumSize else { throw fail("--size", size, "the image side must be at most " +
            "\(Self.maximumSize)") }
        guard hidden >= 1 else { throw fail("--hidden", hidden, "the ReLU layer needs at least 1 unit") }
        if let bad = linear.first(where: { $0 < 1 }) {
            throw fail("--linear", linear.map(String.init).joined(separator: ","), "every linear layer needs at " +
                "least 1 unit, got \(bad)")
        }
        guard epochs >= 1 else { throw fail("--epochs", epochs, "must be at least 1") }
        guard patience >= 0 else { throw fail("--patience", patience, "must be 0 or more") }
        guard batch >= 1 else { throw fail("--batch", batch, "the batch size must be positive") }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("--lr", learningRate, "the learning rate " +
            "must be positive and finite") }
        guard minDelta.isFinite, minDelta >= 0 else { throw fail("--min-delta", minDelta, "must be 0 or more") }
        guard Self.outputActivations.contains(outputActivation) else {
            throw fail("--output", outputActivation.name,
                       "the output activation must be one of: "
                        + Self.outputActivations.map(\.name).joined(separator: ", "))
        }
    }

    /// The network as data: Dense(2, hidden) + ReLU -> [Dense(w) + Identity]... -> Dense(., 1) + output activation.
    public var architecture: Architecture {
        var layers: [LayerSpec] = [.dense(inputs: 2, outputs: hidden, bias: true), .activation(.relu)]
        var width = hidden
        for w in linear {
            layers += [.dense(inputs: width, outputs: w, bias: true), .activation(.identity)]
            width = w
        }
        layers += [.dense(inputs: width, outputs: 1, bias: true), .activation(outputActivation)]
        return Architecture(inputShape: [2], layers: layers)
    }

    /// The target picture; a shape that cannot be rendered (an unreadable image) is reported on `--shape`.
    public func makePainting() throws -> Painting {
        try validate()
        do { return try Painting(shape: shape, size: size) } catch let e as PaintingError {
            switch e {
            case .invalidSize: throw PaintingJobError.invalid(flag: "--size", value: "\(size)", reason: "\(e)")
            case .invalidShape(_, let reason):
                throw PaintingJobError.invalid(flag: "--shape", value: shape.description, reason: reason)
            case .unreadableImage(_, let reason):
                throw PaintingJobError.invalid(flag: "--shape", value: shape.description, reason: "cannot read the " +
                    "image: \(reason)")
            }
        } catch let e as FileError {
            throw PaintingJobError.invalid(flag: "--shape", value: shape.description, reason: "\(e)")
        }
    }

    /// Validates, renders the picture, builds and trains the network.
    public func run(progress: ((EpochReport) -> Void)? = nil) throws -> PaintingResult {
        try run(on: try makePainting(), progress: progress)
    }

    /// Builds and trains the network on an already rendered `painting` (of this job's size).
    public func run(on painting: Painting, progress: ((EpochReport) -> Void)? = nil) throws -> PaintingResult {
        try validate()
        precondition(painting.size == size, "painting of size \(painting.size) for a job of size \(size)")
        var rng = RandomSource(seed: seed)
        let network = try Network(architecture, initializer: initializer, rng: &rng)
        let data = painting.dataset
        let trainer = Trainer(network: network, loss: MeanSquaredError(), optimizer: Adam(learningRate: learningRate),
                              batchSize: batch, maxEpochs: epochs,
                              earlyStopping: EarlyStopping(patience: patience, minDelta: minDelta,
                                                           monitor: .trainingLoss))
        trainer.progress = progress
        let history = try trainer.fit(data, rng: &rng)
        let finalLoss = trainer.evaluate(data, batchSize: 4096).loss
        return PaintingResult(job: self, painting: painting, network: network, history: history, finalLoss: finalLoss)
    }
}

/// What a painting job produced.
public struct PaintingResult {
    /// The job that ran.
    public let job: PaintingJob
    /// The target picture.
    public let painting: Painting
    /// The trained network.
    public let network: Network
    /// Per-epoch training metrics and why training stopped.
    public let history: TrainingHistory
    /// Mean squared error over all pixels after training (eval mode).
    public let finalLoss: Float

    /// Number of epochs run.
    public var epochs: Int { history.epochs.count }
    /// Wall-clock seconds of training.
    public var seconds: Double { history.seconds }
    /// Number of scalar parameters of the network.
    public var parameterCount: Int { network.parameterCount }
    /// Why training ended.
    public var stopReason: StopReason { history.stopReason }
}
