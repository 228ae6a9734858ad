import Dispatch
import Foundation

/// A value handed to worker threads whose safety the caller guarantees (disjoint writes).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// Data-parallel loops for the memory-bound kernels around sgemm, using as many workers as
/// BLAS has threads (`BLAS.setThreads` sets both).
public enum Parallel {
    /// Workers used by `forEach`; 1 runs everything on the calling thread; inside `withThreads`
    /// (the calling task and its children), that call's count. The process-wide value is read and
    /// written under a lock: one thread may set it (`BLAS.setThreads`) while another's kernels read
    /// it (ThreadSanitizer found that race when tests ran side by side).
    public static var threads: Int {
        get {
            if let count = taskThreads { return count }
            threadsLock.lock(); defer { threadsLock.unlock() }; return storedThreads
        }
        set { threadsLock.lock(); storedThreads = newValue; threadsLock.unlock() }
    }
    private static let threadsLock = NSLock()
    nonisolated(unsafe) private static var storedThreads = 1
    @TaskLocal private static var taskThreads: Int?

    /// Runs `body` with `threads` workers for this task only (tests running side by side each
    /// pick their own count without racing on the process-wide setting). OpenBLAS's own thread
    /// count is process-wide and unchanged: the kernels that split work by `threads` call BLAS
    /// single-threaded from their workers.
    public static func withThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        try $taskThreads.withValue(Swift.max(1, count)) { try body() }
    }

    /// Runs `body(worker)` for worker in 0..<workers on up to `workers` threads and waits.
    /// With one worker, runs inline. The calling thread and the persistent helpers of
    /// `WorkerPool` share the calls (each `worker` runs exactly once, on whichever thread claims
    /// it); a call made while the pool is busy (from inside another call's body, or from another
    /// thread at the same time) runs on `DispatchQueue.concurrentPerform` instead.
    public static func forEach(workers: Int, _ body: (Int) -> Void) {
        if workers <= 1 { body(0); return }
        if WorkerPool.shared.run(items: workers, body) { return }
        withoutActuallyEscaping(body) { escapable in
            let boxed = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { boxed.value($0) }
        }
    }

    /// Splits 0..<count into `threads` contiguous ranges and runs `body` on each in parallel.
    /// Serial below `minimumCount` elements of work (waking a sleeping helper takes tens of
    /// microseconds); the work is `count` unless `work` says otherwise (e.g. channels as the
    /// ranges, elements as the work).
    public static func forRanges(count: Int, work: Int? = nil, minimumCount: Int = 1 << 15,
                                 _ body: (Range<Int>) -> Void) {
        let workers = (work ?? count) >= minimumCount ? Swift.min(threads, count) : 1
        if workers <= 1 { body(0..<count); return }
        forEach(workers: workers) { w in
            body(count * w / workers ..< count * (w + 1) / workers)
        }
    }
}
