/// F(4x4, 3x3): 4x4 output tiles from 6x6 input patches, with Lavin & Gray's interpolation
/// points 0, ±1, ±2 and ∞ ("Fast Algorithms for Convolutional Neural Networks", 2015,
/// arXiv:1509.09308, section 4.2):
///
///     Bᵀ = | 4  0 -5  0  1  0 |    G = |  1/4     0     0 |    Aᵀ = | 1  1  1  1  1  0 |
///          | 0 -4 -4  1  1  0 |        | -1/6  -1/6  -1/6 |         | 0  1 -1  2 -2  0 |
///          | 0  4 -4 -1  1  0 |        | -1/6   1/6  -1/6 |         | 0  1  1  4  4  0 |
///          | 0 -2 -1  2  1  0 |        | 1/24  1/12   1/6 |         | 0  1 -1  8 -8  1 |
///          | 0  2 -1 -2  1  0 |        | 1/24 -1/12   1/6 |
///          | 0  4  0 -5  0  1 |        |    0     0     1 |
///
/// 36 products per tile and channel pair give 16 outputs: 2.25 multiplies per output against
/// F(2x2, 3x3)'s 4 and im2col's 9. The transforms multiply by 2, 4, 5, 8 and 1/24 ... 1/4, so the
/// rounding error grows: on `WinogradTests`' 48-channel layer, against float64, the largest error
/// is 7.6e-6 against F(2x2, 3x3)'s 5.3e-7 and im2col's 6.6e-7 (outputs of about 0.3).
///
/// Layouts are those of F(2x2, 3x3) with 36 planes instead of 16: `U (36, O, C)`, `V (36, C, ld)`,
/// `M (36, O, ld)`; plane `6 r + k` holds row r, column k of each 6x6 tile.
extension Winograd {
    typealias Lanes = SIMD8<Float>
    typealias Six = (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)

    /// Bᵀ d for one column (or, applied to a row, d B) of eight patches.
    @inline(__always)
    static func inputTransform6(_ d: Six) -> Six {
        let a = d.4 - 4 * d.2, b = d.3 - 4 * d.1, c = d.4 - d.2, e = 2 * (d.3 - d.1)
        return (4 * d.0 - 5 * d.2 + d.4, a + b, a - b, c + e, c - e, 4 * d.1 - 5 * d.3 + d.5)
    }

    /// Aᵀ m: the four outputs of one column (or row) of six products.
    @inline(__always)
    static func outputTransform6(_ m: Six) -> (Lanes, Lanes, Lanes, Lanes) {
        let s1 = m.1 + m.2, t1 = m.1 - m.2, s2 = m.3 + m.4, t2 = m.3 - m.4
        return (m.0 + s1 + s2, t1 + 2 * t2, s1 + 4 * s2, t1 + 8 * t2 + m.5)
    }

    /// A y: the six transformed gradients of one column (or row) of four output gradients.
    @inline(__always)
    static func gradientTransform6(_ y0: Lanes, _ y1: Lanes, _ y2: Lanes, _ y3: Lanes) -> Six {
        let e = y0 + y2, o = y1 + y3, e2 = y0 + 4 * y2, o2 = 2 * y1 + 8 * y3
        return (y0, e + o, e - o, e2 + o2, e2 - o2, y3)
    }

    /// G g for one column (or row) of a 3x3 filter.
    @inline(__always)
    static func filterTransform6(_ a: Float, _ b: Float, _ c: Float) -> (Float, Float, Float, Float, Float, Float) {
        let ac = a + c, quarter = a / 24 + c / 6, twelfth = b / 12
        return (a / 4, -(ac + b) / 6, -(ac - b) / 6, quarter + twelfth, quarter - twelfth, c)
    }

    /// Gᵀ m for one column (or row) of six filter-gradient products.
    @inline(__always)
    static func filterGradientTransform3(_ m: (Float, Float, Float, Float, Float, Float)) -> (Float, Float, Float) {
        let s1 = m.1 + m.2, s2 = m.3 + m.4
        return (m.0 / 4 - s1 / 6 + s2 / 24, (m.2 - m.1) / 6 + (m.3 - m.4) / 12, (s2 - s1) / 6 + m.5)
    }

    /// Stores six vectors of eight tiles at `byteOffset`, `byteOffset + stride`, ... of `base`.
    @inline(__always)
    static func storeSix(_ s: Six, to base: UnsafeMutableRawPointer, byteOffset: Int, stride: Int) {
        base.storeBytes(of: s.0, toByteOffset: byteOffset, as: Lanes.self)
        base.storeBytes(of: s.1, toByteOffset: byteOffset + stride, as: Lanes.self)
        base.storeBytes(of: s.2, toByteOffset: byteOffset + 2 * stride, as: Lanes.self)
        base.storeBytes(of: s.3, toByteOffset: byteOffset + 3 * stride, as: Lanes.self)
        base.storeBytes(of: s.4, toByteOffset: byteOffset + 4 * stride, as: Lanes.self)
        base.storeBytes(of: s.5, toByteOffset: byteOffset + 5 * stride, as: Lanes.self)
    }

    /// Gathers the tile columns of one `h x w` plane for a chunk laid out tile row by tile row:
    /// array `j` (of `columns`, `arrayStride` floats apart) at row `r < rows` and position
    /// `offset + tx` holds pixel (r, 4 tx + j) of the plane zero-padded by `p` on the top and
    /// left (and by zeros up to `rows` and the tiles' width on the bottom and right).
    ///
    /// The plane is copied into `padded` (`rows` rows of `paddedWidth(tilesWide:)` floats, its
    /// borders zero as the caller left them), whose rows are then split four tiles at a time by
    /// 16-wide loads; each array row may be written up to 3 positions past `offset + tw` (the
    /// next sample's segment, written after, or the row's slack).
    @inline(__always)
    static func gatherTileColumns(_ x: UnsafePointer<Float>, height h: Int, width w: Int, padding p: Int,
                                  rows: Int, columns: Int, tilesWide tw: Int, padded: UnsafeMutablePointer<Float>,
                                  into a: UnsafeMutablePointer<Float>, arrayStride: Int, rowStride: Int,
                                  offset: Int) {
        let pw = paddedWidth(tilesWide: tw)
        for i in 0..<h { copyShort(from: x + i * w, to: padded + (i + p) * pw + p, count: w) }
        let source = UnsafeRawPointer(padded)
        for r in 0..<rows {
            for j in 0..<columns {
                let dst = UnsafeMutableRawPointer(a + j * arrayStride + r * rowStride + offset)
                var tx = 0
                while tx < tw {
                    let v = source.loadUnaligned(fromByteOffset: (r * pw + 4 * tx + j) * 4, as: SIMD16<Float>.self)
                    dst.storeBytes(of: v.evenHalf.evenHalf, toByteOffset: tx * 4, as: SIMD4<Float>.self)
                    tx += 4
                }
            }
        }
    }

    /// The row stride of `gatherTileColumns`'s padded plane: the tiles' 4 tw + 2 columns and the
    /// reach of its last 16-wide load.
    @inline(__always)
    static func paddedWidth(tilesWide tw: Int) -> Int { 4 * tw + 20 }

    /// F(4x4, 3x3)'s `U` (36 planes) for the filters of outputs `filters`, as `transformFilters2`.
    static func transformFilters4(_ w: UnsafePointer<Float>, outputs o: Int, inputs c: Int, flipped: Bool,
                                  filters: Range<Int>, into u: UnsafeMutablePointer<Float>) {
        let plane = o * c
        for oc in filters {
            for ic in 0..<c {
                let g = w + (oc * c + ic) * 9
                @inline(__always) func tap(_ i: Int, _ j: Int) -> Float { flipped ? g[8 - 3 * i - j] : g[3 * i + j] }
                // G g: six rows of three
                let c0 = filterTransform6(tap(0, 0), tap(1, 0), tap(2, 0))
                let c1 = filterTransform6(tap(0, 1), tap(1, 1), tap(2, 1))
                let c2 = filterTransform6(tap(0, 2), tap(1, 2), tap(2, 2))
                let at = u + (flipped ? ic * o + oc : oc * c + ic)
                @inline(__always) func store(_ r: Int, _ a: Float, _ b: Float, _ cc: Float) {
                    let t = filterTransform6(a, b, cc)
                    at[(6 * r) * plane] = t.0
                    at[(6 * r + 1) * plane] = t.1
                    at[(6 * r + 2) * plane] = t.2
                    at[(6 * r + 3) * plane] = t.3
                    at[(6 * r + 4) * plane] = t.4
                    at[(6 * r + 5) * plane] = t.5
                }
                store(0, c0.0, c1.0, c2.0); store(1, c0.1, c1.1, c2.1); store(2, c0.2, c1.2, c2.2)
                store(3, c0.3, c1.3, c2.3); store(4, c0.4, c1.4, c2.4); store(5, c0.5, c1.5, c2.5)
            }
        }
    }

    /// F(4x4, 3x3)'s V, its tiles ordered tile row by tile row across the chunk's samples,
    /// `t = (ty * S + b) * tilesWide + tx`, so that eight lanes stay full when a plane is only a few
    /// tiles wide (14x14 outputs have 4, 7x7 ones 2). `transformGradient4` and `transformOutput4`
    /// use the same order.
    static func transformInput4(_ x: UnsafePointer<Float>, samples: Int, channels: Int, height h: Int, width w: Int,
                                padding p: Int, into v: UnsafeMutablePointer<Float>, tiles ld: Int) {
        let oh = h + 2 * p - 2, ow = w + 2 * p - 2
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f4x4)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd V too small")
        let rowTiles = samples * tw, rs = rowTiles + 8, rows = 4 * th + 2, arrayStride = rows * rs
        let plane = channels * ld, paddedCount = rows * paddedWidth(tilesWide: tw)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 6 * arrayStride + 36 * 8 + paddedCount) { buffer in
            let arrays = buffer.baseAddress!
            arrays.initialize(repeating: 0, count: 6 * arrayStride)  // the rows' slack is read by the last lanes
            let columns = UnsafeMutableRawPointer(arrays + 6 * arrayStride)  // Bᵀ d, 36 vectors of 8 tiles
            let padded = arrays + 6 * arrayStride + 36 * 8
            padded.initialize(repeating: 0, count: paddedCount)  // the borders stay zero
            let source = UnsafeRawPointer(arrays)
            for c in 0..<channels {
                for b in 0..<samples {
                    gatherTileColumns(x + (b * channels + c) * h * w, height: h, width: w, padding: p, rows: rows,
                                      columns: 6, tilesWide: tw, padded: padded, into: arrays,
                                      arrayStride: arrayStride, rowStride: rs, offset: b * tw)
                }
                let out = UnsafeMutableRawPointer(v + c * ld)
                for ty in 0..<th {
                    var f = 0
                    while f < rowTiles {
                        @inline(__always) func d(_ i: Int, _ j: Int) -> Lanes {
                            source.loadUnaligned(fromByteOffset: (j * arrayStride + (4 * ty + i) * rs + f) * 4,
                                                 as: Lanes.self)
                        }
                        // Bᵀ d, column by column: vector 6 r + j holds row r, column j
                        for j in 0..<6 {
                            let t = inputTransform6((d(0, j), d(1, j), d(2, j), d(3, j), d(4, j), d(5, j)))
                            storeSix(t, to: columns, byteOffset: j * 32, stride: 6 * 32)
                        }
                        // (Bᵀ d) B, row by row, into planes 6 r ..< 6 r + 6
                        let at = out + (ty * rowTiles + f) * 4
                        for r in 0..<6 {
                            @inline(__always) func t(_ j: Int) -> Lanes {
                                columns.load(fromByteOffset: (6 * r + j) * 32, as: Lanes.self)
                            }
                            let s = inputTransform6((t(0), t(1), t(2), t(3), t(4), t(5)))
                            storeSix(s, to: at, byteOffset: 6 * r * plane * 4, stride: plane * 4)
                        }
                        f += 8
                    }
                }
            }
        }
    }

    /// F(4x4, 3x3)'s Ŷ, tiles in `transformInput4`'s order.
    static func transformGradient4(_ dy: UnsafePointer<Float>, samples: Int, channels: Int, outputHeight oh: Int,
                                   outputWidth ow: Int, into g: UnsafeMutablePointer<Float>, tiles ld: Int) {
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f4x4)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd gradient tiles too small")
        let rowTiles = samples * tw, rs = rowTiles + 8, rows = 4 * th, arrayStride = rows * rs
        let plane = channels * ld, paddedCount = rows * paddedWidth(tilesWide: tw)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * arrayStride + 24 * 8 + paddedCount) { buffer in
            let arrays = buffer.baseAddress!
            arrays.initialize(repeating: 0, count: 4 * arrayStride)  // the rows' slack is read by the last lanes
            let columns = UnsafeMutableRawPointer(arrays + 4 * arrayStride)  // A dY, 24 vectors of 8 tiles
            let padded = arrays + 4 * arrayStride + 24 * 8
            padded.initialize(repeating: 0, count: paddedCount)  // a cropped tile's missing pixels stay zero
            let source = UnsafeRawPointer(arrays)
            for c in 0..<channels {
                for b in 0..<samples {
                    gatherTileColumns(dy + (b * channels + c) * oh * ow, height: oh, width: ow, padding: 0, rows: rows,
                                      columns: 4, tilesWide: tw, padded: padded, into: arrays,
                                      arrayStride: arrayStride, rowStride: rs, offset: b * tw)
                }
                let out = UnsafeMutableRawPointer(g + c * ld)
                for ty in 0..<th {
                    var f = 0
                    while f < rowTiles {
                        @inline(__always) func y(_ i: Int, _ j: Int) -> Lanes {
                            source.loadUnaligned(fromByteOffset: (j * arrayStride + (4 * ty + i) * rs + f) * 4,
                                                 as: Lanes.self)
                        }
                        // A dY, column by column: six rows of four, vector 4 r + j holding row r, column j
                        for j in 0..<4 {
                            let t = gradientTransform6(y(0, j), y(1, j), y(2, j), y(3, j))
                            storeSix(t, to: columns, byteOffset: j * 32, stride: 4 * 32)
                        }
                        // (A dY) Aᵀ, row by row, into planes 6 r ..< 6 r + 6
                        let at = out + (ty * rowTiles + f) * 4
                        for r in 0..<6 {
                            @inline(__always) func t(_ j: Int) -> Lanes {
                                columns.load(fromByteOffset: (4 * r + j) * 32, as: Lanes.self)
                            }
                            let s = gradientTransform6(t(0), t(1), t(2), t(3))
                            storeSix(s, to: at, byteOffset: 6 * r * plane * 4, stride: plane * 4)
                        }
                        f += 8
                    }
                }
            }
        }
    }

    static func accumulateFilterGradient4(_ du: UnsafePointer<Float>, outputs o: Int, inputs c: Int,
                                          filters: Range<Int>, into dw: UnsafeMutablePointer<Float>) {
        let plane = o * c
        for f in filters {
            @inline(__always) func m(_ r: Int, _ k: Int) -> Float { du[(6 * r + k) * plane + f] }
            // Gᵀ M, column by column: three rows of six; then Gᵀ on each row
            @inline(__always) func column(_ k: Int) -> (Float, Float, Float) {
                filterGradientTransform3((m(0, k), m(1, k), m(2, k), m(3, k), m(4, k), m(5, k)))
            }
            let k0 = column(0), k1 = column(1), k2 = column(2), k3 = column(3), k4 = column(4), k5 = column(5)
            let g = dw + f * 9
            @inline(__always) func add(_ i: Int, _ row: (Float, Float, Float, Float, Float, Float)) {
                let t = filterGradientTransform3(row)
                g[3 * i] += t.0
                g[3 * i + 1] += t.1
                g[3 * i + 2] += t.2
            }
            add(0, (k0.0, k1.0, k2.0, k3.0, k4.0, k5.0))
            add(1, (k0.1, k1.1, k2.1, k3.1, k4.1, k5.1))
            add(2, (k0.2, k1.2, k2.2, k3.2, k4.2, k5.2))
        }
    }

    /// F(4x4, 3x3)'s y = Aᵀ M A (+ bias), tiles in `transformInput4`'s order: a tile row of all
    /// the chunk's samples is written, eight tiles at a time, into four scratch rows whose image
    /// parts are then copied out sample by sample.
    static func transformOutput4(_ m: UnsafePointer<Float>, tiles ld: Int, samples: Int, channels o: Int,
                                 outputHeight oh: Int, outputWidth ow: Int, bias: UnsafePointer<Float>?,
                                 into y: UnsafeMutablePointer<Float>) {
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f4x4)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd M too small")
        let plane = o * ld, rowTiles = samples * tw, sw = 4 * rowTiles + 32  // scratch row stride
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * sw + 24 * 8) { buffer in
            let scratch = buffer.baseAddress!, out = UnsafeMutableRawPointer(scratch)
            let columns = UnsafeMutableRawPointer(scratch + 4 * sw)  // Aᵀ M, 24 vectors of 8 tiles
            for oc in 0..<o {
                let beta = Lanes(repeating: bias?[oc] ?? 0)
                let src = UnsafeRawPointer(m + oc * ld)
                for ty in 0..<th {
                    var f = 0
                    while f < rowTiles {
                        let at = src + (ty * rowTiles + f) * 4
                        @inline(__always) func mm(_ r: Int, _ k: Int) -> Lanes {
                            at.loadUnaligned(fromByteOffset: (6 * r + k) * plane * 4, as: Lanes.self)
                        }
                        // Aᵀ M, column by column: four rows of six
                        for k in 0..<6 {
                            let s = outputTransform6((mm(0, k), mm(1, k), mm(2, k), mm(3, k), mm(4, k), mm(5, k)))
                            columns.storeBytes(of: s.0, toByteOffset: k * 32, as: Lanes.self)
                            columns.storeBytes(of: s.1, toByteOffset: (6 + k) * 32, as: Lanes.self)
                            columns.storeBytes(of: s.2, toByteOffset: (12 + k) * 32, as: Lanes.self)
                            columns.storeBytes(of: s.3, toByteOffset: (18 + k) * 32, as: Lanes.self)
                        }
                        // (Aᵀ M) A, row by row; the four outputs of each tile interleaved into 32-wide rows
                        for i in 0..<4 {
                            @inline(__always) func s(_ k: Int) -> Lanes {
                                columns.load(fromByteOffset: (6 * i + k) * 32, as: Lanes.self)
                            }
                            let r = outputTransform6((s(0), s(1), s(2), s(3), s(4), s(5)))
                            var even = SIMD16<Float>(), odd = SIMD16<Float>(), row = SIMD32<Float>()
                            even.evenHalf = r.0 + beta; even.oddHalf = r.2 + beta
                            odd.evenHalf = r.1 + beta; odd.oddHalf = r.3 + beta
                            row.evenHalf = even; row.oddHalf = odd
                            out.storeBytes(of: row, toByteOffset: (i * sw + 4 * f) * 4, as: SIMD32<Float>.self)
                        }
                        f += 8
                    }
                    for b in 0..<samples {
                        let dst = y + (b * o + oc) * oh * ow
                        for i in 0..<Swift.min(4, oh - 4 * ty) {
                            (dst + (4 * ty + i) * ow).update(from: scratch + i * sw + 4 * b * tw, count: ow)
                        }
                    }
                }
            }
        }
    }
}
