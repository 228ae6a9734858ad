import Testing
import SculptCore
@testable import SculptSurgery

private func gaussian(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = RandomSource(seed: seed)
    return Tensor.normal(shape, using: &rng)
}

@Test("rank from ratio: the thesis's int(min(m, n) * ratio), at least 1")
func rankFromRatio() {
    #expect(
        [1, 0.75, 0.5, 0.25, 0.2, 0.125].map { LowRank.rank(ratio: $0, dimension: 2048) } == [
            2048, 1536, 1024, 512, 409, 256,
        ])
    #expect(LowRank.rank(ratio: 0.7, dimension: 10) == 7)
    #expect(LowRank.rank(ratio: 0.01, dimension: 10) == 1)
    #expect(Tucker.ranks(ratio: 1, shape: [64, 3, 3, 3], modes: [0, 1]) == [27, 3])
    #expect(Tucker.ranks(ratio: 0.125, shape: [512, 512, 3, 3], modes: [0, 1]) == [64, 64])
}

@Test(
    "full rank returns the weights bit for bit; rank 1 of a rank-1 matrix recovers it",
    arguments: SubspaceMethod.allCases)
func lowRankEdgeCases(method: SubspaceMethod) throws {
    let a = gaussian([7, 5], seed: 1)
    #expect(try LowRank.approximation(a, rank: 5, method: method) == a)
    let u = gaussian([7, 1], seed: 2), v = gaussian([1, 5], seed: 3)
    let r1 = u.matmul(v)
    for m in [r1, r1.transposed()] {
        #expect(relativeDifference(m, try LowRank.approximation(m, rank: 1, method: method)) < 1e-5)
    }
}

@Test("truncation error is the tail of the singular values (Eckart-Young), both sides, both methods",
      arguments: [[40, 30], [30, 40]], SubspaceMethod.allCases)
func eckartYoung(shape: [Int], method: SubspaceMethod) throws {
    let a = gaussian(shape, seed: 4)
    let s = try a.singularValues().scalars.map(Double.init)
    for k in [3, 20, 27] {  // below and above half: the complement path too
        let ak = try LowRank.approximation(a, rank: k, method: method)
        let err = Double((a - ak).squaredNorm())
        let tail = s[k...].reduce(0) { $0 + $1 * $1 }
        #expect(abs(err - tail) / Double(a.squaredNorm()) < 1e-4)
        let sk = try ak.singularValues().scalars
        #expect(Double(sk[k]) < 1e-3 * s[0])  // rank k
    }
}

@Test("the Gram path agrees with sgesdd on a 256x256 matrix")
func gramAgreesWithGesdd() throws {
    let a = gaussian([256, 256], seed: 5)
    for k in [32, 128, 200] {
        let g = try LowRank.approximation(a, rank: k, method: .gram)
        let d = try LowRank.approximation(a, rank: k, method: .gesdd)
        #expect(relativeDifference(d, g) < 1e-4)
    }
}

@Test(
    "leading left singular vectors are orthonormal and span the same space by both methods",
    arguments: [[20, 50], [50, 20]])
func leadingVectors(shape: [Int]) throws {
    let a = gaussian(shape, seed: 6)
    let ug = try LowRank.leadingLeftSingularVectors(a, rank: 6, method: .gram)
    let ud = try LowRank.leadingLeftSingularVectors(a, rank: 6, method: .gesdd)
    let gtg = ug.matmul(ug, transposeSelf: true)
    var worst: Float = 0
    for i in 0..<6 { for j in 0..<6 { worst = max(worst, abs(gtg[i, j] - (i == j ? 1 : 0))) } }
    #expect(worst < 1e-4)
    // same projector
    let pg = ug.matmul(ug, transposeOther: true), pd = ud.matmul(ud, transposeOther: true)
    #expect(pg.maxAbsDifference(pd) < 1e-4)
}
