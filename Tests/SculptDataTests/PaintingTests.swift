import Testing
import Foundation
import SculptCore
@testable import SculptData

@Test("the square covers exactly |x| < 0.25 and |y| < 0.25 (the W1 image)")
func square() throws {
    let p = try Painting(shape: .square, size: 64)
    var expected: Float = 0
    for i in 0..<64 { for j in 0..<64 {
        let x = Painting.coordinate(j, size: 64), y = Painting.coordinate(i, size: 64)
        let inside: Float = abs(x) < 0.25 && abs(y) < 0.25 ? 1 : 0
        #expect(p.pixels[i, j] == inside)
        expected += inside
    } }
    #expect(p.pixels.sum() == expected)
    let d = p.dataset
    #expect(d.count == 4096 && d.inputShape == [2] && d.targetShape == [1])
    #expect(d.inputs[0, 0] == -0.5 && d.inputs[4095, 1] == 0.5)
}

@Test(
    "shapes contain their centre and not the corners",
    arguments: ["square", "triangle", "circle", "polygon:5", "star", "star:7", "rectangle"])
func shapes(text: String) throws {
    let shape = try PaintingShape(parsing: text)
    #expect(shape.contains(x: 0, y: 0.01))
    #expect(!shape.contains(x: 0.49, y: 0.49))
    #expect(try PaintingShape(parsing: shape.description) == shape)
}

@Test("the six-pointed star's edges lie on six lines")
func hexagram() throws {
    guard let v = PaintingShape.star(points: 6).vertices else { Issue.record("no vertices"); return }
    #expect(v.count == 12)
    // Outer point k, inner point k+1 and outer point k+4 (mod 12) are collinear (one triangle's edge).
    for k in stride(from: 0, to: 12, by: 2) {
        let a = v[k], b = v[(k + 1) % 12], c = v[(k + 3) % 12]
        let cross = (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
        #expect(abs(cross) < 1e-12)
    }
}

@Test("bad shapes and sizes are named in the error")
func badInput() {
    #expect(throws: PaintingError.self) { try PaintingShape(parsing: "blob") }
    #expect(throws: PaintingError.self) { try PaintingShape(parsing: "polygon:2") }
    #expect(throws: PaintingError.self) { try PaintingShape(parsing: "polygon:x") }
    #expect(throws: PaintingError.invalidSize(1)) { try Painting(shape: .square, size: 1) }
    #expect(throws: FileError.self) { try Painting(shape: .image(path: "/nonexistent.pgm"), size: 8) }
}

@Test("PGM files (binary and ASCII) are read and resampled")
func pgm() throws {
    let dir = FileManager.default.temporaryDirectory.path
    let p5 = dir + "/sculpt-test-\(getpid()).pgm"
    try writeFileAtomically(Array("P5\n# comment\n2 2\n255\n".utf8) + [0, 255, 255, 0], to: p5)
    let img = try GrayscaleImage(contentsOf: p5)
    #expect(img.width == 2 && img.values == [0, 1, 1, 0])
    let painting = try Painting(shape: .image(path: p5), size: 4)
    #expect(painting.pixels.scalars == [0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0])
    let p2 = dir + "/sculpt-test-\(getpid())-ascii.pgm"
    try writeFileAtomically(Array("P2 2 1 4\n0 4\n".utf8), to: p2)
    #expect(try GrayscaleImage(contentsOf: p2).values == [0, 1])
    let truncated = dir + "/sculpt-test-\(getpid())-short.pgm"
    try writeFileAtomically(Array("P5 4 4 255\n".utf8) + [1, 2], to: truncated)
    #expect(throws: PaintingError.self) { try GrayscaleImage(contentsOf: truncated) }
    for f in [p5, p2, truncated] { try? FileManager.default.removeItem(atPath: f) }
}

@Test("atomic writes replace the file and leave no temporary behind")
func atomicWrite() throws {
    let dir = FileManager.default.temporaryDirectory.path + "/sculpt-atomic-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try writeFileAtomically([1, 2, 3], to: dir + "/f")
    try writeFileAtomically([4], to: dir + "/f")
    #expect(try readFileBytes(dir + "/f") == [4])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f"])
    #expect(throws: FileError.self) { try writeFileAtomically([1], to: dir + "/missing/f") }
    try FileManager.default.removeItem(atPath: dir)
}

@Test("TensorDataset fills batches with the requested rows")
func batches() {
    let d = TensorDataset(inputs: Tensor([0, 1, 2, 3, 4, 5], shape: [3, 2]), targets: Tensor([10, 11, 12], shape: [3]))
    let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
    d.fillBatch(indices: [2, 0], inputs: x, targets: y)
    #expect(x.shape == [2, 2] && x.scalars == [4, 5, 0, 1])
    #expect(y.scalars == [12, 10])
}
