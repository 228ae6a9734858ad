/// A dense, contiguous, row-major Float32 tensor.
///
/// `Tensor` is a reference type, as in PyTorch and MLX: layers own their activation and
/// gradient buffers and hand out references to them, so the hot loop allocates nothing after
/// the first batch of a given size. Call `copy()` for an independent tensor.
///
/// The stored properties are `@exclusivity(unchecked)` and other modules read them through
/// getters: they are read on every layer call, and the runtime exclusivity check that a
/// direct cross-module field access gets (the attribute does not reach it) costs more than the
/// read. `count` and `data` are inlinable getters of `private(set)` fields (read only, so no
/// exclusivity check is emitted: the binary's `swift_beginAccess` calls stay the same), which
/// saves a call per read on W1's small steps. `shape` returns an array, a retain and a release
/// per read: hot loops ask `dimension(_:)` or `isMatrix(rows:columns:)` instead. A tensor's shape
/// is never modified while it is being read.
public final class Tensor: @unchecked Sendable {
    @exclusivity(unchecked) private var storedShape: [Int]
    @usableFromInline @exclusivity(unchecked) internal private(set) var storedCount: Int
    @usableFromInline @exclusivity(unchecked) internal private(set) var storedData: UnsafeMutablePointer<Float>
    /// Capacity of `data` in elements (>= count); lets `resize` reuse storage.
    @exclusivity(unchecked) private var capacity: Int

    /// The extent of each dimension; `[]` is a scalar.
    public var shape: [Int] { storedShape }
    /// The number of elements (product of `shape`).
    @inlinable public var count: Int { storedCount }
    /// The elements, row-major.
    @inlinable public var data: UnsafeMutablePointer<Float> { storedData }

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.storedShape = shape
        self.storedCount = shape.reduce(1, *)
        self.capacity = Swift.max(storedCount, 1)
        self.storedData = CacheLine.allocate(Float.self, capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int]) {
        self.init(zeros: shape)
        data.update(repeating: value, count: count)
    }

    /// A tensor holding `scalars` in the given shape.
    public convenience init(_ scalars: [Float], shape: [Int]) {
        self.init(zeros: shape)
        precondition(scalars.count == count, "\(scalars.count) scalars do not fill shape \(shape)")
        scalars.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A one-dimensional tensor holding `scalars`.
    public convenience init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    deinit { data.deallocate() }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(buffer) }

    /// The elements as a buffer (valid while the tensor is alive and not resized).
    public var buffer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }

    /// An independent copy.
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Copies the elements of `other` (same element count) into this tensor.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }

    /// Changes the shape in place. Storage is reused when large enough; contents are
    /// unspecified afterwards unless the element count is unchanged.
    public func resize(_ newShape: [Int]) {
        if newShape == shape { return }
        let n = newShape.reduce(1, *)
        reserve(n)
        storedShape = newShape
        storedCount = n
    }

    /// Resizes to the matrix `[rows, columns]`, allocating nothing when the shape is unchanged
    /// (the per-step call in layers' hot loops).
    public func resize(rows: Int, columns: Int) {
        if isMatrix(rows: rows, columns: columns) { return }
        resize([rows, columns])
    }

    /// The extent of dimension `axis` (`shape[axis]` without copying the shape, which costs a retain and a release).
    public func dimension(_ axis: Int) -> Int { storedShape[axis] }

    /// True when the shape is `[rows, columns]` (without copying the shape, as `shape == [rows, columns]` would).
    public func isMatrix(rows: Int, columns: Int) -> Bool {
        storedShape.count == 2 && storedShape[0] == rows && storedShape[1] == columns
    }

    /// Resizes to `template`'s shape, allocating nothing when the shape is unchanged.
    public func resize(like template: Tensor) {
        if storedShape == template.storedShape { return }
        resize(template.storedShape)
    }

    /// Resizes to `[rows] + template.shape.dropFirst()` (a batch of `template`'s rows), allocating
    /// nothing when the shape is unchanged.
    public func resize(rows: Int, rowShapeOf template: Tensor) {
        let t = template.shape
        precondition(!t.isEmpty, "resize(rows:rowShapeOf:) needs a template of rank >= 1")
        if shape.count == t.count && shape[0] == rows && shape.dropFirst() == t.dropFirst() { return }
        resize([rows] + t.dropFirst())
    }

    /// Makes room for `n` elements (contents are unspecified afterwards if storage grows).
    private func reserve(_ n: Int) {
        if n > capacity {
            data.deallocate()
            capacity = n
            storedData = CacheLine.allocate(Float.self, capacity: n)
            data.initialize(repeating: 0, count: n)
        }
    }

    /// The same elements viewed in another shape (a copy; shapes must hold the same count).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        let t = copy()
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape)")
        t.storedShape = newShape
        return t
    }

    /// Sets every element to `value` (split over the `Parallel` workers for large tensors, such
    /// as the gradients cleared before every training step).
    public func fill(_ value: Float) {
        let d = data
        Parallel.forRanges(count: count, minimumCount: 1 << 16) { range in
            (d + range.lowerBound).update(repeating: value, count: range.count)
        }
    }

    /// Element access by flat index.
    public subscript(flat i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// Element access by multi-index.
    public subscript(_ index: Int...) -> Float {
        get { data[offset(index)] }
        set { data[offset(index)] = newValue }
    }

    @inline(__always)
    func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) for shape \(shape)")
        var o = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            o = o * n + i
        }
        return o
    }

    /// Size of one row when the tensor is seen as `[shape[0], rest]`.
    public var rowStride: Int { shape.isEmpty ? 1 : (shape[0] == 0 ? 0 : count / shape[0]) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}

extension Tensor: Equatable {
    /// Bitwise equality of shape and elements.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.shape == b.shape && memcmp(a.data, b.data, a.count * MemoryLayout<Float>.size) == 0
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
