import SculptCore

/// The first `count` samples of another dataset (a probe set, a quick subset).
public struct PrefixDataset: Dataset {
    public let base: Dataset
    public let count: Int

    /// The first `min(count, base.count)` samples of `base`.
    public init(_ base: Dataset, count: Int) {
        self.base = base
        self.count = Swift.min(Swift.max(count, 0), base.count)
    }

    public var inputShape: [Int] { base.inputShape }
    public var targetShape: [Int] { base.targetShape }
    public var classCount: Int? { base.classCount }
    public func fillBatch(indices: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        base.fillBatch(indices: indices, inputs: inputs, targets: targets)
    }
}
