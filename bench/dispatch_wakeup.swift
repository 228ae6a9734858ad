// How late does DispatchQueue.concurrentPerform start its second iteration? The measurement behind
// `WorkerPool` (Sources/SculptCore/WorkerPool.swift), which replaced it under `Parallel.forEach`.
//
//   swiftc -O bench/dispatch_wakeup.swift -o /tmp/dispatch_wakeup && /tmp/dispatch_wakeup
//
// Each call splits a job into two halves that busy-wait `work` microseconds each, so a call that
// starts both halves at once takes `work`; the excess is the time until the second half starts
// (or, when the caller runs both halves, `work` more). `gap` is serial time between calls, during
// which Dispatch's idle worker may go back to sleep.
import Dispatch
import Foundation

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

final class Sink: @unchecked Sendable { var values = [Double](repeating: 0, count: 64) }
let sink = Sink()
var spent = 0.0  // the gap's busy-wait counts here, so the loop is not optimized away

print("work/half  gap      call (median of 1000)  excess over the half")
for work in [20, 100, 500] as [UInt64] {
    for gap in [0, 200] as [UInt64] {
        var times: [UInt64] = []
        for _ in 0..<1000 {
            let start = now()
            while now() - start < gap * 1000 { spent += 1 }
            let t0 = now()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let s = now()
                var a = 0.0
                while now() - s < work * 1000 { a += 1 }
                sink.values[i * 16] += a
            }
            times.append(now() - t0)
        }
        times.sort()
        let median = Double(times[times.count / 2]) / 1000
        let excess = (median - Double(work) * 1.0) * 10
        let callText = "\((median * 10).rounded() / 10) us", excessText = "\(excess.rounded() / 10) us"
        let workText = "\(work) us", gapText = "\(gap) us"
        print(workText.padding(toLength: 11, withPad: " ", startingAt: 0)
              + gapText.padding(toLength: 9, withPad: " ", startingAt: 0)
              + callText.padding(toLength: 23, withPad: " ", startingAt: 0) + excessText)
    }
}
if spent < 0 { print(spent) }
