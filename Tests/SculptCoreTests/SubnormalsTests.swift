import Foundation
import Testing
@testable import SculptCore

/// Subnormal results flushed to zero on every thread Sculpt computes on (Sources/CProcessSetup/subnormals.c),
/// unless SCULPT_SUBNORMALS=keep.
@Suite struct SubnormalsTests {
    static let keep = ProcessInfo.processInfo.environment["SCULPT_SUBNORMALS"] == "keep"

    /// x * y through memory, so the compiler cannot fold it at build time (with IEEE rules).
    @inline(never)
    static func product(_ x: [Float], _ y: [Float]) -> [Float] { zip(x, y).map { $0 * $1 } }

    @Test("set at start-up on Linux unless SCULPT_SUBNORMALS=keep, and on the test's own thread")
    func setAtStartup() {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        #expect(Subnormals.flushedAtStartup == !Self.keep)
        #expect(Subnormals.flushedOnThisThread == !Self.keep)
        #else
        #expect(!Subnormals.flushedAtStartup)
        #endif
    }

    @Test("a product whose exact value is subnormal is 0 when flushed, the subnormal otherwise; subnormal inputs stay nonzero")
    func productsFlush() {
        let p = Self.product([1e-20, Float.leastNormalMagnitude, Float.leastNonzeroMagnitude], [1e-20, 0.5, 1])
        if Subnormals.flushedOnThisThread {
            #expect(p[0].bitPattern == 0 && p[1].bitPattern == 0 && p[2].bitPattern == 0)
        } else {
            #expect(p[0] > 0 && p[0] < Float.leastNormalMagnitude)
            #expect(p[2] == Float.leastNonzeroMagnitude)
        }
        // comparisons see a subnormal as it is (no denormals-are-zero)
        let stored: [Float] = [Float.leastNonzeroMagnitude]
        #expect(stored[0] > 0 && stored[0] != 0)
    }

    @Test("threads made after start-up inherit it: a Thread, the worker pool's helpers, Dispatch's threads")
    func threadsInherit() {
        let expected = Subnormals.flushedOnThisThread
        let done = DispatchSemaphore(value: 0)
        let seen = UncheckedSendable(UnsafeMutablePointer<Bool>.allocate(capacity: 8))
        defer { seen.value.deallocate() }
        let thread = Thread {
            seen.value[0] = Subnormals.flushedOnThisThread
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(seen.value[0] == expected)
        // The pool's helpers are `Thread`s made the same way; every item, whichever thread runs it.
        let flags = UnsafeMutablePointer<Bool>.allocate(capacity: 64)
        defer { flags.deallocate() }
        let items = UncheckedSendable(flags)
        for _ in 0..<20 {
            Parallel.forEach(workers: 64) { i in items.value[i] = Subnormals.flushedOnThisThread }
            #expect((0..<64).allSatisfy { flags[$0] == expected })
        }
        DispatchQueue.global().async {
            seen.value[3] = Subnormals.flushedOnThisThread
            done.signal()
        }
        done.wait()
        #expect(seen.value[3] == expected)
    }
}
