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
