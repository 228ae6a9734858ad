import SculptCore
import SculptNN

/// Slices of weight tensors along a unit axis: axis 0 for a producing layer (Dense rows
/// [out, in], conv filters [O, I, kH, kW], bias entries), axis 1 for a consuming layer (Dense
/// columns, conv input channels; a Conv -> Flatten -> Dense consumer is [out, C, H*W] seen this
/// way). Every unit operation is written with these, so it applies to any layer kind.
extension Tensor {
    /// L2 norm of each slice along `axis` (accumulated in Double).
    public func sliceNorms(axis: Int) -> [Float] {
        sliceSums(axis: axis) { Double($0) * Double($0) }.map { Float($0.squareRoot()) }
    }

    /// Mean of each slice along `axis`, of the absolute values when `absolute`.
    public func sliceMeans(axis: Int, absolute: Bool) -> [Float] {
        let (l, n, r) = modeView(axis)
        let size = Double(Swift.max(l * r, 1))
        let sums = absolute ? sliceSums(axis: axis) { Double(abs($0)) } : sliceSums(axis: axis) { Double($0) }
        precondition(sums.count == n)
        return sums.map { Float($0 / size) }
    }

    /// Sum of f(x) over each slice along `axis`, in Double.
    @inline(__always)
    private func sliceSums(axis: Int, _ f: (Float) -> Double) -> [Double] {
        // self is (L, N, R); sums[n] = sum over l, r of f(self[l, n, r])
        let (l, n, r) = modeView(axis)
        var sums = [Double](repeating: 0, count: n)
        sums.withUnsafeMutableBufferPointer { out in
            for li in 0..<l {
                let block = data + li * n * r
                if r == 1 {
                    for ni in 0..<n { out[ni] += f(block[ni]) }
                } else {
                    for ni in 0..<n {
                        var acc = 0.0
                        for ri in 0..<r { acc += f(block[ni * r + ri]) }
                        out[ni] += acc
                    }
                }
            }
        }
        return sums
    }
}

/// The `count` indices with the largest scores, ascending; ties go to the lower index.
public func largestIndices(_ scores: [Float], count: Int) -> [Int] {
    precondition(count >= 0 && count <= scores.count, "keep \(count) of \(scores.count)")
    let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    return order.prefix(count).sorted()
}
