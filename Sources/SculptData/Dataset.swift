import SculptCore

/// A collection of samples that can fill mini-batches.
///
/// Inputs are Float tensors of `inputShape` per sample; targets are Float tensors of
/// `targetShape` per sample (`[]` for a class index stored as a Float).
public protocol Dataset {
    /// Number of samples.
    var count: Int { get }
    /// Shape of one input sample (without the batch dimension).
    var inputShape: [Int] { get }
    /// Shape of one target (without the batch dimension); `[]` for a class index.
    var targetShape: [Int] { get }
    /// Number of classes when targets are class indices, else nil.
    var classCount: Int? { get }
    /// Writes the samples at `indices` into `inputs` and `targets`, resizing them to
    /// `[indices.count] + inputShape` and `[indices.count] + targetShape`.
    func fillBatch(indices: ArraySlice<Int>, inputs: Tensor, targets: Tensor)
}

/// A dataset held in two tensors whose first dimension is the sample index.
public struct TensorDataset: Dataset {
    /// All inputs, `[N] + inputShape`.
    public let inputs: Tensor
    /// All targets, `[N] + targetShape`.
    public let targets: Tensor
    public let classCount: Int?

    public init(inputs: Tensor, targets: Tensor, classCount: Int? = nil) {
        precondition(inputs.rank >= 1 && targets.rank >= 1 && inputs.shape[0] == targets.shape[0],
                     "inputs \(inputs.shape) and targets \(targets.shape) disagree on the sample count")
        self.inputs = inputs
        self.targets = targets
        self.classCount = classCount
    }

    public var count: Int { inputs.shape[0] }
    public var inputShape: [Int] { Array(inputs.shape.dropFirst()) }
    public var targetShape: [Int] { Array(targets.shape.dropFirst()) }

    public func fillBatch(indices: ArraySlice<Int>, inputs batchInputs: Tensor, targets batchTargets: Tensor) {
        let b = indices.count
        let ni = inputs.rowStride, nt = targets.rowStride
        batchInputs.resize([b] + inputShape)
        batchTargets.resize([b] + targetShape)
        var r = 0
        for i in indices {
            (batchInputs.data + r * ni).update(from: inputs.data + i * ni, count: ni)
            (batchTargets.data + r * nt).update(from: targets.data + i * nt, count: nt)
            r += 1
        }
    }

    /// The samples at `indices` as a new dataset (copies).
    public func subset(_ indices: [Int]) -> TensorDataset {
        TensorDataset(inputs: inputs.gatherRows(indices), targets: targets.gatherRows(indices), classCount: classCount)
    }
}
