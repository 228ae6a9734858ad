import Testing
@testable import SculptCore

/// OpenBLAS's kernels: where OpenBLAS does not know the CPU it falls back to its SSE3 "Prescott"
/// kernels, and Sculpt switches it to the best kernels the CPU runs before `main`
/// (Sources/CProcessSetup/kernels.c).
@Suite struct BLASKernelsTests {
    @Test("OpenBLAS never runs its Prescott fallback on a CPU with AVX2 unless the environment asks for it")
    func noPrescottFallbackOnAVX2() {
        let k = BLAS.kernels
        #if os(Linux) && arch(x86_64)
        #expect(k.library.hasPrefix("OpenBLAS"), "\(k.library)")
        guard let best = k.bestForCPU, !k.setByEnvironment else { return }
        #expect(k.core.lowercased() != "prescott", "\(k)")
        if let replaced = k.replacedCore {
            // Replaced only where OpenBLAS fell back, and then by the best core this CPU runs.
            #expect(replaced.lowercased() == "prescott")
            #expect(k.core.lowercased() == best.lowercased(), "\(k)")
        }
        #endif
    }

    @Test("a product on the kernels in use equals the plain triple loop (within 1e-5 of the sum of the terms' magnitudes)")
    func productOnTheKernelsInUseIsRight() {
        var rng = RandomSource(seed: 17)
        let m = 67, n = 129, k = 300  // odd sizes: every kernel's edge cases
        let a = (0..<(m * k)).map { _ in Float(rng.normal()) }
        let b = (0..<(k * n)).map { _ in Float(rng.normal()) }
        var c = [Float](repeating: 0, count: m * n)
        BLAS.singleThreaded {
            BLAS.gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
        }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let t = Double(a[i * k + p]) * Double(b[p * n + j])
                    s += t
                    magnitude += abs(t)
                }
                // Float rounding is bounded relative to the terms' magnitudes, not to the sum,
                // which cancellation can make small; a wrong kernel is off by the terms themselves.
                worst = Swift.max(worst, abs(Double(c[i * n + j]) - s) / magnitude)
            }
        }
        #expect(worst < 1e-5, "kernels \(BLAS.kernels.core): worst error relative to the terms \(worst)")
    }
}
