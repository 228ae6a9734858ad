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

    /// The sum of `(x[i] - center)^2` over `count` floats, with two 8-wide accumulators.
    @inline(__always)
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int, around center: Float) -> Float {
        let raw = UnsafeRawPointer(x), c = SIMD8<Float>(repeating: center)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            let d0 = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - c
            let d1 = raw.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self) - c
            a0 += d0 * d0
            a1 += d1 * d1
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < n { let d = x[i] - center; total += d * d; i += 1 }
        return total
    }

    /// The sum of `a[i] * b[i]` over `count` floats, with two 8-wide accumulators.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= n {
            a0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            a1 += ra.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 8) * 4, as: SIMD8<Float>.self)
            i += 16
        }
        var total = (a0 + a1).sum()
        while i < n { total += a[i] * b[i]; i += 1 }
        return total
    }
}
