import Dispatch
import Foundation
import Synchronization
import Testing
@testable import SculptCore

// The thread pool behind Parallel.forEach: every item runs exactly once, whether helpers spin or
// sleep between jobs, and calls that find the pool busy run elsewhere instead of waiting.

/// Per-item run counts, each slot written by its own item only.
private final class Counts: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Int>
    let count: Int
    init(_ count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: 0, count: count)
    }
    deinit { slots.deallocate() }
    var all: [Int] { Array(UnsafeBufferPointer(start: slots, count: count)) }
}

@Test("a job runs each of its items exactly once, for 1 to 40 items, with helpers spinning or asleep",
      arguments: [0, 100_000])
func workerPoolRunsEveryItemOnce(spin: Int) {
    for capacity in [1, 3] {
        let pool = WorkerPool(capacity: capacity, spinNanoseconds: spin)
        for items in 1...40 {
            let counts = Counts(items)
            #expect(pool.run(items: items) { counts.slots[$0] += 1 })
            #expect(counts.all == Array(repeating: 1, count: items), "capacity \(capacity), \(items) items")
        }
    }
}

@Test("thousands of back-to-back jobs lose no item, with helpers that sleep between jobs or spin",
      arguments: [0, 20_000])
func workerPoolBackToBackJobs(spin: Int) {
    let pool = WorkerPool(capacity: 1, spinNanoseconds: spin)
    let counts = Counts(4)
    for job in 0..<20_000 {
        #expect(pool.run(items: 2 + job % 3) { counts.slots[$0] += 1 })
    }
    // items 0 and 1 are in every job, item 2 in jobs with job % 3 >= 1, item 3 in job % 3 == 2
    #expect(counts.all == [20_000, 20_000, 13_333, 6_666])
}

@Test("the caller waits, asleep, for a helper's long item")
func workerPoolWaitsForSlowItem() {
    for spin in [0, 1_000] {
        let pool = WorkerPool(capacity: 1, spinNanoseconds: spin)
        let counts = Counts(2)
        let start = DispatchTime.now().uptimeNanoseconds
        #expect(pool.run(items: 2) { i in
            if i == 0 { Thread.sleep(forTimeInterval: 0.02) }
            counts.slots[i] += 1
        })
        // whichever thread ran item 0, run returned only after it: its sleep is inside the job
        #expect(DispatchTime.now().uptimeNanoseconds - start >= 20_000_000)
        #expect(counts.all == [1, 1])
    }
}

@Test("two items of a job run at the same time on two threads when a helper exists")
func workerPoolRunsItemsConcurrently() {
    let pool = WorkerPool(capacity: 1, spinNanoseconds: 0)
    let arrived = Atomic<Int>(0)
    let met = Counts(2)
    #expect(pool.run(items: 2) { i in
        // a barrier of two with a 5 s timeout: one thread running both items would time out
        arrived.add(1, ordering: .sequentiallyConsistent)
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while arrived.load(ordering: .sequentiallyConsistent) < 2 && DispatchTime.now().uptimeNanoseconds < deadline {}
        met.slots[i] = arrived.load(ordering: .sequentiallyConsistent) == 2 ? 1 : 0
    })
    #expect(met.all == [1, 1])
}

@Test("a call from inside a job finds the pool busy; Parallel.forEach then runs it on Dispatch")
func workerPoolNestedCalls() {
    let pool = WorkerPool(capacity: 1, spinNanoseconds: 0)
    let nestedRan = Counts(2)
    #expect(pool.run(items: 2) { i in
        nestedRan.slots[i] = pool.run(items: 2) { _ in } ? 1 : 0
    })
    #expect(nestedRan.all == [0, 0])

    let counts = Counts(3 * 4)
    Parallel.forEach(workers: 3) { outer in
        Parallel.forEach(workers: 4) { inner in counts.slots[outer * 4 + inner] += 1 }
    }
    #expect(counts.all == Array(repeating: 1, count: 12))
}

@Test("callers on several threads at once each get all their items run")
func workerPoolConcurrentCallers() {
    let counts = Counts(8 * 5)
    DispatchQueue.concurrentPerform(iterations: 8) { caller in
        for _ in 0..<200 {
            Parallel.forEach(workers: 5) { w in counts.slots[caller * 5 + w] += 1 }
        }
    }
    #expect(counts.all == Array(repeating: 200, count: 40))
}
