/// Elementwise functions on SIMD vectors of floats, written once so that a value does not depend
/// on which path computed it (`Activation` layer by layer, or the fused small-network pass) nor on
/// which C library the machine has: glibc picks its `expf` by CPU (an FMA variant or not) and
/// Darwin has its own.
///
/// Each lane is computed on its own with the same IEEE operations whatever the vector width or
/// the lane's position, so a tensor cut into vectors at any offset (threads, tails padded with
/// zeros) gives the same values.
public enum VectorMath {
    /// The logistic sigmoid `1 / (1 + e^-x)` of each lane, computed in double and rounded once to
    /// float: at most 0.51 ulp from the exact value (`VectorMathTests` checks it against a double
    /// reference), where `1 / (1 + expf(-x))` in float rounds three times. Exactly 1 above about
    /// x = 17.3, as the exact value rounds; exactly 0 below about x = -87.34 where subnormal results
    /// are flushed (`Subnormals`, Sculpt's default), below about -104 where they are kept; NaN stays NaN.
    @inline(__always)
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: sigmoid(x.lowHalf), highHalf: sigmoid(x.highHalf))
    }

    /// `sigmoid` on eight lanes.
    @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let wide = SIMD8<Double>(x)
        let y = 1 / (1 + exp(-wide))
        return SIMD8<Float>(y).replacing(with: x, where: x .!= x)
    }

    /// `sigmoid` of one float: the lanes' computation, so it equals what a vector gives in any lane.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        sigmoid(SIMD8<Float>(repeating: x))[0]
    }

    /// `e^x` of each lane for the range float arguments need: |x| <= 110 is computed (exp(110)
    /// and exp(-110) are far outside float's range, so a float result saturates correctly);
    /// larger |x| is clamped to 110. NaN lanes give an unspecified number: callers map NaN.
    ///
    /// x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2 (Cody & Waite's two-part ln2,
    /// whose leading part times n is exact), e^r by its Taylor polynomial of degree 10 (remainder
    /// below 2^-41 relative, 4e-13, where a float needs 6e-8), times 2^n built in the exponent bits.
    @inline(__always)
    public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        // masks rather than `clamped(lowerBound:upperBound:)`, whose generic pointwiseMin / Max are calls
        let low = SIMD8<Double>(repeating: -110), high = SIMD8<Double>(repeating: 110)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // round(x / ln2) by adding 1.5 * 2^52: the sum's last mantissa bits hold n + 2^51 (ties to even, as the
        // default rounding mode rounds the sum), read back as an integer without a generic conversion
        let magic = SIMD8<Double>(repeating: 0x1.8p52)
        let shifted = clamped * SIMD8(repeating: 0x1.71547652b82fep0) + magic
        let n = shifted - magic
        let r = (clamped - n * SIMD8(repeating: 0x1.62e42fee00000p-1)) - n * SIMD8(repeating: 0x1.a39ef35793c76p-33)
        // Horner from the highest term: 1/10!, 1/9!, ..., 1/2!, 1, 1
        var p = SIMD8<Double>(repeating: 1.0 / 3_628_800)
        p = p * r + SIMD8(repeating: 1.0 / 362_880)
        p = p * r + SIMD8(repeating: 1.0 / 40_320)
        p = p * r + SIMD8(repeating: 1.0 / 5_040)
        p = p * r + SIMD8(repeating: 1.0 / 720)
        p = p * r + SIMD8(repeating: 1.0 / 120)
        p = p * r + SIMD8(repeating: 1.0 / 24)
        p = p * r + SIMD8(repeating: 1.0 / 6)
        p = p * r + SIMD8(repeating: 0.5)
        p = p * r + SIMD8(repeating: 1)
        p = p * r + SIMD8(repeating: 1)
        // 2^n for n in [-159, 159]: the biased exponent n + 1023 in bits 52...62
        let integer = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- unsafeBitCast(magic, to: SIMD8<Int64>.self)
        let exponent = (integer &+ 1023) &<< 52
        return p * unsafeBitCast(exponent, to: SIMD8<Double>.self)
    }
}
