import Testing
import SculptCore
@testable import SculptData

#if canImport(Glibc)
import Glibc
#endif

private func temporaryPath(_ name: String) -> String { "/tmp/sculpt-imagefile-\(getpid())-\(name)" }

@Suite struct ImageFileTests {
    @Test func pngFileReadsAsLuminance() throws {
        // Pixels: red, green, blue, white.
        let path = temporaryPath("rgb.png")
        defer { unlink(path) }
        try writeFileAtomically(
            try PNG.encode(rgb: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255], width: 2, height: 2), to: path)
        let image = try GrayscaleImage(contentsOf: path)
        #expect(image.width == 2 && image.height == 2)
        let expected: [Float] = [0.299, 0.587, 0.114, 1]
        for (v, e) in zip(image.values, expected) { #expect(abs(v - e) < 1e-6) }
    }

    @Test func grayPNGPaintsTheSameAsThePixels() throws {
        let path = temporaryPath("gray.png")
        defer { unlink(path) }
        let pixels: [UInt8] = [0, 255, 255, 0]
        try writeFileAtomically(try PNG.encode(gray: pixels, width: 2, height: 2), to: path)
        let painting = try Painting(shape: .image(path: path), size: 2)
        #expect(painting.pixels.scalars == [0, 1, 1, 0])
    }

    @Test func corruptPNGIsAnUnreadableImageAndAMissingFileCannotBeOpened() throws {
        let path = temporaryPath("bad.png")
        defer { unlink(path) }
        var bytes = try PNG.encode(gray: [1, 2, 3, 4], width: 2, height: 2)
        bytes[20] ^= 0xFF
        try writeFileAtomically(bytes, to: path)
        #expect { try GrayscaleImage(contentsOf: path) } throws: { error in
            guard case PaintingError.unreadableImage(path: path, let reason) = error else { return false }
            return reason.contains("CRC")
        }
        #expect { try GrayscaleImage(contentsOf: temporaryPath("missing.png")) } throws: { error in
            if case FileError.cannotOpen = error { return true }
            return false
        }
    }

    @Test func absurdPGMHeaderIsAnErrorNotAnOverflow() throws {
        let path = temporaryPath("huge.pgm")
        defer { unlink(path) }
        try writeFileAtomically(Array("P5 99999999999999999999999 1 255\n".utf8) + [0], to: path)
        #expect(throws: PaintingError.self) { try GrayscaleImage(contentsOf: path) }
        try writeFileAtomically(Array("P5 4000000000 4000000000 255\n".utf8) + [0], to: path)
        #expect(throws: PaintingError.self) { try GrayscaleImage(contentsOf: path) }
    }

    @Test func shapeTextRoundTripsThroughCodable() throws {
        for text in ["square", "triangle", "polygon:5", "star:6", "circle", "rectangle:0.5:0.25", "image:/a/b:c.png"] {
            let shape = try PaintingShape(parsing: text)
            #expect(try PaintingShape(parsing: shape.description) == shape)
        }
    }
}

@Suite struct PaintingEdgeTests {
    /// At size 5 the coordinates are -0.5, -0.25, 0, 0.25, 0.5: the square's edges fall on the grid,
    /// and |x| < 0.25, |y| < 0.25 leaves only the centre pixel (ray casting used to give a shifted 2x2 block).
    @Test func squareIsSymmetricWhenEdgesFallOnTheGrid() throws {
        let p = try Painting(shape: .square, size: 5)
        var expected = [Float](repeating: 0, count: 25)
        expected[12] = 1
        #expect(p.pixels.scalars == expected)
        let q = try Painting(shape: .square, size: 65)
        for i in 0..<65 {
            for j in 0..<65 {
                #expect(q.pixels[i, j] == q.pixels[64 - i, j] && q.pixels[i, j] == q.pixels[i, 64 - j])
            }
        }
    }

    @Test func rectangleIsSymmetricToo() throws {
        let p = try Painting(shape: .rectangle(width: 0.5, height: 0.5), size: 9)
        #expect(p.pixels.scalars.reduce(0, +) == 9)  // x, y in {-0.125, 0, 0.125}
        #expect(p.pixels.scalars == (try Painting(shape: .square, size: 9)).pixels.scalars)
    }
}
