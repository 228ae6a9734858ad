import Testing
import SculptCore

/// F(2x2, 3x3)'s three data transforms against their per-tile formulas, written out one scalar at
/// a time in the order the vector code documents (`Winograd.swift`), so that the comparison is bit
/// for bit. The outputs cover every tile-row width from 1 to 9: a row of up to eight tiles is one
/// vector, a row of exactly four (7x7 and 8x8 outputs) shares its vector with the next tile row,
/// including a last row without a partner (an odd number of tile rows).
@Suite("Winograd F(2x2, 3x3) transforms")
struct WinogradTransformTests {
    /// Output sizes (OH, OW): tile rows of 1-9 tiles, odd and even tile-row counts.
    static let outputs = [(7, 7), (8, 8), (5, 7), (6, 8), (1, 8), (9, 7), (3, 3), (4, 2), (11, 5), (2, 12),
                          (13, 17), (6, 1)]

    /// Samples and channels of every case.
    static let samples = 3, channels = 2

    /// Value `i` of a deterministic test pattern that has no two equal neighbours.
    static func pattern(_ i: Int, _ salt: Int) -> Float { Float((i * 7919 + salt * 104_729) % 2001) / 1000 - 1 }

    /// The tile grid of an `oh x ow` output and the `(16, channels, ld)` planes that `transform(input,
    /// planes, ld)` writes over NaN.
    static func planes(of input: [Float], outputHeight oh: Int, outputWidth ow: Int,
                       _ transform: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void)
        -> (values: [Float], tilesHigh: Int, tilesWide: Int, ld: Int) {
        let (th, tw) = Winograd.tiles(outputHeight: oh, outputWidth: ow, tile: .f2x2)
        let ld = Winograd.leadingDimension(tiles: samples * th * tw)
        var values = [Float](repeating: .nan, count: 16 * channels * ld)
        input.withUnsafeBufferPointer { i in
            values.withUnsafeMutableBufferPointer { v in transform(i.baseAddress!, v.baseAddress!, ld) }
        }
        return (values, th, tw, ld)
    }

    /// Calls `body(b, c, ty, tx, t)` for every sample, channel and tile; `t` is the tile's index in a plane.
    static func forEachTile(tilesHigh th: Int, tilesWide tw: Int, _ body: (Int, Int, Int, Int, Int) -> Void) {
        for b in 0..<samples {
            for c in 0..<channels {
                for ty in 0..<th {
                    for tx in 0..<tw { body(b, c, ty, tx, b * th * tw + ty * tw + tx) }
                }
            }
        }
    }

    @Test("the input transform Bᵀ d B equals its formula bit for bit, padding 0-2, every tile-row width")
    func inputTransform() {
        let samples = Self.samples, channels = Self.channels
        for (oh, ow) in Self.outputs {
            for p in 0...2 {
                let h = oh + 2 - 2 * p, w = ow + 2 - 2 * p
                guard h >= 1 && w >= 1 else { continue }
                let x = (0..<samples * channels * h * w).map { Self.pattern($0, oh * 31 + ow + p) }
                let (v, th, tw, ld) = Self.planes(of: x, outputHeight: oh, outputWidth: ow) { xs, vs, ld in
                    Winograd.transformInput(xs, samples: samples, channels: channels, height: h, width: w, padding: p,
                                            tile: .f2x2, into: vs, tiles: ld)
                }
                var mismatches = 0
                Self.forEachTile(tilesHigh: th, tilesWide: tw) { b, c, ty, tx, tile in
                    // the 4x4 patch, zero outside the image
                    var d = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                    for r in 0..<4 {
                        for q in 0..<4 {
                            let i = 2 * ty + r - p, j = 2 * tx + q - p
                            if i >= 0 && i < h && j >= 0 && j < w { d[r][q] = x[((b * channels + c) * h + i) * w + j] }
                        }
                    }
                    // Bᵀ d, column by column, then each row (t0, t1, t2, t3) -> (t0 - t2, t1 + t2, t2 - t1, t1 - t3)
                    var t = [[Float]](repeating: [0, 0, 0, 0], count: 4)
                    for q in 0..<4 {
                        t[0][q] = d[0][q] - d[2][q]; t[1][q] = d[1][q] + d[2][q]
                        t[2][q] = d[2][q] - d[1][q]; t[3][q] = d[1][q] - d[3][q]
                    }
                    for k in 0..<4 {
                        let row = [t[k][0] - t[k][2], t[k][1] + t[k][2], t[k][2] - t[k][1], t[k][1] - t[k][3]]
                        for j in 0..<4 where v[((4 * k + j) * channels + c) * ld + tile].bitPattern != row[j].bitPattern {
                            mismatches += 1
                        }
                    }
                }
                #expect(mismatches == 0, "output \(oh)x\(ow), padding \(p)")
            }
        }
    }

    @Test("the gradient transform A dY Aᵀ equals its formula bit for bit, cropped tiles as zeros, every tile-row width")
    func gradientTransform() {
        let samples = Self.samples, channels = Self.channels
        for (oh, ow) in Self.outputs {
            let dy = (0..<samples * channels * oh * ow).map { Self.pattern($0, oh * 17 + ow) }
            let (g, th, tw, ld) = Self.planes(of: dy, outputHeight: oh, outputWidth: ow) { ds, gs, ld in
                Winograd.transformGradient(ds, samples: samples, channels: channels, outputHeight: oh, outputWidth: ow,
                                           tile: .f2x2, into: gs, tiles: ld)
            }
            var mismatches = 0
            Self.forEachTile(tilesHigh: th, tilesWide: tw) { b, c, ty, tx, tile in
                func at(_ r: Int, _ q: Int) -> Float {
                    let i = 2 * ty + r, j = 2 * tx + q
                    return i < oh && j < ow ? dy[((b * channels + c) * oh + i) * ow + j] : 0
                }
                // A dY: rows (g0, g0 + g1, g0 - g1, -g1); each row (a, b) -> (a, a + b, a - b, -b), where a
                // vector's -b is 0 - b (so -0 is +0, unlike a scalar's sign flip)
                func neg(_ v: Float) -> Float { 0 - v }
                let rows = [(at(0, 0), at(0, 1)), (at(0, 0) + at(1, 0), at(0, 1) + at(1, 1)),
                            (at(0, 0) - at(1, 0), at(0, 1) - at(1, 1)), (neg(at(1, 0)), neg(at(1, 1)))]
                for (k, (a, e)) in rows.enumerated() {
                    for (j, value) in [a, a + e, a - e, neg(e)].enumerated()
                    where g[((4 * k + j) * channels + c) * ld + tile].bitPattern != value.bitPattern {
                        mismatches += 1
                    }
                }
            }
            #expect(mismatches == 0, "output \(oh)x\(ow)")
        }
    }

    @Test("the output transform Aᵀ M A + bias equals its formula bit for bit, cropped, every tile-row width")
    func outputTransform() {
        let samples = Self.samples, channels = Self.channels
        let bias: [Float] = [0.25, -1.5]
        for (oh, ow) in Self.outputs {
            let (th, tw) = Winograd.tiles(outputHeight: oh, outputWidth: ow, tile: .f2x2)
            let ld = Winograd.leadingDimension(tiles: samples * th * tw)
            let m = (0..<16 * channels * ld).map { Self.pattern($0, oh * 13 + ow) }
            var y = [Float](repeating: .nan, count: samples * channels * oh * ow)
            m.withUnsafeBufferPointer { ms in
                y.withUnsafeMutableBufferPointer { ys in
                    bias.withUnsafeBufferPointer { bs in
                        Winograd.transformOutput(ms.baseAddress!, tiles: ld, samples: samples, channels: channels,
                                                 outputHeight: oh, outputWidth: ow, tile: .f2x2, bias: bs.baseAddress!,
                                                 into: ys.baseAddress!)
                    }
                }
            }
            var mismatches = 0
            Self.forEachTile(tilesHigh: th, tilesWide: tw) { b, c, ty, tx, tile in
                func mm(_ xi: Int) -> Float { m[(xi * channels + c) * ld + tile] }
                // Aᵀ M: s0 = rows 0 + 1 + 2, s1 = rows 1 - 2 - 3; then the same on columns
                let s0 = (0..<4).map { mm($0) + mm(4 + $0) + mm(8 + $0) }
                let s1 = (0..<4).map { mm(4 + $0) - mm(8 + $0) - mm(12 + $0) }
                let out = [[s0[0] + s0[1] + s0[2] + bias[c], s0[1] - s0[2] - s0[3] + bias[c]],
                           [s1[0] + s1[1] + s1[2] + bias[c], s1[1] - s1[2] - s1[3] + bias[c]]]
                for r in 0..<2 {
                    for q in 0..<2 where 2 * ty + r < oh && 2 * tx + q < ow {
                        let value = y[((b * channels + c) * oh + 2 * ty + r) * ow + 2 * tx + q]
                        if value.bitPattern != out[r][q].bitPattern { mismatches += 1 }
                    }
                }
            }
            #expect(mismatches == 0, "output \(oh)x\(ow)")
            #expect(!y.contains { $0.isNaN }, "output \(oh)x\(ow): every output written")
        }
    }
}
