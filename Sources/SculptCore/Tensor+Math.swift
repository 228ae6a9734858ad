/// Elementwise arithmetic and reductions. Hot loops inside layers use raw pointers; these are
/// for analysis, tests and one-off work.
extension Tensor {
    /// Applies `f` to each element, returning a new tensor.
    public func map(_ f: (Float) -> Float) -> Tensor {
        let t = Tensor(zeros: shape)
        for i in 0..<count { t.data[i] = f(data[i]) }
        return t
    }

    /// Combines two same-shaped tensors elementwise.
    public func zipWith(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "elementwise op on \(shape) and \(other.shape)")
        let t = Tensor(zeros: shape)
        for i in 0..<count { t.data[i] = f(data[i], other.data[i]) }
        return t
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, +) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, -) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { a.zipWith(b, *) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.map { $0 * s } }

    /// Sum of all elements, accumulated in Double.
    public func sum() -> Float {
        var s = 0.0
        for i in 0..<count { s += Double(data[i]) }
        return Float(s)
    }

    /// Mean of all elements.
    public func mean() -> Float { count == 0 ? 0 : Float(Double(sum()) / Double(count)) }

    /// Largest element.
    public func max() -> Float { buffer.max() ?? -.infinity }

    /// Smallest element.
    public func min() -> Float { buffer.min() ?? .infinity }

    /// Largest absolute difference to `other` (same count).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(count == other.count, "compare \(shape) with \(other.shape)")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(data[i] - other.data[i])) }
        return m
    }

    /// Sum of squares, accumulated in Double.
    public func squaredNorm() -> Float {
        var s = 0.0
        for i in 0..<count { s += Double(data[i]) * Double(data[i]) }
        return Float(s)
    }

    /// True when every element is finite.
    public var isFinite: Bool {
        for i in 0..<count where !data[i].isFinite { return false }
        return true
    }

    /// Row `i` of a tensor seen as `[shape[0], rest]` (a copy).
    public func row(_ i: Int) -> Tensor {
        let n = rowStride
        let t = Tensor(zeros: Array(shape.dropFirst()))
        t.data.update(from: data + i * n, count: n)
        return t
    }

    /// The rows at `indices` (a copy), keeping the trailing dimensions.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let n = rowStride
        let t = Tensor(zeros: [indices.count] + shape.dropFirst())
        for (r, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[0], "row \(i) out of range 0..<\(shape[0])")
            (t.data + r * n).update(from: data + i * n, count: n)
        }
        return t
    }
}
