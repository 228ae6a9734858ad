/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), owned by the
/// caller: Sculpt has no global random state, so the same seed gives the same run.
public struct RandomSource: RandomNumberGenerator, Sendable, Codable, Equatable {
    /// The generator's full state; saving and restoring it resumes the exact sequence.
    public var state: [UInt64]

    /// A generator seeded with `seed`.
    public init(seed: UInt64) {
        var z = seed
        var s = [UInt64](repeating: 0, count: 4)
        for i in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            s[i] = x ^ (x >> 31)
        }
        state = s
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = Self.rotl(state[3], 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func unitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Float in [low, high).
    @inline(__always)
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * unitFloat()
    }

    /// A normal sample (Box-Muller, computed in Double).
    public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)  // (0, 1]
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
        return mean + std * Float(z)
    }

    /// A uniform integer in 0..<n.
    public mutating func index(below n: Int) -> Int {
        Int(next(upperBound: UInt64(n)))
    }

    /// Fisher-Yates shuffles `array` in place. Inlinable so callers in other modules get it
    /// specialized: unspecialized, `swapAt` went through generic metadata on every element and
    /// the per-epoch shuffle of the painting pixels took a third of a training epoch.
    @inlinable
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = index(below: i + 1)
            if i != j { array.swapAt(i, j) }
        }
    }

    /// A random permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// A generator derived from this one's seed stream (for independent sub-streams).
    public mutating func split() -> RandomSource { RandomSource(seed: next()) }
}

extension Tensor {
    /// Fills with uniform samples in [low, high).
    public func fillUniform(_ low: Float, _ high: Float, using rng: inout RandomSource) {
        for i in 0..<count { data[i] = rng.uniform(low, high) }
    }

    /// Fills with normal samples.
    public func fillNormal(mean: Float = 0, std: Float = 1, using rng: inout RandomSource) {
        for i in 0..<count { data[i] = rng.normal(mean: mean, std: std) }
    }

    /// A tensor of uniform samples in [low, high).
    public static func uniform(_ shape: [Int], _ low: Float, _ high: Float, using rng: inout RandomSource) -> Tensor {
        let t = Tensor(zeros: shape)
        t.fillUniform(low, high, using: &rng)
        return t
    }

    /// A tensor of normal samples.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomSource) -> Tensor {
        let t = Tensor(zeros: shape)
        t.fillNormal(mean: mean, std: std, using: &rng)
        return t
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
