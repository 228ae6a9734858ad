/// How this binary's Swift code was compiled (Package.swift's host tuning), so a benchmark record says what it
/// measured.
public enum Codegen {
    /// "native" (`-target-cpu native`: compiled for the CPU that built it), "native, no runtime unrolling" (the same
    /// with LLVM's runtime unrolling off: an AMD Zen 4 builds so, or `SCULPT_RUNTIME_UNROLL=off`), or "portable"
    /// (any CPU of the architecture: `SCULPT_PORTABLE=1`, and every build off Linux).
    public static var description: String {
        #if SCULPT_NATIVE && SCULPT_NO_RUNTIME_UNROLL
        return "native, no runtime unrolling"
        #elseif SCULPT_NATIVE
        return "native"
        #else
        return "portable"
        #endif
    }
}
