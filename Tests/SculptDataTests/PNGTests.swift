import Testing
@testable import SculptData

/// A zlib stream with one stored (uncompressed) block, built by hand so decoding tests do not
/// depend on the encoder.
private func storedZlib(_ data: [UInt8]) -> [UInt8] {
    precondition(data.count < 65536)
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in data { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    let n = UInt16(data.count)
    return [0x78, 0x01, 0x01, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)] + data
        + [UInt8(b >> 8), UInt8(b & 0xFF), UInt8(a >> 8), UInt8(a & 0xFF)]
}

private func be32(_ v: Int) -> [UInt8] {
    [UInt8((v >> 24) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
}

private func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return be32(data.count) + body + be32(Int(Zlib.crc32(body)))
}

/// A PNG file from a header and already filtered scanlines.
private func handBuiltPNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, interlace: UInt8 = 0,
                          scanlines: [UInt8], palette: [UInt8]? = nil) -> [UInt8] {
    var file = PNG.signature
    file += chunk("IHDR", be32(width) + be32(height) + [bitDepth, colorType, 0, 0, interlace])
    if let palette { file += chunk("PLTE", palette) }
    file += chunk("IDAT", storedZlib(scanlines))
    file += chunk("IEND", [])
    return file
}

@Suite struct PNGTests {
    @Test func crcOfIENDIsTheWellKnownConstant() {
        #expect(Zlib.crc32(Array("IEND".utf8)) == 0xAE42_6082)
    }

    @Test func grayAndRGBRoundTripWithEveryFilterStrategy() throws {
        var state: UInt32 = 12345
        func nextByte() -> UInt8 { state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(state >> 24) }
        let (w, h) = (7, 5)
        // Smooth gradients plus noise, so every filter type gets used by the adaptive strategy.
        let gray = (0..<(w * h)).map { UInt8(($0 % w) * 30 + ($0 / w) * 7) &+ (nextByte() & 3) }
        let rgb = (0..<(w * h * 3)).map { _ in nextByte() }
        for strategy in [PNG.FilterStrategy.adaptive, .fixed(0), .fixed(1), .fixed(2), .fixed(3), .fixed(4)] {
            let g = try PNG.decode(try PNG.encode(gray: gray, width: w, height: h, filter: strategy))
            #expect(g.width == w && g.height == h && g.channels == 1 && g.maximumValue == 255)
            #expect(g.samples == gray.map(UInt16.init))
            let c = try PNG.decode(try PNG.encode(rgb: rgb, width: w, height: h, filter: strategy))
            #expect(c.channels == 3)
            #expect(c.samples == rgb.map(UInt16.init))
        }
    }

    @Test func encoderWritesTheStandardHeader() throws {
        let bytes = try PNG.encode(rgb: [1, 2, 3], width: 1, height: 1)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: length 13, "IHDR", width 1, height 1, depth 8, color type 2 (RGB).
        #expect(Array(bytes[8..<33].prefix(25)) == [0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]
            + Array(bytes[29..<33]))
        #expect(Array(bytes.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }

        /// The image [[10, 20], [30, 25]] filtered by hand with each filter type on both rows.
    static let filteredByHand: [(filter: UInt8, row0: [UInt8], row1: [UInt8])] = [
        (0, [10, 20], [30, 25]),
        (1, [10, 10], [30, 251]),   // Sub: 25 - 30 wraps to 251
        (2, [10, 20], [20, 5]),     // Up
        (3, [10, 15], [25, 0]),     // Average: 20 - (10 + 0) / 2, 30 - (0 + 10) / 2, 25 - (30 + 20) / 2
        (4, [10, 10], [20, 251]),   // Paeth picks a, a, b, a
    ]

    @Test(arguments: PNGTests.filteredByHand)
    func handBuiltGrayImageDecodesWithFilter(_ case: (filter: UInt8, row0: [UInt8], row1: [UInt8])) throws {
        let (filter, row0, row1) = `case`
        let file = handBuiltPNG(
            width: 2, height: 2, bitDepth: 8, colorType: 0, scanlines: [filter] + row0 + [filter] + row1)
        let image = try PNG.decode(file)
        #expect(image.width == 2 && image.height == 2 && image.channels == 1)
        #expect(image.samples == [10, 20, 30, 25])
    }

    @Test func rowsMayUseDifferentFilters() throws {
        let file = handBuiltPNG(width: 2, height: 2, bitDepth: 8, colorType: 0, scanlines: [0, 10, 20, 4, 20, 251])
        #expect(try PNG.decode(file).samples == [10, 20, 30, 25])
    }

    @Test func paletteGrayAlphaRGBAAndLowAndHighBitDepthsDecode() throws {
        // Palette: index 0 red, 1 white; a 3x1 image 1, 0, 1 at 8 bits.
        let palette = handBuiltPNG(width: 3, height: 1, bitDepth: 8, colorType: 3, scanlines: [0, 1, 0, 1],
                                   palette: [255, 0, 0, 255, 255, 255])
        let p = try PNG.decode(palette)
        #expect(p.channels == 3 && p.samples == [255, 255, 255, 255, 0, 0, 255, 255, 255])
        // Palette at 2 bits: indices 1, 0, 1 packed as 01 00 01 00 = 0x44.
        let packed = handBuiltPNG(width: 3, height: 1, bitDepth: 2, colorType: 3, scanlines: [0, 0x44],
                                  palette: [255, 0, 0, 255, 255, 255])
        #expect(try PNG.decode(packed).samples == p.samples)
        // Gray at 1 bit: 10 pixels 1011001110 -> bytes 0xB3, 0x80.
        let bits = try PNG.decode(
            handBuiltPNG(width: 10, height: 1, bitDepth: 1, colorType: 0, scanlines: [0, 0xB3, 0x80]))
        #expect(bits.maximumValue == 1 && bits.samples == [1, 0, 1, 1, 0, 0, 1, 1, 1, 0])
        // Gray at 16 bits, big-endian.
        let deep = try PNG.decode(
            handBuiltPNG(width: 2, height: 1, bitDepth: 16, colorType: 0, scanlines: [0, 0x12, 0x34, 0xFF, 0xFF]))
        #expect(deep.maximumValue == 65535 && deep.samples == [0x1234, 0xFFFF])
        #expect(deep.luminance == [Float(0x1234) / 65535, 1])
        // Gray + alpha: the second pixel is half transparent.
        let ga = try PNG.decode(
            handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 4, scanlines: [0, 255, 255, 200, 0]))
        #expect(ga.channels == 2 && ga.luminance == [1, 0])
        // RGBA: opaque pure green.
        let rgba = try PNG.decode(
            handBuiltPNG(width: 1, height: 1, bitDepth: 8, colorType: 6, scanlines: [0, 0, 255, 0, 255]))
        #expect(rgba.channels == 4 && abs(rgba.luminance[0] - 0.587) < 1e-6)
    }

    @Test func badSignatureIsReported() {
        #expect(throws: PNGError.badSignature) { try PNG.decode(Array("P5 2 2 255\n".utf8) + [0, 0, 0, 0]) }
        #expect(throws: PNGError.badSignature) { try PNG.decode([0x89, 0x50, 0x4E, 0x48]) }
    }

    @Test func flippedByteGivesBadCRC() throws {
        var file = try PNG.encode(gray: [1, 2, 3, 4], width: 2, height: 2)
        file[16] ^= 0x01  // inside IHDR's width field
        #expect { try PNG.decode(file) } throws: { error in
            guard case PNGError.badCRC(chunk: "IHDR", _, _) = error else { return false }
            return true
        }
    }

    @Test func everyTruncationThrows() throws {
        let file = try PNG.encode(rgb: (0..<48).map { UInt8($0 * 5) }, width: 4, height: 4)
        for n in 0..<file.count {
            #expect(throws: PNGError.self) { try PNG.decode(Array(file.prefix(n))) }
        }
        // Truncated pixel data with valid chunks: one row of a two-row image.
        let short = handBuiltPNG(width: 2, height: 2, bitDepth: 8, colorType: 0, scanlines: [0, 10, 20])
        #expect { try PNG.decode(short) } throws: { error in
            guard case PNGError.truncated = error else { return false }
            return true
        }
    }

    @Test func interlaceAndOddBitDepthsAreUnsupported() {
        let interlaced = handBuiltPNG(width: 1, height: 1, bitDepth: 8, colorType: 0, interlace: 1, scanlines: [0, 0])
        #expect(throws: PNGError.unsupportedInterlace(method: 1)) { try PNG.decode(interlaced) }
        let depth3 = handBuiltPNG(width: 1, height: 1, bitDepth: 3, colorType: 0, scanlines: [0, 0])
        #expect(throws: PNGError.unsupportedFormat(bitDepth: 3, colorType: 0)) { try PNG.decode(depth3) }
        let rgb4 = handBuiltPNG(width: 1, height: 1, bitDepth: 4, colorType: 2, scanlines: [0, 0])
        #expect(throws: PNGError.unsupportedFormat(bitDepth: 4, colorType: 2)) { try PNG.decode(rgb4) }
    }

    @Test func structuralErrorsAreTyped() {
        let badFilter = handBuiltPNG(width: 1, height: 1, bitDepth: 8, colorType: 0, scanlines: [5, 0])
        #expect(throws: PNGError.invalid("row 0 has filter type 5")) { try PNG.decode(badFilter) }
        let noPalette = handBuiltPNG(width: 1, height: 1, bitDepth: 8, colorType: 3, scanlines: [0, 0])
        #expect(throws: PNGError.self) { try PNG.decode(noPalette) }
        let badIndex = handBuiltPNG(
            width: 1, height: 1, bitDepth: 8, colorType: 3, scanlines: [0, 7], palette: [1, 2, 3])
        #expect(throws: PNGError.invalid("palette index 7 with 1 colors")) { try PNG.decode(badIndex) }
        var huge = PNG.signature
        huge += chunk("IHDR", be32(1 << 20) + be32(1 << 20) + [8, 0, 0, 0, 0])
        #expect(throws: PNGError.tooLarge(width: 1 << 20, height: 1 << 20)) { try PNG.decode(huge) }
    }

    /// Random corruption, with and without fixing the CRCs afterwards, never crashes the decoder.
    @Test func randomCorruptionNeverCrashes() throws {
        let original = try PNG.encode(rgb: (0..<(9 * 6 * 3)).map { UInt8(($0 * 37) % 256) }, width: 9, height: 6)
        var state: UInt64 = 99
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) % n
        }
        for trial in 0..<400 {
            var file = original
            for _ in 0..<(1 + next(3)) { file[8 + next(file.count - 8)] ^= UInt8(1 + next(255)) }
            if trial % 2 == 1 { file = recomputeCRCs(file) }
            do { _ = try PNG.decode(file) } catch is PNGError {} catch {
                Issue.record("unexpected error type \(error)")
            }
        }
    }

    /// Rewrites every chunk's CRC so corruption reaches the decoder's later stages.
    private func recomputeCRCs(_ file: [UInt8]) -> [UInt8] {
        var out = file, pos = 8
        while pos + 12 <= out.count {
            let length = Int(out[pos]) << 24 | Int(out[pos + 1]) << 16 | Int(out[pos + 2]) << 8 | Int(out[pos + 3])
            guard length >= 0, pos + 12 + length <= out.count else { break }
            let crc = be32(Int(Zlib.crc32(Array(out[(pos + 4)..<(pos + 8 + length)]))))
            out.replaceSubrange((pos + 8 + length)..<(pos + 12 + length), with: crc)
            pos += 12 + length
        }
        return out
    }
}
