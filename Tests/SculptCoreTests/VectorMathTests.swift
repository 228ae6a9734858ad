import Foundation
import Testing
@testable import SculptCore

/// `VectorMath` against double-precision references.
@Suite struct VectorMathTests {
    /// The sigmoid's error in units of the float result's last place, from a double reference.
    private static func ulpError(_ y: Float, at x: Float) -> Double {
        let exact = 1 / (1 + Foundation.exp(-Double(x)))
        // Rounded on this thread: 0 below 2^-150, and wherever the rounded value would be subnormal
        // when subnormals are flushed (`Subnormals`); the sigmoid must then be 0 as well.
        let rounded = Float(exact)
        if rounded == 0 { return y == 0 ? 0 : .infinity }
        // At the boundary the sigmoid's double may fall just below 2^-126 where the reference
        // rounds up to it: flushed, 0 is then as right as 2^-126.
        if Subnormals.flushedOnThisThread && y == 0 && exact < Double(Float.leastNormalMagnitude) * (1 + 0x1p-23) {
            return 0
        }
        // the ulp in double: near 2^-126 a float's ulp is subnormal, which flush-to-zero would make 0
        return abs(Double(y) - exact) / (Double(rounded.nextUp) - Double(rounded))
    }

    @Test("the sigmoid is within 0.51 ulp of the exact value from -110 to 30 (2 million points)")
    func sigmoidAccuracy() {
        let count = 2_000_000, low: Float = -110, high: Float = 30
        var worst = 0.0, worstX: Float = 0
        var i = 0
        while i < count {
            var x = SIMD16<Float>()
            for l in 0..<16 { x[l] = low + (high - low) * Float(i + l) / Float(count) }
            let y = VectorMath.sigmoid(x)
            for l in 0..<16 {
                let e = Self.ulpError(y[l], at: x[l])
                if e > worst { worst = e; worstX = x[l] }
            }
            i += 16
        }
        #expect(worst <= 0.51, "worst \(worst) ulp at x = \(worstX)")
    }

    @Test("the sigmoid near 0, where it changes fastest in relative terms, and on random floats")
    func sigmoidAccuracyNearZeroAndRandom() {
        var rng = RandomSource(seed: 5)
        var worst = 0.0
        for k in 0..<20_000 {
            var x = SIMD16<Float>()
            for l in 0..<16 {
                // half near 0 (down to 1e-30), half over the whole useful range
                x[l] = k % 2 == 0
                    ? Float(sign: rng.next() & 1 == 0 ? .plus : .minus, exponent: -Int(rng.index(below: 100)),
                            significand: 1 + Float(rng.index(below: 1 << 20)) / Float(1 << 20))
                    : Float(rng.index(below: 1 << 24)) / Float(1 << 24) * 220 - 110
            }
            let y = VectorMath.sigmoid(x)
            for l in 0..<16 { worst = max(worst, Self.ulpError(y[l], at: x[l])) }
        }
        #expect(worst <= 0.51, "worst \(worst) ulp")
    }

    @Test("the sigmoid's special values: 0 -> 1/2, saturation to exactly 0 and 1, infinities, NaN")
    func sigmoidSpecialValues() {
        let x = SIMD16<Float>(0, -0.0, 200, -200, .infinity, -.infinity, .nan, 17.5, -104.5, -103, Float(bitPattern: 0x0001_1CE2), 88.8,
                              -88.8, Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, 1)
        let y = VectorMath.sigmoid(x)
        #expect(y[0] == 0.5 && y[1] == 0.5)
        #expect(y[2] == 1 && y[3] == 0)
        #expect(y[4] == 1 && y[5] == 0)
        #expect(y[6].isNaN)
        #expect(y[7] == 1)  // sigmoid(17.5) = 1 - 2.5e-8 rounds to 1
        #expect(y[8] == 0)  // below 2^-150: rounds to 0
        if Subnormals.flushedOnThisThread {
            #expect(y[9] == 0 && y[12] == 0)  // exact values 1.5e-45 and 2.8e-39: subnormal, flushed
        } else {
            #expect(y[9] > 0 && y[9] < Float.leastNormalMagnitude)  // subnormal
            #expect(y[12] > 0 && y[12] < 1e-38)
        }
        #expect(y[10] == 0.5)  // a subnormal x
        #expect(y[11] == 1)
        #expect(y[13] == 1 && y[14] == 0)
        #expect(y[15] == Float(1 / (1 + Foundation.exp(-1.0))))
    }

    @Test("the sigmoid's bits are pinned: the same numbers on every machine and C library")
    func sigmoidPinnedBits() {
        let x = SIMD8<Float>(0.1, -3, 7.25, -0.6931472, 12.5, -20, 1e-3, -87.5)
        let y = VectorMath.sigmoid(x)
        // each the exact sigmoid rounded to float (checked with 50-digit decimal arithmetic)
        // (the last, 9.98e-39, is subnormal: 0 where subnormals are flushed)
        let pinned: [UInt32] = [0x3f06_6509, 0x3d42_41a2, 0x3f7f_d17e, 0x3eaa_aaab, 0x3f7f_ffc1, 0x310d_a433, 0x3f00_1062,
                                Subnormals.flushedOnThisThread ? 0 : 0x006c_b2bc]
        #expect((0..<8).map { y[$0].bitPattern } == pinned)
    }

    @Test("a lane's value does not depend on its position, the vector width or its neighbours")
    func sigmoidLaneIndependence() {
        var rng = RandomSource(seed: 8)
        for _ in 0..<200 {
            var x = SIMD16<Float>()
            for l in 0..<16 { x[l] = Float(rng.index(below: 1 << 20)) / Float(1 << 20) * 40 - 20 }
            let wide = VectorMath.sigmoid(x), low = VectorMath.sigmoid(x.lowHalf)
            for l in 0..<16 {
                #expect(wide[l].bitPattern == VectorMath.sigmoid(x[l]).bitPattern)
                if l < 8 { #expect(low[l].bitPattern == wide[l].bitPattern) }
            }
        }
    }

    @Test("exp in double is within 4e-13 relative of Foundation's from -110 to 110 (its Taylor remainder; float results need 6e-8)")
    func doubleExpAccuracy() {
        var worst = 0.0
        var x = -110.0
        while x <= 109.9 {  // every lane within the computed range
            var v = SIMD8<Double>()
            for l in 0..<8 { v[l] = x + Double(l) * 0.0013 }
            let y = VectorMath.exp(v)
            for l in 0..<8 {
                let exact = Foundation.exp(v[l])
                worst = max(worst, abs(y[l] - exact) / exact)
            }
            x += 0.0137
        }
        #expect(worst < 4e-13, "worst relative error \(worst)")
    }
}
