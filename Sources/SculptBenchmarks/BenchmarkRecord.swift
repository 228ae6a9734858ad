/// One measured figure of a benchmark workload, as `sculpt bench --json` prints it.
///
/// Exactly one of `epochsPerSecond`, `secondsPerEpoch` and `gflops` is the headline figure;
/// the other fields say how it was measured. Absent fields are left out of the JSON.
public struct BenchmarkRecord: Codable, Sendable, Equatable {
    /// The workload's name ("painting", "gemm").
    public var workload: String
    /// The model or operation measured ("relu3_linear9", "sgemm_2048").
    public var model: String
    /// BLAS threads in use.
    public var threads: Int
    /// Training epochs per second (median repetition).
    public var epochsPerSecond: Double?
    /// Seconds per training epoch (median repetition).
    public var secondsPerEpoch: Double?
    /// Billions of floating-point operations per second (median call).
    public var gflops: Double?
    /// The median timed repetition, in seconds.
    public var medianSeconds: Double
    /// Every timed repetition, in seconds.
    public var timesSeconds: [Double]
    /// Epochs per timed repetition (training workloads).
    public var epochs: Int?
    /// Optimizer steps per epoch (training workloads).
    public var stepsPerEpoch: Int?
    /// Microseconds per optimizer step in the median repetition (training workloads).
    public var stepMicroseconds: Double?
    /// Loss on the whole training set after the first timed repetition (a sanity value).
    public var finalFullMSE: Double?
    /// The optimizer used (training workloads).
    public var optimizer: String?
    /// The best call's GFLOP/s (gemm).
    public var gflopsBest: Double?
    /// Iterations of an iterative decomposition (HOOI sweeps of the Tucker workloads).
    public var iterations: Int?

    /// A record with the timing fields; set the workload-specific ones afterwards.
    public init(workload: String, model: String, threads: Int, medianSeconds: Double, timesSeconds: [Double]) {
        self.workload = workload
        self.model = model
        self.threads = threads
        self.medianSeconds = medianSeconds
        self.timesSeconds = timesSeconds
    }
}

/// The median of `values` (the mean of the middle two for an even count); 0 when empty.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted()
    let mid = s.count / 2
    return s.count % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
