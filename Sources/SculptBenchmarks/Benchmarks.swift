import SculptCore
import SculptData
import SculptNN

/// How a benchmark run is configured; defaults follow the workload definitions in
/// `bench/README.md` (the PyTorch side is `bench/torch_reference.py`).
public struct BenchmarkOptions: Sendable {
    /// BLAS threads (set with `BLAS.setThreads` before the workload runs).
    public var threads: Int
    /// Timed repetitions; the median is reported.
    public var repetitions: Int
    /// W1: epochs per timed repetition.
    public var paintingEpochs: Int
    /// W1: untimed warm-up epochs (one throw-away model) before the timed repetitions.
    public var paintingWarmupEpochs: Int
    /// W5: matrix side n of the n x n x n product.
    public var gemmSize: Int
    /// W5: untimed warm-up calls.
    public var gemmWarmupCalls: Int
    /// W5: timed calls; the median is reported.
    public var gemmTimedCalls: Int
    /// W2, W3: the Fashion-MNIST folder (MNIST layout).
    public var fashionMNISTDirectory: String
    /// W2, W3: untimed warm-up batches on a throw-away model.
    public var warmupBatches: Int
    /// W3: batches per timed repetition (extrapolated to an epoch).
    public var cnnTimedBatches: Int
    /// W3: also time one real epoch from a fresh model, and its test accuracy, at the largest thread count.
    public var cnnFullEpoch: Bool
    /// W3, W7 and `--profile`: how every convolution computes its forward pass and input gradient.
    public var convolutionAlgorithm = Conv2D.Algorithm.automatic
    /// The largest thread count of the run (`Benchmarks.run` sets it); nil: this one.
    public var largestThreadCount: Int?

    public init(threads: Int = 1, repetitions: Int = 3, paintingEpochs: Int = 100, paintingWarmupEpochs: Int = 5,
                gemmSize: Int = 2048, gemmWarmupCalls: Int = 3, gemmTimedCalls: Int = 10,
                fashionMNISTDirectory: String = MNISTFormat.fashionMNISTDirectory, warmupBatches: Int = 20,
                cnnTimedBatches: Int = 100, cnnFullEpoch: Bool = true) {
        self.threads = threads
        self.repetitions = repetitions
        self.paintingEpochs = paintingEpochs
        self.paintingWarmupEpochs = paintingWarmupEpochs
        self.gemmSize = gemmSize
        self.gemmWarmupCalls = gemmWarmupCalls
        self.gemmTimedCalls = gemmTimedCalls
        self.fashionMNISTDirectory = fashionMNISTDirectory
        self.warmupBatches = warmupBatches
        self.cnnTimedBatches = cnnTimedBatches
        self.cnnFullEpoch = cnnFullEpoch
    }
}

/// A named benchmark workload: a function from options to measured records.
public struct BenchmarkWorkload: Sendable {
    /// The name used on the command line and in the records ("painting").
    public let name: String
    /// A one-line description.
    public let summary: String
    /// Runs the workload at `options.threads` BLAS threads.
    public let run: @Sendable (BenchmarkOptions) throws -> [BenchmarkRecord]

    public init(name: String, summary: String, run: @escaping @Sendable (BenchmarkOptions) throws -> [BenchmarkRecord])
    {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// The benchmark workloads Sculpt knows, in the order `sculpt bench` runs them.
public enum Benchmarks {
    /// Every workload; add a new one here (a function returning records, plus this line).
    public static let all: [BenchmarkWorkload] = [
        BenchmarkWorkload(name: "painting", summary: "W1: image painting, 64x64 square, Adam, epochs/s",
                          run: PaintingBenchmark.run),
        BenchmarkWorkload(name: "mlp", summary: "W2: Fashion-MNIST MLP 784-512-512-10, SGD, s/epoch and test accuracy",
                          run: MLPBenchmark.run),
        BenchmarkWorkload(
            name: "cnn", summary: "W3: Fashion-MNIST cnn-small, SGD, s/epoch from 100 batches, one real epoch",
                          run: CNNBenchmark.run),
        BenchmarkWorkload(
            name: "svd",
            summary:
                "W4: sgesdd 2048, Tucker 2048^2 rank 256, partial Tucker 512x512x3x3 rank 64; EigenRemove, WeakExpand",
                          run: SVDBenchmark.run),
        BenchmarkWorkload(name: "gemm", summary: "W5: sgemm 2048^3 into a preallocated output, GFLOP/s",
                          run: GemmBenchmark.run),
        BenchmarkWorkload(name: "vgg",
                          summary: "W7: Fashion-MNIST VGG16 x0.25 with BatchNorm, SGD, s/epoch from 100 batches",
                          run: VGGBenchmark.run),
        BenchmarkWorkload(
            name: "analysis", summary: "W6: spectra (ESD, alpha, MP edge) of every VGG16 x1 layer, CIFAR shape, s",
                          run: AnalysisBenchmark.run),
    ]

    /// The model of the classifier workload `name` (mlp W2, cnn W3, vgg W7), for `--profile`; nil
    /// for the others.
    public static func classifierArchitecture(named name: String) throws -> Architecture? {
        switch name {
        case "mlp": return try MLPBenchmark.architecture()
        case "cnn": return try CNNBenchmark.architecture()
        case "vgg": return try VGGBenchmark.architecture()
        default: return nil
        }
    }

    /// The workload called `name`, or nil.
    public static func workload(named name: String) -> BenchmarkWorkload? { all.first { $0.name == name } }

    /// Runs `workload` at each thread count, setting the BLAS threads first and restoring them after.
    public static func run(
        _ workload: BenchmarkWorkload, threads: [Int], options: BenchmarkOptions
    ) throws -> [BenchmarkRecord] {
        let saved = BLAS.threads
        defer { BLAS.setThreads(saved) }
        var records: [BenchmarkRecord] = []
        for t in threads {
            var o = options
            o.threads = t
            o.largestThreadCount = threads.max()
            BLAS.setThreads(t)
            records += try workload.run(o)
        }
        return records
    }
}
