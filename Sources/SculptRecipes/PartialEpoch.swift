import SculptCore
import SculptData

/// Where a scheduled run stopped within an epoch (a `stop` request between batches), saved with its
/// checkpoint, so that `--resume` trains the rest of that epoch, batch for batch as the run would
/// have without the stop: the epoch's order is the shuffle of `epochStart`, the checkpoint's
/// generator is the one after the batches done, and the sums below complete the epoch's report.
public struct PartialEpoch: Codable, Equatable, Sendable {
    /// The epoch stopped within (1-based, numbered over the run) and its batches done.
    public var epoch: Int
    public var batches: Int
    /// The run's generator as the epoch began: its shuffle is the epoch's order.
    public var epochStart: RandomSource
    /// Over the batches done, as `Trainer` sums them: loss x samples and correct predictions.
    public var lossSum: Double
    public var correct: Double

    /// The indices of the samples the epoch has still to train, in its order (`shuffled` as the trainer does).
    func remainingOrder(count: Int, batchSize: Int, shuffled: Bool) -> [Int] {
        var order = Array(0..<count)
        var generator = epochStart
        if shuffled { generator.shuffle(&order) }
        return Array(order[Swift.min(batches * batchSize, count)...])
    }
}

/// The running sums of the epoch being trained (what `Trainer` sums), kept by the scheduled run so
/// that an epoch stopped between batches and resumed reports what an uninterrupted one would.
struct EpochTally {
    var epochStart: RandomSource
    /// Batches of the epoch trained before this part of it (a resumed epoch's first batches).
    var offset = 0
    var lossSum = 0.0
    var correct = 0.0
    var batches = 0

    init(epochStart: RandomSource, resuming partial: PartialEpoch? = nil) {
        self.epochStart = partial?.epochStart ?? epochStart
        if let partial {
            (offset, lossSum, correct, batches) = (partial.batches, partial.lossSum, partial.correct, partial.batches)
        }
    }

    /// Adds batch `batch` (0-based over the epoch) of `size` samples, with its loss and accuracy.
    mutating func add(loss: Float, accuracy: Float?, size: Int) {
        lossSum += Double(loss) * Double(size)
        if let accuracy { correct += Double(accuracy) * Double(size) }
        batches += 1
    }

    func partial(epoch: Int) -> PartialEpoch {
        PartialEpoch(epoch: epoch, batches: batches, epochStart: epochStart, lossSum: lossSum, correct: correct)
    }
}

/// The samples of `base` at `indices`, in that order (the rest of a stopped epoch).
struct ReorderedDataset: Dataset {
    let base: Dataset
    let indices: [Int]
    var count: Int { indices.count }
    var inputShape: [Int] { base.inputShape }
    var targetShape: [Int] { base.targetShape }
    var classCount: Int? { base.classCount }
    func fillBatch(indices batch: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        base.fillBatch(indices: batch.map { indices[$0] }[...], inputs: inputs, targets: targets)
    }
}
