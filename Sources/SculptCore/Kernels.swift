/// Small vectorized kernels for hot loops.
public enum Kernels {
    /// The sum of `count` floats, with eight independent SIMD accumulators (a plain `+=` loop
    /// is one serial dependency chain, about 8x slower).
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        let raw = UnsafeRawPointer(x)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            a0 += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += raw.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < n { total += x[i]; i += 1 }
        return total
    }
}
