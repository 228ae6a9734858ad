import SculptCore
import SculptData

/// What early stopping watches.
public enum Monitor: String, Codable, Sendable {
    case trainingLoss = "loss"
    case validationLoss = "val_loss"
    case validationAccuracy = "val_accuracy"

    /// Whether larger is better.
    var maximizes: Bool { self == .validationAccuracy }
}

/// Keras-style early stopping: stop when the monitored metric has not improved by more than
/// `minDelta` for `patience` consecutive epochs.
public struct EarlyStopping: Codable, Sendable, Equatable {
    public var patience: Int
    public var minDelta: Float
    public var monitor: Monitor
    /// Restore the weights of the best epoch when training ends.
    public var restoreBestWeights: Bool

    public init(patience: Int, minDelta: Float = 0, monitor: Monitor = .trainingLoss, restoreBestWeights: Bool = false)
    {
        self.patience = patience
        self.minDelta = minDelta
        self.monitor = monitor
        self.restoreBestWeights = restoreBestWeights
    }
}

/// Metrics of one epoch.
public struct EpochReport: Codable, Sendable, Equatable {
    /// 1-based epoch number within this `fit` call.
    public var epoch: Int
    /// Mean training loss over the epoch's samples (as Keras reports it).
    public var loss: Float
    /// Training accuracy for classification, else nil.
    public var accuracy: Float?
    public var validationLoss: Float?
    public var validationAccuracy: Float?
    /// Wall-clock seconds of the epoch.
    public var seconds: Double

    func value(of monitor: Monitor) -> Float? {
        switch monitor {
        case .trainingLoss: return loss
        case .validationLoss: return validationLoss
        case .validationAccuracy: return validationAccuracy
        }
    }
}

/// What a callback wants after an epoch.
public enum CallbackDecision: Sendable {
    case proceed
    case stop
    /// The callback changed the network (surgery, reinitialization): forget the early-stopping
    /// history so the changed network gets a fresh patience window.
    case resetEarlyStopping
}

/// Why `fit` ended.
public enum StopReason: String, Codable, Sendable {
    case maxEpochs, earlyStopping, callback
}

/// The result of `fit`.
public struct TrainingHistory: Codable, Sendable {
    public var epochs: [EpochReport] = []
    public var stopReason: StopReason = .maxEpochs
    /// Index into `epochs` of the best monitored epoch (when early stopping was used).
    public var bestEpoch: Int?
    public var seconds: Double = 0
}

/// Errors that stop training.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss (or, after the epoch's last batch, a parameter) became NaN or infinite. `epoch` and
    /// `batch` count from 1; `layer` is the first layer (`layers.3`) holding a non-finite parameter
    /// or producing a non-finite output on the batch, nil when every layer was finite.
    case diverged(epoch: Int, batch: Int, loss: Float, layer: String?)
    case emptyDataset
    case invalidConfiguration(String)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case .diverged(let e, let b, let v, let layer):
            return "training diverged: loss is \(NumberFormatting.fixed(v, digits: 4)) at epoch \(e), batch \(b) "
                + "(first non-finite layer: \(layer ?? "none, the loss itself overflowed")); try a smaller learning rate"
        case .emptyDataset: return "the training set is empty"
        case .invalidConfiguration(let why): return "invalid training configuration: \(why)"
        case .shapeMismatch(let why): return why
        }
    }
}

extension Network {
    /// The first layer (`layers.I`) holding a non-finite parameter or, running `inputs` forward in
    /// eval mode, producing a non-finite output; nil when everything is finite.
    public func firstNonFiniteLayer(on inputs: Tensor?) -> String? {
        for (i, layer) in layers.enumerated() where layer.parameters.contains(where: { !$0.value.isFinite }) {
            return "layers.\(i)"
        }
        guard var h = inputs, h.count > 0 else { return nil }
        for (i, layer) in layers.enumerated() {
            h = layer.forward(h, training: false)
            if !h.isFinite { return "layers.\(i)" }
        }
        return nil
    }
}

/// What `Trainer.batchEnd` is called with: the epoch (1-based within `fit`), the batch index, the
/// epoch's batch count, the batch's loss and accuracy; it returns whether it changed the network.
public typealias BatchEnd =
    (_ epoch: Int, _ batch: Int, _ batches: Int, _ loss: Float, _ accuracy: Float?) throws -> Bool

/// Trains a network with mini-batches, reshuffling each epoch, with early stopping and callbacks.
public final class Trainer {
    public let network: Network
    @exclusivity(unchecked) public var loss: Loss
    @exclusivity(unchecked) public var optimizer: Optimizer
    public var batchSize: Int
    public var maxEpochs: Int
    public var earlyStopping: EarlyStopping?
    public var shuffle = true
    @exclusivity(unchecked) public var augmentation: BatchAugmentation?
    /// Called after each epoch; may stop training or report a structural change.
    public var callbacks: [(EpochReport, Trainer) throws -> CallbackDecision] = []
    /// Receives a line of progress after each epoch (the CLI prints it on a terminal).
    public var progress: ((EpochReport) -> Void)?
    /// Called after each batch's step with the epoch (1-based within `fit`), the batch index, the
    /// epoch's batch count, the batch's loss and accuracy; returns true when it changed the
    /// network's structure (surgery between batches), so the epoch takes up its new parameters.
    public var batchEnd: BatchEnd?

    // Reused batch buffers.
    private let batchInputs = Tensor(zeros: [0])
    private let batchTargets = Tensor(zeros: [0])
    private let lossGradient = Tensor(zeros: [0])

    public init(network: Network, loss: Loss, optimizer: Optimizer, batchSize: Int = 128, maxEpochs: Int = 100,
                earlyStopping: EarlyStopping? = nil) {
        self.network = network
        self.loss = loss
        self.optimizer = optimizer
        self.batchSize = batchSize
        self.maxEpochs = maxEpochs
        self.earlyStopping = earlyStopping
    }

    /// Trains on `train`, optionally evaluating `validation` after each epoch.
    @discardableResult
    public func fit(_ train: Dataset, validation: Dataset? = nil, rng: inout RandomSource) throws -> TrainingHistory {
        guard batchSize > 0 else {
            throw TrainingError.invalidConfiguration("batch size must be positive, got \(batchSize)")
        }
        guard maxEpochs >= 0 else {
            throw TrainingError.invalidConfiguration("max epochs must be >= 0, got \(maxEpochs)")
        }
        guard train.count > 0 else { throw TrainingError.emptyDataset }
        guard train.inputShape == network.inputShape else {
            throw TrainingError.shapeMismatch(
                "the data's samples have shape \(train.inputShape) but the network takes \(network.inputShape)")
        }
        if let es = earlyStopping, es.monitor != .trainingLoss, validation == nil {
            throw TrainingError.invalidConfiguration(
                "early stopping monitors \(es.monitor.rawValue) but no validation set was given")
        }
        let start = Clock.now()
        var history = TrainingHistory()
        var order = Array(0..<train.count)
        var best: Float? = nil
        var bestWeights: [Tensor]? = nil
        var sinceBest = 0
        let classifies = train.classCount != nil

        for epoch in 1...Swift.max(maxEpochs, 1) where maxEpochs > 0 {
            let epochStart = Clock.now()
            if shuffle { rng.shuffle(&order) }
            let (lossSum, correct, batchIndex, parameters) = try trainEpoch(epoch, order: order, train: train,
                                                                            classifies: classifies, rng: &rng)
            var report = EpochReport(epoch: epoch, loss: Float(lossSum / Double(order.count)),
                                     accuracy: classifies ? Float(correct / Double(order.count)) : nil,
                                     seconds: 0)
            // The mean of huge finite losses can overflow, and the last step can leave non-finite weights.
            if !report.loss.isFinite || parameters.contains(where: { !$0.value.isFinite }) {
                // Non-finite weights make the next loss NaN: report that loss.
                throw TrainingError.diverged(
                    epoch: epoch, batch: batchIndex, loss: report.loss.isFinite ? .nan : report.loss,
                                             layer: network.firstNonFiniteLayer(on: nil))
            }
            if let validation {
                let v = evaluate(validation)
                report.validationLoss = v.loss
                report.validationAccuracy = v.accuracy
            }
            report.seconds = Clock.now() - epochStart
            history.epochs.append(report)
            progress?(report)

            var stop = false
            if let es = earlyStopping, let value = report.value(of: es.monitor) {
                let improved: Bool
                if let b = best {
                    improved = es.monitor.maximizes ? value > b + es.minDelta : value < b - es.minDelta
                } else {
                    improved = true
                }
                if improved {
                    best = value
                    sinceBest = 0
                    history.bestEpoch = history.epochs.count - 1
                    if es.restoreBestWeights { bestWeights = network.snapshot() }
                } else {
                    sinceBest += 1
                    if sinceBest >= es.patience { stop = true; history.stopReason = .earlyStopping }
                }
            }
            for callback in callbacks {
                switch try callback(report, self) {
                case .proceed: break
                case .stop: stop = true; history.stopReason = .callback
                case .resetEarlyStopping: best = nil; bestWeights = nil; sinceBest = 0
                }
            }
            if stop { break }
        }
        if let bestWeights, earlyStopping?.restoreBestWeights == true { network.restore(bestWeights) }
        history.seconds = Clock.now() - start
        return history
    }

    /// One epoch's batches in `order`: the summed loss and correct count (each weighted by its
    /// batch size), the batches done, and the parameters as they stand after the last batch.
    private func trainEpoch(_ epoch: Int, order: [Int], train: Dataset, classifies: Bool,
                            rng: inout RandomSource) throws
        -> (lossSum: Double, correct: Double, batches: Int, parameters: [Parameter]) {
        // Callbacks change the network between epochs; `batchEnd` may change it between batches.
        var parameters = network.parameters
        var lossSum = 0.0, correct = 0.0
        var batchIndex = 0, begin = 0
        while begin < order.count {
            let end = Swift.min(begin + batchSize, order.count)
            let b = end - begin
            train.fillBatch(indices: order[begin..<end], inputs: batchInputs, targets: batchTargets)
            augmentation?.apply(inputs: batchInputs, rng: &rng)
            for p in parameters { p.zeroGrad() }
            let y = network.forward(batchInputs, training: true)
            let l = loss.compute(prediction: y, target: batchTargets, gradient: lossGradient)
            guard l.isFinite else {
                throw TrainingError.diverged(epoch: epoch, batch: batchIndex + 1, loss: l,
                                             layer: network.firstNonFiniteLayer(on: batchInputs))
            }
            let batchAccuracy = classifies ? classificationAccuracy(logits: y, labels: batchTargets) : nil
            if let batchAccuracy { correct += Double(batchAccuracy) * Double(b) }
            network.backward(lossGradient)
            optimizer.step(parameters)
            lossSum += Double(l) * Double(b)
            batchIndex += 1
            begin = end
            let batches = (order.count + batchSize - 1) / batchSize
            if let batchEnd, try batchEnd(epoch, batchIndex - 1, batches, l, batchAccuracy) {
                parameters = network.parameters
            }
        }
        return (lossSum, correct, batchIndex, parameters)
    }

    /// Mean loss (and accuracy for classification) on a dataset, in eval mode.
    /// The trainer's network evaluated with the trainer's loss (`Network.evaluate(on:loss:batchSize:)`).
    public func evaluate(_ data: Dataset, batchSize evalBatch: Int = 1000) -> (loss: Float, accuracy: Float?) {
        network.evaluate(on: data, loss: loss, batchSize: evalBatch)
    }
}
