/// How this binary's Swift code was compiled (Package.swift's host tuning), so a benchmark record says what it
/// measured.
public enum Codegen {
    /// "native" (`-target-cpu native`: compiled for the CPU that built it), "native, no runtime unrolling" (the same
    /// with LLVM's runtime unrolling off: an AMD Zen 4 builds so, or `SCULPT_RUNTIME_UNROLL=off`), either followed by
    /// ", AVX-512" where that CPU has AVX-512 (`SCULPT_AVX512`: the direct convolution's large blocks, and
    /// `Conv2D`'s automatic choice of it), or "portable" (any CPU of the architecture: `SCULPT_PORTABLE=1`, and every
    /// build off Linux).
    public static var description: String {
        #if SCULPT_NATIVE && SCULPT_NO_RUNTIME_UNROLL
        return "native, no runtime unrolling" + vectorUnit
        #elseif SCULPT_NATIVE
        return "native" + vectorUnit
        #else
        return "portable"
        #endif
    }

    /// ", AVX-512" in a build for a CPU with it, else "".
    private static var vectorUnit: String { DirectConvolution.wideRegisters ? ", AVX-512" : "" }
}
