import Dispatch
import Foundation
import Synchronization

/// The persistent threads behind `Parallel.forEach`: they spin a short while after each job for
/// the next one, then sleep on a condition.
///
/// Why not `DispatchQueue.concurrentPerform`: it wakes a sleeping Dispatch worker for every call,
/// and on the 2-core KVM machines this project is measured on, the second half of a call started
/// 34-47 us late (`bench/dispatch_wakeup.swift`: two 100 us halves took 141 us). W7 makes about a
/// hundred such calls a training step; on this pool its step went from 57-62 to 54-55 ms
/// (`bench/RESULTS.md`, "Issue 17: a worker pool of our own").
///
/// A job is `items` calls `body(i)`, `i` in `0..<items`, claimed one at a time by the caller and
/// the helpers (an item's work depends on `i` only, never on the thread that runs it, so the
/// numbers do not depend on which thread ran what). Claims go through one atomic word that holds
/// the job's generation and the count of unclaimed items: a helper that wakes late for a job that
/// has ended cannot claim from the next one, and `body` is read only after a successful claim,
/// while the job cannot end. One job runs at a time: a call that finds the pool busy (a nested
/// call from inside a job, or another thread's job) runs on Dispatch instead.
final class WorkerPool: @unchecked Sendable {
    /// The pool of `Parallel.forEach`, whose helpers spin 100 us for the next call. W7's step at
    /// two threads makes about a hundred calls with little serial work between them; it took
    /// 54.1-55.1 ms with 100 us, 54.8-55.3 with 50, 55.7-57.2 with 300 and 57.7-59.5 with none
    /// (helpers always asleep), against 57.1-62.2 on Dispatch (`sculpt bench --workloads vgg
    /// --threads 2 --batches 60`, alternated, `bench/RESULTS.md`).
    static let shared = WorkerPool(spinNanoseconds: 100_000)

    /// Helper threads at most: one fewer than the processors (the caller works too).
    let capacity: Int
    /// How long a helper spins for the next job after one ends, and the caller for the helpers'
    /// last items, before sleeping.
    let spinNanoseconds: Int

    /// Generation (high 32 bits) and unclaimed items (low 32 bits) of the current job.
    private let ticket = Atomic<UInt64>(0)
    /// Items of the current job that have run to the end.
    private let finished = Atomic<Int>(0)
    /// Whether a job is running (the pool's lock, taken with compare-exchange, never waited on).
    private let busy = Atomic<Bool>(false)
    /// Helpers asleep (or about to be) on `wake`.
    private let sleepers = Atomic<Int>(0)
    /// Whether the caller sleeps on `done` for the last items.
    private let callerWaiting = Atomic<Bool>(false)
    private let wake = NSCondition()
    private let done = NSCondition()

    /// The current job's body and item count: written by the caller before it publishes the
    /// ticket, read by helpers only after a successful claim. Guarded by `busy` for writers.
    nonisolated(unsafe) private var body: ((Int) -> Void)?
    nonisolated(unsafe) private var items = 0
    /// Helper threads started so far (only the caller holding `busy` starts more).
    nonisolated(unsafe) private var helpers = 0

    init(capacity: Int = ProcessInfo.processInfo.activeProcessorCount - 1, spinNanoseconds: Int) {
        self.capacity = Swift.max(0, capacity)
        self.spinNanoseconds = Swift.max(0, spinNanoseconds)
    }

    /// Runs `body(i)` for every i in 0..<items on the caller and up to `capacity` helpers, and
    /// returns when all have run. Returns false, having run nothing, when the pool is busy.
    func run(items count: Int, _ work: (Int) -> Void) -> Bool {
        precondition(count >= 1 && count < 1 << 31, "WorkerPool job of \(count) items")
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            return false
        }
        defer { busy.store(false, ordering: .releasing) }
        let generation = ((ticket.load(ordering: .relaxed) >> 32) &+ 1) & 0xFFFF_FFFF
        startHelpers(Swift.min(capacity, count - 1), generation: generation &- 1)
        withoutActuallyEscaping(work) { escapable in
            body = escapable
            items = count
            finished.store(0, ordering: .relaxed)
            // publish (sequentially consistent: against a helper going to sleep, see `helperLoop`)
            ticket.store(generation << 32 | UInt64(count), ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wake.lock(); wake.broadcast(); wake.unlock()
            }
            while let i = claim(generation) {
                escapable(i)
                finished.add(1, ordering: .releasing)
            }
            waitForHelpers(count)
            body = nil
        }
        return true
    }

    /// Claims the next unclaimed item of job `generation`, or nil when it has none left (or has
    /// ended and another began).
    @inline(__always)
    private func claim(_ generation: UInt64) -> Int? {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation && current & 0xFFFF_FFFF != 0 {
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current - 1, ordering: .acquiringAndReleasing)
            if exchanged { return Int(current & 0xFFFF_FFFF) - 1 }
            current = original
        }
        return nil
    }

    /// Waits until all `count` items have finished: spinning for `spinNanoseconds`, then asleep
    /// on `done` (the helper that finishes the last item signals it).
    private func waitForHelpers(_ count: Int) {
        if finished.load(ordering: .acquiring) == count { return }
        let start = DispatchTime.now().uptimeNanoseconds
        var round = 0
        while finished.load(ordering: .acquiring) != count {
            round &+= 1
            if round & 63 == 0 && Int(DispatchTime.now().uptimeNanoseconds &- start) > spinNanoseconds { break }
        }
        if finished.load(ordering: .acquiring) == count { return }
        done.lock()
        callerWaiting.store(true, ordering: .sequentiallyConsistent)
        while finished.load(ordering: .sequentiallyConsistent) != count { done.wait() }
        callerWaiting.store(false, ordering: .relaxed)
        done.unlock()
    }

    /// Starts helpers until there are `wanted` (at most `capacity`), each waiting for the job
    /// after `generation`.
    private func startHelpers(_ wanted: Int, generation: UInt64) {
        while helpers < wanted {
            helpers += 1
            let thread = Thread { [self] in helperLoop(after: generation) }
            thread.name = "sculpt-worker-\(helpers)"
            thread.stackSize = 8 << 20  // as the main thread: kernels keep scratch planes on the stack
            thread.start()
        }
    }

    /// Runs item `i` of the current job; its reference to `body` ends before it returns, so
    /// none is left when the caller's `withoutActuallyEscaping` ends (which checks).
    @inline(never)
    private func runItem(_ i: Int) {
        body.unsafelyUnwrapped(i)
    }

    /// A helper's life: wait for a job newer than `seen` (spinning, then asleep), claim and run
    /// its items until none are left, and wait again.
    private func helperLoop(after generation: UInt64) {
        var seen = generation
        while true {
            var current = ticket.load(ordering: .acquiring) >> 32
            if current == seen && spinNanoseconds > 0 {
                let start = DispatchTime.now().uptimeNanoseconds
                var round = 0
                while current == seen {
                    round &+= 1
                    if round & 63 == 0 && Int(DispatchTime.now().uptimeNanoseconds &- start) > spinNanoseconds {
                        break
                    }
                    current = ticket.load(ordering: .acquiring) >> 32
                }
            }
            if current == seen {
                // Dekker with `run`: the caller stores the ticket, then reads `sleepers`; a helper
                // counts itself in `sleepers`, then reads the ticket (both sequentially consistent),
                // so either the caller sees the sleeper and signals or the helper sees the job.
                wake.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while true {
                    current = ticket.load(ordering: .sequentiallyConsistent) >> 32
                    if current != seen { break }
                    wake.wait()
                }
                sleepers.subtract(1, ordering: .relaxed)
                wake.unlock()
            }
            seen = current
            while let i = claim(current) {
                let count = items
                runItem(i)
                if finished.add(1, ordering: .sequentiallyConsistent).newValue == count
                    && callerWaiting.load(ordering: .sequentiallyConsistent) {
                    done.lock(); done.broadcast(); done.unlock()
                }
            }
        }
    }
}
