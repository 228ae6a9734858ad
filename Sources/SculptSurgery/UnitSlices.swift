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

    /// A tensor whose slice `i` along `axis` is slice `sources[i]` of this one times `scales[i]`
    /// (1 when `scales` is nil), or `fill` everywhere when `sources[i]` is nil.
    public func gathered(axis: Int, sources: [Int?], scales: [Float]? = nil, fill: Float = 0) -> Tensor {
        // self is (L, N, R); result is (L, K, R)
        let (l, n, r) = modeView(axis)
        let k = sources.count
        precondition(scales == nil || scales!.count == k, "\(scales!.count) scales for \(k) slices")
        var newShape = shape
        newShape[axis] = k
        let out = Tensor(repeating: fill, shape: newShape)
        let index = sources.map { s -> Int in
            guard let s else { return -1 }
            precondition(s >= 0 && s < n, "slice \(s) out of range 0..<\(n) along axis \(axis) of \(shape)")
            return s
        }
        let scale = scales ?? [Float](repeating: 1, count: k)
        for li in 0..<l {
            let src = data + li * n * r, dst = out.data + li * k * r
            if r == 1 {
                // columns of a matrix: one element per slice
                for i in 0..<k where index[i] >= 0 { dst[i] = src[index[i]] * scale[i] }
            } else {
                for i in 0..<k where index[i] >= 0 {
                    let from = src + index[i] * r, to = dst + i * r
                    if scale[i] == 1 { to.update(from: from, count: r) } else { for ri in 0..<r { to[ri] = from[ri] * scale[i] } }
                }
            }
        }
        return out
    }
}

/// The `count` indices with the largest scores, ascending; ties go to the lower index.
public func largestIndices(_ scores: [Float], count: Int) -> [Int] {
    precondition(count >= 0 && count <= scores.count, "keep \(count) of \(scores.count)")
    let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
    return order.prefix(count).sorted()
}

extension Parameter {
    /// Re-slices this parameter along `axis` after a unit change: the value from `valueSources`
    /// (times `valueScales`; nil sources give zeros), the gradient and optimizer state from
    /// `stateSources` (nil: zero, a new unit), the mask (if any) from `maskSources` (nil: 1,
    /// trainable).
    func remapUnits(axis: Int, valueSources: [Int?], valueScales: [Float]? = nil, stateSources: [Int?], maskSources: [Int?],
                    newValue: Tensor? = nil) {
        value = newValue ?? value.gathered(axis: axis, sources: valueSources, scales: valueScales)
        grad = grad.gathered(axis: axis, sources: stateSources)
        mask = mask?.gathered(axis: axis, sources: maskSources, fill: 1)
        for (key, t) in state { state[key] = t.gathered(axis: axis, sources: stateSources) }
    }
}
