import SculptCore
import SculptNN
import SculptSurgery

/// One timed workload: wall-clock milliseconds of each repetition and their median.
public struct BenchmarkTiming: Codable, Equatable, Sendable {
    /// What ran, e.g. "sgesdd 2048 f32".
    public var name: String
    /// Each timed repetition, in milliseconds.
    public var milliseconds: [Double]
    /// The median of `milliseconds`.
    public var medianMilliseconds: Double
    /// HOOI sweeps done (Tucker workloads), nil otherwise.
    public var iterations: Int?
}

/// W4 of the peer benchmarks (defined in the repository's `bench/README.md`) and the surgery timing targets:
/// float32 2048x2048 standard-normal SVD, Tucker of that matrix with ranks [256, 256], partial
/// Tucker of a 512x512x3x3 tensor over modes [0, 1] with ranks [64, 64] (both HOOI with tensorly's
/// defaults: SVD init, at most 100 sweeps, tolerance 1e-4), plus EigenRemove, HOSVD and WeakExpand.
/// Each workload warms up once on a 256-sized (or 64-sized) input, then times `repetitions` calls.
/// Set the BLAS thread count (`BLAS.setThreads`) before calling.
public enum SVDBenchmarks {
    /// `sgesdd` (thin, with vectors) of a size x size matrix.
    public static func sgesdd(size: Int = 2048, repetitions: Int = 3, seed: UInt64 = 0) throws -> BenchmarkTiming {
        let a = gaussian([size, size], seed: seed), small = gaussian([256, 256], seed: seed)
        return try time("sgesdd \(size) f32", repetitions: repetitions, warmUp: { _ = try small.svd() }) {
            _ = try a.svd(); return nil
        }
    }

    /// Tucker (HOOI over both modes) of a size x size matrix with ranks [rank, rank], as tensorly's `tucker`.
    public static func tucker(size: Int = 2048, rank: Int = 256, repetitions: Int = 3, seed: UInt64 = 0,
                              method: SubspaceMethod = .gram) throws -> BenchmarkTiming {
        let a = gaussian([size, size], seed: seed), small = gaussian([256, 256], seed: seed)
        return try time("tucker \(size)^2 rank [\(rank), \(rank)]", repetitions: repetitions,
                        warmUp: { _ = try Tucker.hooi(small, modes: [0, 1], ranks: [32, 32], method: method) }) {
            try Tucker.hooi(a, modes: [0, 1], ranks: [rank, rank], method: method).iterations
        }
    }

    /// Partial Tucker (HOOI over modes 0 and 1) of a channels x channels x 3 x 3 conv weight, as
    /// tensorly's `partial_tucker`.
    public static func partialTucker(channels: Int = 512, rank: Int = 64, repetitions: Int = 3, seed: UInt64 = 0,
                                     method: SubspaceMethod = .gram) throws -> BenchmarkTiming {
        let w = gaussian([channels, channels, 3, 3], seed: seed), small = gaussian([64, 64, 3, 3], seed: seed)
        return try time("partial tucker \(channels)x\(channels)x3x3 ranks [\(rank), \(rank)]", repetitions: repetitions,
                        warmUp: { _ = try Tucker.hooi(small, modes: [0, 1], ranks: [8, 8], method: method) }) {
            try Tucker.hooi(w, modes: [0, 1], ranks: [rank, rank], method: method).iterations
        }
    }

    /// Truncated HOSVD (one pass, no iterations) of a channels x channels x 3 x 3 conv weight.
    public static func hosvd(
        channels: Int = 512, rank: Int = 64, repetitions: Int = 3, seed: UInt64 = 0
    ) throws -> BenchmarkTiming {
        let w = gaussian([channels, channels, 3, 3], seed: seed), small = gaussian([64, 64, 3, 3], seed: seed)
        return try time("hosvd \(channels)x\(channels)x3x3 ranks [\(rank), \(rank)]", repetitions: repetitions,
                        warmUp: { _ = try Tucker.hosvd(small, modes: [0, 1], ranks: [8, 8]) }) {
            _ = try Tucker.hosvd(w, modes: [0, 1], ranks: [rank, rank]).reconstruct()
            return nil
        }
    }

    /// EigenRemove on the hidden layer of a width-width-width tanh network (PyTorch init), from
    /// `width` to `target` units with `rankRatio`: both weight reductions, selection and slicing.
    public static func eigenRemove(
        width: Int = 2048, target: Int = 1844, rankRatio: Double = 0.25, repetitions: Int = 3,
                                   seed: UInt64 = 0) throws -> BenchmarkTiming {
        let small = try network(width: 256, seed: seed)
        try small.eigenRemove(layer: 0, to: 230, rankRatio: rankRatio)
        let nets = try (0..<repetitions).map { _ in try network(width: width, seed: seed) }
        var i = 0
        return try time(
            "eigenremove \(width) -> \(target) rank ratio \(rankRatio)", repetitions: repetitions, warmUp: {}
        ) {
            try nets[i].eigenRemove(layer: 0, to: target, rankRatio: rankRatio)
            i += 1
            return nil
        }
    }

    /// WeakExpand of the hidden layer of a width-width-width network to `target` units.
    public static func weakExpand(
        width: Int = 2048, target: Int = 2252, repetitions: Int = 3, seed: UInt64 = 0
    ) throws -> BenchmarkTiming {
        let small = try network(width: 256, seed: seed)
        try small.weakExpand(layer: 0, to: 300)
        let nets = try (0..<repetitions).map { _ in try network(width: width, seed: seed) }
        var i = 0
        return try time("weakexpand \(width) -> \(target)", repetitions: repetitions, warmUp: {}) {
            try nets[i].weakExpand(layer: 0, to: target)
            i += 1
            return nil
        }
    }

    /// Every workload above with its defaults.
    public static func all(repetitions: Int = 3) throws -> [BenchmarkTiming] {
        [
            try sgesdd(repetitions: repetitions), try tucker(repetitions: repetitions),
            try partialTucker(repetitions: repetitions),
            try hosvd(repetitions: repetitions), try eigenRemove(repetitions: repetitions),
            try weakExpand(repetitions: repetitions),
        ]
    }

    static func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomSource(seed: seed)
        return Tensor.normal(shape, using: &rng)
    }

    static func network(width: Int, seed: UInt64) throws -> Network {
        var rng = RandomSource(seed: seed)
        return try Network(Architecture(inputShape: [width], layers: [
            .dense(inputs: width, outputs: width, bias: true), .activation(.tanh),
            .dense(inputs: width, outputs: width, bias: true), .activation(.tanh),
        ]), rng: &rng)
    }

    static func time(_ name: String, repetitions: Int, warmUp: () throws -> Void,
                     _ body: () throws -> Int?) throws -> BenchmarkTiming {
        try warmUp()
        var ms: [Double] = []
        var iterations: Int? = nil
        for _ in 0..<repetitions {
            let start = Clock.now()
            iterations = try body()
            ms.append((Clock.now() - start) * 1000)
        }
        let sorted = ms.sorted()
        return BenchmarkTiming(
            name: name, milliseconds: ms, medianMilliseconds: sorted[sorted.count / 2], iterations: iterations)
    }
}
