import Testing
import Foundation
import SculptCore
@testable import SculptSurgery

private func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    return Tensor.normal(shape, using: &rng)
}

/// One output position of conv(producer) -> tanh -> conv(consumer) on a 3x3 input patch per
/// channel: h_c = tanh(<P[c], x>), y_o = sum_c h_c * sum_k Q[o, c, k] (the consumer sees a
/// constant map per channel). producer is [C, I, 3, 3], consumer [O, C, 3, 3], x [I, 3, 3].
private func evaluate(producer: Tensor, consumer: Tensor, x: Tensor) -> [Float] {
    let c = producer.shape[0], per = producer.rowStride, o = consumer.shape[0], k = 9
    let h = (0..<c).map { ch in tanh(BLAS.dot(n: per, producer.data + ch * per, x.data)) }
    return (0..<o).map { out in
        var s: Float = 0
        for ch in 0..<c { for t in 0..<k { s += consumer.data[(out * c + ch) * k + t] * h[ch] } }
        return s
    }
}

@Test("on conv-shaped weights, WeakExpand's split (filters copied, input channels scaled by 1/c) keeps the output")
func convWeakExpandTensorMath() {
    let p = gaussian([6, 4, 3, 3], seed: 1), q = gaussian([5, 6, 3, 3], seed: 2), x = gaussian([4, 3, 3], seed: 3)
    let before = evaluate(producer: p, consumer: q, x: x)
    let extra = WeakExpandSplit.sources(outgoingWeight: q, newWidth: 14, order: .meanAbsoluteOutgoing)
    #expect(extra.count == 8 && Set(extra).count == 6)  // every filter split once, then the two strongest again
    let sources: [Int?] = Array(0..<6) + extra
    var copies = [Int](repeating: 1, count: 6)
    for s in extra { copies[s] += 1 }
    let p2 = p.gathered(axis: 0, sources: sources)
    let q2 = q.gathered(axis: 1, sources: sources, scales: sources.map { 1 / Float(copies[$0!]) })
    #expect(p2.shape == [14, 4, 3, 3] && q2.shape == [5, 14, 3, 3])
    let after = evaluate(producer: p2, consumer: q2, x: x)
    for (a, b) in zip(before, after) { #expect(abs(a - b) <= 1e-5 * max(1, abs(a))) }
}

@Test("on conv-shaped weights, minimum weight selects input channels by norm and full-rank EigenRemove agrees")
func convSelection() throws {
    let q = gaussian([5, 6, 3, 3], seed: 4)
    for ch in 0..<6 {
        for o in 0..<5 { for t in 0..<9 { q.data[(o * 6 + ch) * 9 + t] *= Float(ch == 3 ? 10 : ch + 1) / 10 } }
    }
    let kept = UnitSelection.minimumWeight(consumerWeight: q, keep: 2)
    #expect(kept == [3, 5])
    let reduced = try EigenRemove.reduced(q, rankRatio: 1)
    #expect(reduced == q)
    #expect(UnitSelection.eigenRemove(reducedConsumerWeight: reduced, keep: 2) == kept)
    let half = try EigenRemove.reduced(q, rankRatio: 0.5)  // ranks [floor(0.5 * 5), floor(0.5 * 6)] = [2, 3]
    #expect(try half.unfolded(mode: 1).singularValues().scalars[3] < 1e-4)
    #expect(try half.unfolded(mode: 0).singularValues().scalars[2] < 1e-4)
}
