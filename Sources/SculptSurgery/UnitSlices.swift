import SculptCore
import SculptNN

/// Slices of weight tensors along a unit axis: axis 0 for a producing layer (Dense rows
/// [out, in], conv filters [O, I, kH, kW], bias entries), axis 1 for a consuming layer (Dense
/// columns, conv input channels; a Conv -> Flatten -> Dense consumer is [out, C, H*W] seen this
/// way). Every unit operation is written with these, so it applies to any layer kind.
extension Tensor {
    /// L2 norm of each slice along `axis` (accumulated in Double).
    public func sliceNorms(axis: Int) -> [Float] {
        let (l, n, r) = modeView(axis)
        var sums = [Double](repeating: 0, count: n)
        for li in 0..<l {
            for ni in 0..<n {
                let p = data + (li * n + ni) * r
                var s = 0.0
                for ri in 0..<r { s += Double(p[ri]) * Double(p[ri]) }
                sums[ni] += s
            }
        }
        return sums.map { Float($0.squareRoot()) }
    }

    /// Mean of each slice along `axis`, of the absolute values when `absolute`.
    public func sliceMeans(axis: Int, absolute: Bool) -> [Float] {
        let (l, n, r) = modeView(axis)
        var sums = [Double](repeating: 0, count: n)
        for li in 0..<l {
            for ni in 0..<n {
                let p = data + (li * n + ni) * r
                var s = 0.0
                for ri in 0..<r { s += absolute ? Double(abs(p[ri])) : Double(p[ri]) }
                sums[ni] += s
            }
        }
        return sums.map { Float($0 / Double(Swift.max(l * r, 1))) }
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
        for (i, source) in sources.enumerated() {
            guard let s = source else { continue }
            precondition(s >= 0 && s < n, "slice \(s) out of range 0..<\(n) along axis \(axis) of \(shape)")
            let scale = scales?[i] ?? 1
            for li in 0..<l {
                let src = data + (li * n + s) * r, dst = out.data + (li * k + i) * r
                if scale == 1 { dst.update(from: src, count: r) } else { for ri in 0..<r { dst[ri] = src[ri] * scale } }
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
