import Testing
import SculptCore
@testable import SculptSurgery

private func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    return Tensor.normal(shape, using: &rng)
}

@Test("HOSVD at full rank over the channel modes reconstructs a conv weight to float32 rounding",
      arguments: SubspaceMethod.allCases)
func hosvdFullRank(method: SubspaceMethod) throws {
    let w = gaussian([6, 4, 3, 3], seed: 1)
    let d = try Tucker.hosvd(w, modes: [0, 1], ranks: [6, 4], method: method)
    #expect(d.core.shape == [6, 4, 3, 3])
    #expect(relativeDifference(w, d.reconstruct()) < 1e-5)
    #expect(try Tucker.lowRankApproximation(w, modes: [0, 1], ranks: [6, 4], method: method) == w)
}

@Test("HOSVD factors have orthonormal columns and the core has the ranks' shape")
func hosvdFactors() throws {
    let w = gaussian([8, 6, 3, 3], seed: 2)
    let d = try Tucker.hosvd(w, modes: [0, 1], ranks: [3, 2])
    #expect(d.core.shape == [3, 2, 3, 3] && d.ranks == [3, 2])
    for u in d.factors {
        let utu = u.matmul(u, transposeSelf: true)
        for i in 0..<u.shape[1] { for j in 0..<u.shape[1] { #expect(abs(utu[i, j] - (i == j ? 1 : 0)) < 1e-5) } }
    }
    // lowRankApproximation is the same HOSVD reconstruction
    let direct = try Tucker.lowRankApproximation(w, modes: [0, 1], ranks: [3, 2])
    #expect(relativeDifference(d.reconstruct(), direct) < 1e-5)
}

@Test("a rank-(1, 1) tensor is recovered exactly by HOSVD and HOOI")
func rankOneRecovered() throws {
    // X = a (x) b (x) K: mode-0 and mode-1 ranks 1
    let a = gaussian([5], seed: 3), b = gaussian([4], seed: 4), k = gaussian([3, 3], seed: 5)
    let x = Tensor(zeros: [5, 4, 3, 3])
    for i in 0..<5 {
        for j in 0..<4 { for t in 0..<9 { x.data[(i * 4 + j) * 9 + t] = a.data[i] * b.data[j] * k.data[t] } }
    }
    let d = try Tucker.hosvd(x, modes: [0, 1], ranks: [1, 1])
    #expect(relativeDifference(x, d.reconstruct()) < 1e-5)
    let (h, _) = try Tucker.hooi(x, modes: [0, 1], ranks: [1, 1])
    #expect(relativeDifference(x, h.reconstruct()) < 1e-5)
}

@Test("HOOI fits at least as well as its HOSVD start, and both agree with gesdd-based factors")
func hooiImproves() throws {
    let w = gaussian([12, 10, 3, 3], seed: 6)
    let ranks = [4, 3]
    let s = try Tucker.hosvd(w, modes: [0, 1], ranks: ranks)
    let (h, iterations) = try Tucker.hooi(w, modes: [0, 1], ranks: ranks)
    let errS = (w - s.reconstruct()).squaredNorm(), errH = (w - h.reconstruct()).squaredNorm()
    #expect(errH <= errS * 1.0001)
    #expect(iterations >= 3)
    let sd = try Tucker.hosvd(w, modes: [0, 1], ranks: ranks, method: .gesdd)
    #expect(relativeDifference(sd.reconstruct(), s.reconstruct()) < 1e-4)
}

@Test("for a matrix, HOSVD over both modes equals the truncated SVD")
func hosvdOfMatrixIsTruncatedSVD() throws {
    let a = gaussian([30, 20], seed: 7)
    let d = try Tucker.hosvd(a, modes: [0, 1], ranks: [5, 5])
    let t = try LowRank.approximation(a, rank: 5, method: .gesdd)
    #expect(relativeDifference(t, d.reconstruct()) < 1e-4)
}
