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

@Test("dimension, isMatrix and resize(like:) read and follow the shape without copying it")
func shapeQueries() {
    let t = Tensor(zeros: [3, 5, 2])
    #expect((0..<3).map { t.dimension($0) } == t.shape)
    #expect(!t.isMatrix(rows: 3, columns: 5) && !Tensor(zeros: [15]).isMatrix(rows: 15, columns: 1))
    let m = Tensor(zeros: [4, 6])
    #expect(m.isMatrix(rows: 4, columns: 6) && !m.isMatrix(rows: 6, columns: 4))
    let storage = m.data
    m.resize(like: Tensor(zeros: [2, 3, 4]))  // the same count: the same storage
    #expect(m.shape == [2, 3, 4] && m.count == 24 && m.data == storage)
    m.resize(like: Tensor(zeros: [7, 7]))
    #expect(m.shape == [7, 7] && m.count == 49)
    m.resize(like: Tensor(zeros: []))
    #expect(m.shape == [] && m.count == 1)
}

@Test("tensor storage starts on a 64-byte cache line, new and after growing", arguments: [1, 3, 1000, 1 << 20])
func storageAlignment(count: Int) {
    let t = Tensor(zeros: [count])
    #expect(UInt(bitPattern: t.data) % 64 == 0)
    t.resize([count * 3 + 5])
    #expect(UInt(bitPattern: t.data) % 64 == 0 && t.count == count * 3 + 5)
    #expect(UInt(bitPattern: t.copy().data) % 64 == 0)
}

@Test("CacheLine.allocate starts every buffer on a 64-byte line, whatever the element's own alignment",
      arguments: [1, 3, 16, 1000, 1 << 20])
func cacheLineAllocation(count: Int) {
    let floats = CacheLine.allocate(Float.self, capacity: count), lanes = CacheLine.allocate(SIMD16<Float>.self, capacity: count)
    let indices = CacheLine.allocate(Int32.self, capacity: count)
    defer { floats.deallocate(); lanes.deallocate(); indices.deallocate() }
    #expect(MemoryLayout<SIMD16<Float>>.alignment < CacheLine.bytes)
    for address in [UInt(bitPattern: floats), UInt(bitPattern: lanes), UInt(bitPattern: indices)] {
        #expect(address % UInt(CacheLine.bytes) == 0)
    }
    lanes[count - 1] = SIMD16(repeating: 1)  // the whole range is usable
    #expect(lanes[count - 1].sum() == 16)
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
