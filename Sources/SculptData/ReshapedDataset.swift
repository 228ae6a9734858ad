import SculptCore

/// A dataset whose samples are viewed in another shape of the same size, e.g. `[1, 28, 28]`
/// images as `[784]` vectors for a dense network.
public struct ReshapedDataset: Dataset {
    /// The dataset that fills the batches.
    public let base: Dataset
    public let inputShape: [Int]

    /// `base` with samples viewed as `inputShape` (same element count).
    public init(_ base: Dataset, inputShape: [Int]) {
        precondition(base.inputShape.reduce(1, *) == inputShape.reduce(1, *),
                     "cannot view samples of \(base.inputShape) as \(inputShape)")
        self.base = base
        self.inputShape = inputShape
    }

    public var count: Int { base.count }
    public var targetShape: [Int] { base.targetShape }
    public var classCount: Int? { base.classCount }

    public func fillBatch(indices: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        base.fillBatch(indices: indices, inputs: inputs, targets: targets)
        inputs.resize([indices.count] + inputShape)  // same count: contents kept
    }
}
