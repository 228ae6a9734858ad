import SculptCore

/// A deterministic train/validation split of sample indices.
public enum DatasetSplit {
    /// Splits `0..<count` by a seeded permutation: `round(count * validationFraction)` indices
    /// (at least one when the fraction is positive) go to validation; both lists are sorted.
    /// The same count, fraction and seed give the same split.
    public static func indices(count: Int, validationFraction: Double, seed: UInt64) throws
        -> (train: [Int], validation: [Int]) {
        guard validationFraction >= 0, validationFraction < 1 else {
            throw DataError.invalidFraction(validationFraction, sampleCount: count)
        }
        var k = Int((Double(count) * validationFraction).rounded())
        if validationFraction > 0 { k = Swift.max(k, 1) }
        guard k < count || k == 0 else { throw DataError.invalidFraction(validationFraction, sampleCount: count) }
        var rng = RandomSource(seed: seed)
        let permutation = rng.permutation(count)
        return (permutation[k...].sorted(), permutation[..<k].sorted())
    }
}

extension ImageDataset {
    /// A deterministic train/validation split (see `DatasetSplit.indices`).
    public func split(
        validationFraction: Double, seed: UInt64
    ) throws -> (train: ImageDataset, validation: ImageDataset) {
        let (t, v) = try DatasetSplit.indices(count: count, validationFraction: validationFraction, seed: seed)
        return (subset(t), subset(v))
    }
}

extension TensorDataset {
    /// A deterministic train/validation split (see `DatasetSplit.indices`).
    public func split(
        validationFraction: Double, seed: UInt64
    ) throws -> (train: TensorDataset, validation: TensorDataset) {
        let (t, v) = try DatasetSplit.indices(count: count, validationFraction: validationFraction, seed: seed)
        return (subset(t), subset(v))
    }
}

/// The samples of another dataset at chosen indices, in their order: a view, nothing is copied
/// (a held-out validation part of a training set that other code keeps reading as a `Dataset`).
public struct IndexedDataset: Dataset {
    public let base: Dataset
    /// Indices into `base`, each in `0..<base.count`.
    public let indices: [Int]

    public init(_ base: Dataset, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "an index lies outside the base dataset")
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var inputShape: [Int] { base.inputShape }
    public var targetShape: [Int] { base.targetShape }
    public var classCount: Int? { base.classCount }
    public func fillBatch(indices batch: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        base.fillBatch(indices: ArraySlice(batch.map { indices[$0] }), inputs: inputs, targets: targets)
    }
}

extension Dataset {
    /// A deterministic train/validation split as views of this dataset (see `DatasetSplit.indices`:
    /// the same count, fraction and seed give the same split as `ImageDataset.split`).
    public func splitViews(validationFraction: Double, seed: UInt64) throws
        -> (train: IndexedDataset, validation: IndexedDataset) {
        let (t, v) = try DatasetSplit.indices(count: count, validationFraction: validationFraction, seed: seed)
        return (IndexedDataset(self, indices: t), IndexedDataset(self, indices: v))
    }
}
