import SculptCore

/// A class-label dataset whose targets are one-hot rows: sample `i` of class `c` gets the target
/// `[classes]` with 1 at `c` and 0 elsewhere, for losses on class scores such as
/// `MeanSquaredError` (`SoftmaxCrossEntropy` takes the class indices of the base dataset).
///
/// `classCount` is nil: it announces class-index targets, and these are not (so `Trainer`
/// reports no accuracy on this dataset); the number of classes is `classes`.
public struct OneHotDataset: Dataset {
    /// The dataset with class-index targets (`targetShape` `[]`, `classCount` set).
    public let base: Dataset
    /// The length of each target row.
    public let classes: Int

    /// `base` with one-hot targets; `base` must have class-index targets.
    public init(_ base: Dataset) {
        precondition(
            base.targetShape.isEmpty, "one-hot targets need class-index targets, got target shape \(base.targetShape)")
        guard let classes = base.classCount else {
            preconditionFailure("one-hot targets need a dataset with a class count")
        }
        precondition(classes > 0, "one-hot targets need at least one class")
        self.base = base
        self.classes = classes
    }

    public var count: Int { base.count }
    public var inputShape: [Int] { base.inputShape }
    public var targetShape: [Int] { [classes] }
    public var classCount: Int? { nil }

    public func fillBatch(indices: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        // the base fills targets as (B) class indices; they become (B, classes) rows
        base.fillBatch(indices: indices, inputs: inputs, targets: targets)
        let b = indices.count, c = classes
        let labels = Array(UnsafeBufferPointer(start: targets.data, count: b))
        targets.resize([b, c])
        let t = targets.data
        t.update(repeating: 0, count: b * c)
        for r in 0..<b {
            let label = Int(labels[r])
            precondition(
                Float(label) == labels[r] && label >= 0 && label < c, "label \(labels[r]) of row \(r) outside 0..<\(c)")
            t[r * c + label] = 1
        }
    }
}
