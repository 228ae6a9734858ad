import SculptSurgery

/// W4 of the peer benchmarks: sgesdd of a 2048x2048 matrix, Tucker of a 2048^2 matrix at rank
/// [256, 256], partial Tucker of a 512x512x3x3 weight at ranks [64, 64]; plus the surgery
/// operations built on them (HOSVD, EigenRemove of a 2048 layer, WeakExpand of a 2048 layer).
/// The headline figure is `medianSeconds`; `iterations` counts HOOI sweeps where there are any.
public enum SVDBenchmark {
    /// Runs every W4 and surgery timing at `options.threads` threads, `options.repetitions` times each.
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        try SVDBenchmarks.all(repetitions: options.repetitions).map { timing in
            let seconds = timing.milliseconds.map { $0 / 1000 }
            var record = BenchmarkRecord(workload: "svd", model: timing.name, threads: options.threads,
                                         medianSeconds: median(seconds), timesSeconds: seconds)
            record.iterations = timing.iterations
            return record
        }
    }
}
