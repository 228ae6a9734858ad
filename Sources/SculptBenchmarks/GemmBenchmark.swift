import SculptCore

/// W5: single-precision matrix product n x n x n (n = 2048) through `BLAS.gemm` into a
/// preallocated output; GFLOP/s = 2 n^3 / median seconds.
public enum GemmBenchmark {
    /// Floating-point operations of one n x n x n product.
    public static func flops(size n: Int) -> Double { 2 * Double(n) * Double(n) * Double(n) }

    /// GFLOP/s of one n x n x n product that took `seconds`.
    public static func gflops(size n: Int, seconds: Double) -> Double { flops(size: n) / seconds / 1e9 }

    /// Times `timed` products C = A B of standard-normal n x n matrices after `warmup` untimed ones.
    public static func measure(size n: Int, warmup: Int, timed: Int) -> [Double] {
        precondition(
            n > 0 && timed > 0 && warmup >= 0, "gemm benchmark needs n > 0 and timed calls, got n \(n), \(timed) timed")
        var rng = RandomSource(seed: 0)
        let a = Tensor.normal([n, n], using: &rng), b = Tensor.normal([n, n], using: &rng)
        let c = Tensor(zeros: [n, n])
        func call() {
            // a, b and c are (n, n)
            BLAS.gemm(transA: false, transB: false, m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n,
                      beta: 0, c: c.data, ldc: n)
        }
        for _ in 0..<warmup { call() }
        var times: [Double] = []
        for _ in 0..<timed {
            let start = Clock.now()
            call()
            times.append(Clock.now() - start)
        }
        return times
    }

    /// Runs W5 at `options.threads` (the caller sets the BLAS threads).
    @Sendable
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        let n = options.gemmSize
        let times = measure(size: n, warmup: options.gemmWarmupCalls, timed: options.gemmTimedCalls)
        let med = median(times)
        var r = BenchmarkRecord(workload: "gemm", model: "sgemm_\(n)", threads: options.threads,
                                medianSeconds: med, timesSeconds: times)
        r.gflops = gflops(size: n, seconds: med)
        r.gflopsBest = gflops(size: n, seconds: times.min() ?? med)
        return [r]
    }
}
