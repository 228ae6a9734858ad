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

    public var count: Int { inputs.dimension(0) }
    public var inputShape: [Int] { Array(inputs.shape.dropFirst()) }
    public var targetShape: [Int] { Array(targets.shape.dropFirst()) }

    public func fillBatch(indices: ArraySlice<Int>, inputs batchInputs: Tensor, targets batchTargets: Tensor) {
        // inputs is (N, ni), targets is (N, nt); row r of the batch is sample indices[r]
        let b = indices.count, n = count
        let ni = inputs.rowStride, nt = targets.rowStride
        batchInputs.resize(rows: b, rowShapeOf: inputs)
        batchTargets.resize(rows: b, rowShapeOf: targets)
        let xs = inputs.data, ts = targets.data, bx = batchInputs.data, bt = batchTargets.data
        indices.withUnsafeBufferPointer { idx in
            for i in idx { precondition(i >= 0 && i < n, "sample index \(i) outside 0..<\(n)") }
            gatherRows(idx, from: xs, rowLength: ni, into: bx)
            gatherRows(idx, from: ts, rowLength: nt, into: bt)
        }
    }

    /// The samples at `indices` as a new dataset (copies).
    public func subset(_ indices: [Int]) -> TensorDataset {
        TensorDataset(inputs: inputs.gatherRows(indices), targets: targets.gatherRows(indices), classCount: classCount)
    }
}

/// Row r of `d` = row idx[r] of `s` (rows of `rowLength` floats). The 1-4 float rows of small tasks (painting's
/// (x, y) -> value) get a loop of straight-line moves (the width a constant in each case, so the inner loop
/// unrolls), where a loop's or memcpy's set-up per row costs more than the copy; longer rows memcpy.
private func gatherRows(_ idx: UnsafeBufferPointer<Int>, from s: UnsafeMutablePointer<Float>, rowLength: Int,
                        into d: UnsafeMutablePointer<Float>) {
    @inline(__always) func gather(_ width: Int) {
        for r in idx.indices {
            let from = s + width &* idx[r], to = d + width &* r
            for c in 0..<width { to[c] = from[c] }
        }
    }
    switch rowLength {
    case 1: gather(1)
    case 2: gather(2)
    case 3: gather(3)
    case 4: gather(4)
    default:
        for r in idx.indices { (d + r * rowLength).update(from: s + idx[r] * rowLength, count: rowLength) }
    }
}
