import Testing
@testable import SculptCore

@Test("tensors index row-major and copy independently")
func indexing() {
    let t = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
    #expect(t[1, 2] == 6)
    #expect(t.rowStride == 3)
    let c = t.copy()
    c[0, 0] = 9
    #expect(t[0, 0] == 1)
    #expect(t.row(1).scalars == [4, 5, 6])
    #expect(t.gatherRows([1, 0]).scalars == [4, 5, 6, 1, 2, 3])
}

@Test("resize reuses storage and reshaped keeps elements")
func resizing() {
    let t = Tensor(zeros: [4, 4])
    t.resize([2, 2])
    #expect(t.count == 4 && t.shape == [2, 2])
    t.resize([8, 8])
    #expect(t.count == 64)
    let r = Tensor([1, 2, 3, 4], shape: [2, 2]).reshaped([4])
    #expect(r.shape == [4] && r.scalars == [1, 2, 3, 4])
}

@Test("reductions accumulate in double precision")
func reductions() {
    let t = Tensor([1, -2, 3, 4])
    #expect(t.sum() == 6)
    #expect(t.mean() == 1.5)
    #expect(t.max() == 4 && t.min() == -2)
    #expect(t.squaredNorm() == 30)
    #expect(Tensor([1, .nan]).isFinite == false)
}
