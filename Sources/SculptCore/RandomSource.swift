/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64), owned by the
/// caller: Sculpt has no global random state, so the same seed gives the same run.
public struct RandomSource: RandomNumberGenerator, Sendable, Equatable {
    // The four state words live in stored properties (not an array) so that `next()` and
    // `shuffle` inline into hot loops without bounds checks or copy-on-write checks.
    @usableFromInline var s0: UInt64
    @usableFromInline var s1: UInt64
    @usableFromInline var s2: UInt64
    @usableFromInline var s3: UInt64

    /// The generator's full state (four words); saving and restoring it resumes the exact sequence.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set {
            precondition(newValue.count == 4, "RandomSource state has 4 words, got \(newValue.count)")
            (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// A generator seeded with `seed`.
    public init(seed: UInt64) {
        var z = seed
        var s: [UInt64] = [0, 0, 0, 0]
        for i in 0..<4 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            s[i] = x ^ (x >> 31)
        }
        (s0, s1, s2, s3) = (s[0], s[1], s[2], s[3])
    }

    @inlinable @inline(__always)
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inlinable
    public mutating func unitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Float in [low, high).
    @inlinable
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
    @inlinable
    public mutating func index(below n: Int) -> Int {
        Int(next(upperBound: UInt64(n)))
    }

    /// Fisher-Yates shuffles `array` in place (inlinable so that callers get a loop
    /// specialized to their element type).
    @inlinable
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        array.withUnsafeMutableBufferPointer { a in
            for i in stride(from: a.count - 1, to: 0, by: -1) {
                let j = index(below: i + 1)
                if i != j { a.swapAt(i, j) }
            }
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

extension RandomSource: Codable {
    private enum CodingKeys: String, CodingKey { case state }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let words = try c.decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorruptedError(
                forKey: .state, in: c, debugDescription: "RandomSource state needs 4 words, got \(words.count)")
        }
        self.init(seed: 0)
        state = words
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
    }
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
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomSource) -> Tensor
    {
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
