import Testing
@testable import SculptCore

@Test("SVD reconstructs the matrix with orthonormal factors and sorted values", arguments: [[6, 4], [4, 6], [5, 5]])
func svdReconstructs(shape: [Int]) throws {
    var rng = RandomSource(seed: 3)
    let a = Tensor.normal(shape, using: &rng)
    let d = try a.svd()
    let k = min(shape[0], shape[1])
    #expect(d.u.shape == [shape[0], k] && d.s.shape == [k] && d.vt.shape == [k, shape[1]])
    for i in 1..<k { #expect(d.s[i - 1] >= d.s[i]) }
    // U diag(S) Vt
    let us = d.u.copy()
    for i in 0..<shape[0] { for j in 0..<k { us[i, j] *= d.s[j] } }
    #expect(us.matmul(d.vt).maxAbsDifference(a) < 1e-4)
    let utu = d.u.matmul(d.u, transposeSelf: true)
    for i in 0..<k { for j in 0..<k { #expect(abs(utu[i, j] - (i == j ? 1 : 0)) < 1e-4) } }
    let values = try a.singularValues()
    #expect(values.maxAbsDifference(d.s) < 1e-4)
}

@Test("SVD of a known diagonal matrix")
func svdDiagonal() throws {
    let a = Tensor([3, 0, 0, 0, -5, 0], shape: [2, 3])
    let s = try a.singularValues()
    #expect(abs(s[0] - 5) < 1e-5 && abs(s[1] - 3) < 1e-5)
}

@Test("SVD rejects non-matrices and NaN")
func svdErrors() {
    #expect(throws: LinearAlgebraError.notAMatrix(shape: [3])) { try Tensor([1, 2, 3]).svd() }
    #expect(throws: LinearAlgebraError.notFinite(operation: "svd")) { try Tensor([.nan, 1, 2, 3], shape: [2, 2]).svd() }
}
