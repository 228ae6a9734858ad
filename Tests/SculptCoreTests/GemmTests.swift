import Testing
@testable import SculptCore

/// Naive row-major reference: C = op(A) op(B).
func naiveMatmul(_ a: Tensor, _ b: Tensor, ta: Bool, tb: Bool) -> Tensor {
    let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
    let n = tb ? b.shape[0] : b.shape[1]
    let c = Tensor(zeros: [m, n])
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = ta ? a[p, i] : a[i, p]
                let bv = tb ? b[j, p] : b[p, j]
                s += Double(av) * Double(bv)
            }
            c[i, j] = Float(s)
        }
    }
    return c
}

@Test(
    "sgemm matches a naive kernel for all four transpose combinations",
    arguments: [(false, false), (true, false), (false, true), (true, true)])
func gemmMatchesNaive(ta: Bool, tb: Bool) {
    var rng = RandomSource(seed: 1)
    let (m, k, n) = (7, 5, 3)
    let a = Tensor.uniform(ta ? [k, m] : [m, k], -1, 1, using: &rng)
    let b = Tensor.uniform(tb ? [n, k] : [k, n], -1, 1, using: &rng)
    let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
    let ref = naiveMatmul(a, b, ta: ta, tb: tb)
    #expect(c.shape == [m, n])
    #expect(c.maxAbsDifference(ref) < 1e-5)
}

@Test("gemm with beta = 1 accumulates into C")
func gemmAccumulates() {
    let a = Tensor([1, 2, 3, 4], shape: [2, 2])
    let b = Tensor([1, 0, 0, 1], shape: [2, 2])
    let c = Tensor([10, 10, 10, 10], shape: [2, 2])
    BLAS.gemm(
        transA: false, transB: false, m: 2, n: 2, k: 2, a: a.data, lda: 2, b: b.data, ldb: 2, beta: 1, c: c.data, ldc: 2
    )
    #expect(c.scalars == [11, 12, 13, 14])
}

@Test("transposed swaps rows and columns")
func transpose() {
    let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    let t = a.transposed()
    #expect(t.shape == [3, 2])
    #expect(t.scalars == [1, 4, 2, 5, 3, 6])
}
