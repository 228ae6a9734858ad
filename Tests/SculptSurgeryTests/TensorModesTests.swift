import Testing
import SculptCore
@testable import SculptSurgery

/// A tensor whose element at flat index i is i.
private func counting(_ shape: [Int]) -> Tensor {
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = Float(i) }
    return t
}

@Test("mode unfoldings of a 2x3x2 tensor match tensorly's moveaxis + reshape, by hand")
func unfoldingsByHand() {
    let x = counting([2, 3, 2])  // x[a, b, c] = 6a + 2b + c
    #expect(x.unfolded(mode: 0).scalars == Array(0..<12).map(Float.init))
    #expect(x.unfolded(mode: 0).shape == [2, 6])
    // mode 1: row b holds x[a, b, c] for (a, c) in row-major order
    #expect(x.unfolded(mode: 1).scalars == [0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11])
    #expect(x.unfolded(mode: 2).scalars == [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11])
}

@Test("folding inverts unfolding along every mode of a conv-shaped tensor")
func foldInvertsUnfold() {
    let x = counting([4, 3, 2, 5])
    for mode in 0..<4 {
        #expect(Tensor.folded(x.unfolded(mode: mode), mode: mode, shape: x.shape) == x)
    }
}

@Test("the n-mode product equals a naive sum over the mode, with and without transposing the matrix")
func modeProductMatchesNaive() {
    var rng = RandomSource(seed: 3)
    let x = Tensor.uniform([3, 4, 2, 2], -1, 1, using: &rng)
    for mode in 0..<4 {
        let n = x.shape[mode]
        let m = Tensor.uniform([5, n], -1, 1, using: &rng)
        let y = x.modeProduct(m, mode: mode)
        let yt = x.modeProduct(m.transposed(), mode: mode, transposeMatrix: true)
        var expectedShape = x.shape
        expectedShape[mode] = 5
        #expect(y.shape == expectedShape)
        // naive: y[..., j, ...] = sum_i m[j, i] x[..., i, ...]
        let (l, _, r) = x.modeView(mode)
        var worst: Float = 0
        for li in 0..<l { for j in 0..<5 { for ri in 0..<r {
            var s: Float = 0
            for i in 0..<n { s += m[j, i] * x.data[(li * n + i) * r + ri] }
            worst = max(worst, abs(s - y.data[(li * 5 + j) * r + ri]), abs(s - yt.data[(li * 5 + j) * r + ri]))
        } } }
        #expect(worst < 1e-5)
    }
}

@Test("slice norms and means along the unit axes, by hand")
func sliceStatistics() {
    let w = Tensor([3, -4, 0, 1, 2, 2], shape: [2, 3])  // rows (3,-4,0), (1,2,2)
    #expect(w.sliceNorms(axis: 0) == [5, 3])
    #expect(
        w.sliceNorms(axis: 1).map { ($0 * 1000).rounded() }
            == [Float(10.0).squareRoot(), Float(20.0).squareRoot(), 2].map { ($0 * 1000).rounded() })
    #expect(w.sliceMeans(axis: 1, absolute: false) == [2, -1, 1])
    #expect(w.sliceMeans(axis: 1, absolute: true) == [2, 3, 1])
    let g = w.gathered(axis: 1, sources: [2, nil, 0], scales: [1, 1, 0.5])
    #expect(g.scalars == [0, 0, 1.5, 2, 0, 0.5])
    #expect(largestIndices([1, 5, 5, 2], count: 2) == [1, 2])
}
