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
        let (m, n, k) = (37, 67, 131)  // odd sizes: every kernel's edge cases
        let a = Tensor.normal([m, k], using: &rng), b = Tensor.normal([k, n], using: &rng)
        let c = BLAS.singleThreaded { a.matmul(b) }
        let exact = naiveMatmul(a, b, ta: false, tb: false)
        // Float rounding is bounded relative to the terms' magnitudes, not to the sum, which
        // cancellation can make small; a wrong kernel is off by the terms themselves.
        let magnitude = naiveMatmul(Tensor(a.scalars.map(abs), shape: [m, k]), Tensor(b.scalars.map(abs), shape: [k, n]),
                                    ta: false, tb: false)
        let worst = (0..<(m * n)).map { abs(c[flat: $0] - exact[flat: $0]) / magnitude[flat: $0] }.max() ?? 0
        #expect(worst < 1e-5, "kernels \(BLAS.kernels.core): worst error relative to the terms \(worst)")
    }
}
