import Testing
import Foundation
@testable import SculptCore

// Behaviour the training hot path relies on (its fast paths must not change results).

@Test("shuffle is the Fisher-Yates shuffle driven by index(below:), for any element type")
func shuffleMatchesReferenceFisherYates() {
    var a = RandomSource(seed: 42), b = RandomSource(seed: 42)
    var ints = Array(0..<50)
    a.shuffle(&ints)
    var reference = Array(0..<50)
    for i in stride(from: reference.count - 1, to: 0, by: -1) {
        let j = b.index(below: i + 1)
        reference.swapAt(i, j)
    }
    #expect(ints == reference)
    #expect(a == b)  // the same number of draws
    var c = RandomSource(seed: 42)
    var strings = (0..<50).map(String.init)
    c.shuffle(&strings)
    #expect(strings == reference.map(String.init))
}

@Test("the generator's state round-trips through `state` and Codable with the same JSON key")
func randomSourceStateRoundTrip() throws {
    var a = RandomSource(seed: 9)
    _ = a.next()
    var b = RandomSource(seed: 0)
    b.state = a.state
    #expect(b.next() == a.next())
    let data = try JSONEncoder().encode(a)
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.hasPrefix("{\"state\":["))
    var c = try JSONDecoder().decode(RandomSource.self, from: data)
    #expect(c.next() == a.next())
    #expect(throws: DecodingError.self) {
        try JSONDecoder().decode(RandomSource.self, from: Data("{\"state\":[1,2]}".utf8))
    }
}

@Test("gemm with beta = 0 ignores what C held (NaN included), contiguous or strided")
func gemmBetaZeroIgnoresOutput() {
    // A (2, 3), B (3, 2): C = A B
    let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, 0, 1, 1, 1]
    let expected: [Float] = [4, 5, 10, 11]
    var c = [Float](repeating: .nan, count: 4)
    BLAS.gemm(transA: false, transB: false, m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
    #expect(c == expected)
    // C stored with row stride 3: the third column must stay untouched.
    var wide: [Float] = [.nan, .nan, 7, .nan, .nan, 8]
    BLAS.gemm(transA: false, transB: false, m: 2, n: 2, k: 3, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &wide, ldc: 3)
    #expect(Array(wide[0..<2]) == [4, 5] && Array(wide[3..<5]) == [10, 11])
    #expect(wide[2] == 7 && wide[5] == 8)
    // Products left to OpenBLAS's small-matrix kernel with beta = 0 (m n k <= 100^3), an output
    // cleared here (m n <= 2^16 and m n k above 100^3) and one left to OpenBLAS's blocked path, with
    // a row stride past each row: NaN in C never shows, the padding stays.
    for (m, n, k) in [(16, 100, 16), (16, 300, 16), (4, 300, 1000), (200, 400, 40)] {
        let a = (0..<m * k).map { Float($0 % 7) - 3 }, b = (0..<k * n).map { Float($0 % 5) - 2 }
        let ldc = n + 5
        var c = [Float](repeating: .nan, count: m * ldc)
        for r in 0..<m { for j in n..<ldc { c[r * ldc + j] = -9 } }
        BLAS.gemm(transA: false, transB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, beta: 0, c: &c, ldc: ldc)
        var wrong = 0
        for r in 0..<m {
            for j in 0..<n {
                var sum: Float = 0
                for i in 0..<k { sum += a[r * k + i] * b[i * n + j] }  // small integers: exact in any order
                if c[r * ldc + j] != sum { wrong += 1 }
            }
            for j in n..<ldc where c[r * ldc + j] != -9 { wrong += 1 }
        }
        #expect(wrong == 0, "m \(m) n \(n) k \(k)")
    }
}

@Test("resize(rows:columns:) and resize(rows:rowShapeOf:) set the shape and keep storage")
func rowResizes() {
    let t = Tensor(zeros: [4, 3])
    let storage = t.data
    t.resize(rows: 2, columns: 3)
    #expect(t.shape == [2, 3] && t.count == 6 && t.data == storage)
    t.resize(rows: 2, columns: 3)
    #expect(t.shape == [2, 3])
    let template = Tensor(zeros: [10, 1, 2, 2])
    t.resize(rows: 3, rowShapeOf: template)
    #expect(t.shape == [3, 1, 2, 2] && t.count == 12)
    t.resize(rows: 5, rowShapeOf: Tensor(zeros: [7]))
    #expect(t.shape == [5] && t.count == 5)
    t.resize([2, 2])
    #expect(t.shape == [2, 2] && t.count == 4)
}

@Test("thin products (n = 1, m = 1, k = 1) match the naive kernel for every transpose, beta 0 and 1",
      arguments: [(7, 1, 5), (1, 6, 5), (7, 6, 1), (1, 1, 4), (1, 5, 1), (6, 1, 1)])
func thinProductsMatchNaive(m: Int, n: Int, k: Int) {
    var rng = RandomSource(seed: UInt64(m * 100 + n * 10 + k))
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a = Tensor.uniform(ta ? [k, m] : [m, k], -1, 1, using: &rng)
        let b = Tensor.uniform(tb ? [n, k] : [k, n], -1, 1, using: &rng)
        let ref = naiveMatmul(a, b, ta: ta, tb: tb)
        let start = Tensor.uniform([m, n], -1, 1, using: &rng)
        for beta: Float in [0, 1] {
            let c = start.copy()
            BLAS.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a.data, lda: a.shape[1],
                      b: b.data, ldb: b.shape[1], beta: beta, c: c.data, ldc: n)
            for i in 0..<(m * n) {
                let expected = 0.5 * ref[flat: i] + beta * start[flat: i]
                #expect(abs(c[flat: i] - expected) < 1e-5, "m \(m) n \(n) k \(k) ta \(ta) tb \(tb) beta \(beta)")
            }
        }
    }
}
