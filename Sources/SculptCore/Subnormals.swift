#if !canImport(Accelerate)
import CProcessSetup
#endif

/// Whether arithmetic flushes subnormal results (below 2^-126 in float) to zero.
///
/// On Linux Sculpt sets flush-to-zero before `main` on the main thread, and the threads it creates
/// afterwards inherit it (Sources/CProcessSetup/subnormals.c): Intel cores take ~100 cycles for each
/// operation with a subnormal result, and saturated units make them at every step (the README's
/// first command trained 4x faster with them flushed, to the same loss). `SCULPT_SUBNORMALS=keep`
/// keeps IEEE gradual underflow. Subnormal inputs still compute exactly; only results flush.
/// On macOS nothing is set.
public enum Subnormals {
    #if canImport(Accelerate)
    public static var flushedAtStartup: Bool { false }
    public static var flushedOnThisThread: Bool { false }
    #else
    /// True when flush-to-zero was set at start-up (false with `SCULPT_SUBNORMALS=keep`, or on macOS).
    public static var flushedAtStartup: Bool { sculpt_subnormals_flushed_at_startup() != 0 }
    /// True when the calling thread flushes subnormal results to zero.
    public static var flushedOnThisThread: Bool { sculpt_thread_flushes_subnormals() != 0 }
    #endif

    /// "flushed to zero" or "kept (IEEE gradual underflow)", for reports.
    public static var description: String {
        flushedAtStartup ? "flushed to zero (SCULPT_SUBNORMALS=keep keeps them)" : "kept (IEEE gradual underflow)"
    }
}
