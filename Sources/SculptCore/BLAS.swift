#if canImport(Accelerate)
import Accelerate
#else
import CLinearAlgebra
import CProcessSetup
#endif

/// Which BLAS library and kernels this process runs, for benchmark records and diagnostics.
public struct BLASKernels: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The library's own description ("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Cooperlake ...",
    /// "Accelerate").
    public var library: String
    /// The kernels in use ("Cooperlake", "Haswell", ...; "Accelerate" on macOS).
    public var core: String
    /// The kernels OpenBLAS picked by itself, where Sculpt replaced them (its "Prescott" fallback
    /// on a CPU newer than the library: Sources/CProcessSetup/kernels.c); nil otherwise.
    public var replacedCore: String?
    /// True when the environment named the kernels (OPENBLAS_CORETYPE), which Sculpt leaves alone.
    public var setByEnvironment: Bool
    /// The best of the kernels Sculpt would switch to that this CPU runs ("Cooperlake", "SkylakeX",
    /// "Haswell"), or nil (an older CPU, or not x86-64 Linux).
    public var bestForCPU: String?

    public var description: String {
        if let replacedCore {
            return "\(core) kernels (OpenBLAS picked \(replacedCore), its fallback for a CPU it does not know; "
                + "Sculpt chose \(core); OPENBLAS_CORETYPE overrides)"
        }
        return "\(core) kernels" + (setByEnvironment ? " (from OPENBLAS_CORETYPE)" : "")
    }
}

/// Matrix products and thread control through the platform BLAS (OpenBLAS on Linux,
/// Accelerate on macOS). All matrices are row-major.
public enum BLAS {
    /// Sets the number of BLAS threads (OpenBLAS) and of `Parallel` workers. One thread gives
    /// bitwise-reproducible runs.
    public static func setThreads(_ n: Int) {
        Parallel.threads = Swift.max(1, n)
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    /// Runs `body` with BLAS limited to one thread (for callers that run several BLAS calls
    /// side by side on their own threads), then restores the previous count.
    public static func singleThreaded<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(Accelerate)
        return try body()
        #else
        let n = openblas_get_num_threads()
        if n > 1 { openblas_set_num_threads(1) }
        defer { if n > 1 { openblas_set_num_threads(n) } }
        return try body()
        #endif
    }

    /// Runs `body` on blocks of 0..<count, one per `Parallel` worker with single-threaded BLAS,
    /// when the product is large (`work` about a million multiply-adds or more), else once on
    /// 0..<count on the calling thread, BLAS single-threaded too: OpenBLAS would thread products
    /// from 2^18 multiply-adds on and wake its idle thread to spin (see `axpy`). The caller gives
    /// each block its own part of the output (rows or columns), so nothing is shared.
    ///
    /// For networks without convolutions (W2's MLP) this split also beat handing the product whole
    /// to OpenBLAS's threads once the workers stopped being woken through Dispatch (`WorkerPool`):
    /// 1.25-1.38 against 1.27-1.40 s an epoch at two threads, ten alternations. Each block is its
    /// own call, so results agree with one call to rounding (W2's checkpoint at two threads has the
    /// same SHA-1 as at one on the Zen 4 and Xeon machines measured). Which dimension to split is the
    /// caller's choice: `denseProduct` (SculptNN) splits by output columns, not by samples.
    public static func forBlocks(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let workers = work >= 1 << 20 ? Swift.min(Parallel.threads, count) : 1
        singleThreaded {
            if workers <= 1 { body(0..<count); return }
            Parallel.forEach(workers: workers) { w in body(count * w / workers ..< count * (w + 1) / workers) }
        }
    }

    /// The library and kernels in use. On Linux, OpenBLAS picks its kernels when it loads; where
    /// it does not know the CPU and falls back to its SSE3 "Prescott" kernels (Debian 12's 0.3.21 on
    /// Intel's Emerald Rapids Xeons: a fifth of the CPU's sgemm speed), Sculpt switches it to the
    /// best kernels the CPU runs before `main` (Sources/CProcessSetup/kernels.c).
    public static var kernels: BLASKernels {
        #if canImport(Accelerate)
        return BLASKernels(library: "Accelerate", core: "Accelerate", replacedCore: nil, setByEnvironment: false,
                           bestForCPU: nil)
        #else
        let chosen = String(cString: sculpt_blas_chosen_core())
        let best = String(cString: sculpt_blas_cpu_best_core())
        return BLASKernels(
            library: String(cString: openblas_get_config()),
            core: String(cString: openblas_get_corename()),
            replacedCore: chosen.isEmpty ? nil : String(cString: sculpt_blas_detected_core()),
            setByEnvironment: sculpt_blas_core_set_by_environment() != 0,
            bestForCPU: best.isEmpty ? nil : best)
        #endif
    }

    /// The number of BLAS threads in use.
    public static var threads: Int {
        #if canImport(Accelerate)
        return 1
        #else
        return Int(openblas_get_num_threads())
        #endif
    }

    /// C = alpha * op(A) * op(B) + beta * C, row-major.
    /// op(A) is [m, k], op(B) is [k, n], C is [m, n]; lda/ldb/ldc are row strides of the stored matrices.
    /// With beta = 0, C is not read (as in BLAS).
    public static func gemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        var beta = beta
        if beta == 0 && m * n <= smallProductElements && m * n * k > smallMatrixKernelWork && m > 0 && n > 0 {
            // OpenBLAS clears a beta = 0 output one column-major column at a time (one memset per
            // row of a row-major C): for the small products of small networks that costs more than
            // the product. Clearing C here and accumulating with beta = 1 gives the same result.
            // Products of up to `smallMatrixKernelWork` multiply-adds keep beta = 0: OpenBLAS's
            // small-matrix kernels take them (Skylake-X / Cooper Lake), with a beta = 0 variant
            // that never reads C (Winograd's products: 0.69-0.87x the time of clearing here and
            // accumulating, `bench/gemm_beta0.c`).
            if ldc == n {
                c.update(repeating: 0, count: m * n)
            } else {
                for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
            }
            beta = 1
        }
        if m * n <= smallProductElements && productAsVectorOperation(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc) { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The lower triangle (row-major) of C = alpha * op(A) op(A)^T + beta * C, with op(A) [n, k]:
    /// A A^T when `transA` is false (A stored [n, k]), A^T A when true (A stored [k, n]).
    /// The upper triangle of C is not touched.
    @inline(__always)
    public static func syrkLower(transA: Bool, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                 beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_ssyrk(CblasRowMajor, CblasLower, transA ? CblasTrans : CblasNoTrans,
                    Int32(n), Int32(k), alpha, a, Int32(lda), beta, c, Int32(ldc))
    }

    /// Products with a single output column or row (n = 1 or m = 1) as one sgemv call:
    /// OpenBLAS's sgemm packs both operands first, which for the thin products of small networks
    /// (a layer with one unit) costs more than the product (about 3x the instructions). The k = 1
    /// outer product stays with sgemm: OpenBLAS's sger was slower still. Returns false when the
    /// shape is not one of these.
    private static func productAsVectorOperation(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> Bool {
        guard m > 0, n > 0, k > 0 else { return false }
        if n == 1 {
            // c (m, stride ldc) = alpha op(A) (m, k) x op(B) column (k) + beta c
            let incB = transB ? 1 : ldb
            if transA {  // A stored (k, m)
                cblas_sgemv(
                    CblasRowMajor, CblasTrans, Int32(k), Int32(m), alpha, a, Int32(lda), b, Int32(incB), beta, c,
                    Int32(ldc))
            } else {     // A stored (m, k)
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), alpha, a, Int32(lda), b, Int32(incB), beta, c,
                    Int32(ldc))
            }
            return true
        }
        if m == 1 {
            // c row (n) = alpha op(B)^T (n, k) x op(A) row (k) + beta c
            let incA = transA ? lda : 1
            if transB {  // B stored (n, k)
                cblas_sgemv(
                    CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb), a, Int32(incA), beta, c, 1)
            } else {     // B stored (k, n)
                cblas_sgemv(
                    CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb), a, Int32(incA), beta, c, 1)
            }
            return true
        }
        return false
    }

    /// Outputs up to this many elements are cleared before a beta = 0 product of more than
    /// `smallMatrixKernelWork` multiply-adds (see `gemm`).
    static let smallProductElements = 1 << 16
    /// OpenBLAS's bound for its small-matrix kernels on Skylake-X / Cooper Lake: m n k <= 100^3.
    static let smallMatrixKernelWork = 1_000_000

    /// y = alpha * x + y over `n` elements, on the calling thread. OpenBLAS would split an axpy
    /// of more than 10,000 elements over its threads; on two cores that gains nothing on a
    /// memory-bound loop, and each such call leaves OpenBLAS's idle thread spinning on
    /// `sched_yield` for about 2^28 cycles (its thread timeout), taking turns on the cores with
    /// the training's own workers: the per-worker gradient sums of every convolution's backward
    /// kept it spinning through the whole step (13.8% of W7's profile samples at 2 threads).
    /// Elementwise, so the result does not depend on the thread count.
    @inline(__always)
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        singleThreaded { cblas_saxpy(Int32(n), alpha, x, 1, y, 1) }
    }

    /// Dot product of two vectors of `n` elements.
    @inline(__always)
    public static func dot(n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        cblas_sdot(Int32(n), x, 1, y, 1)
    }
}

extension Tensor {
    /// The matrix product of two rank-2 tensors, with optional transposes: op(self) x op(other).
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank == 2 && other.rank == 2, "matmul needs rank-2 tensors, got \(shape) and \(other.shape)")
        let (m, k) = transposeSelf ? (shape[1], shape[0]) : (shape[0], shape[1])
        let (k2, n) = transposeOther ? (other.shape[1], other.shape[0]) : (other.shape[0], other.shape[1])
        precondition(
            k == k2,
            "matmul: inner dimensions differ: \(shape)\(transposeSelf ? "^T" : "") x \(other.shape)\(transposeOther ? "^T" : "")"
        )
        let c = Tensor(zeros: [m, n])
        if m > 0 && n > 0 && k > 0 {
            BLAS.gemm(transA: transposeSelf, transB: transposeOther, m: m, n: n, k: k,
                      a: data, lda: shape[1], b: other.data, ldb: other.shape[1], c: c.data, ldc: n)
        }
        return c
    }

    /// The transpose of a rank-2 tensor.
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed needs rank 2, got \(shape)")
        let (r, c) = (shape[0], shape[1])
        let t = Tensor(zeros: [c, r])
        for i in 0..<r { for j in 0..<c { t.data[j * r + i] = data[i * c + j] } }
        return t
    }
}
