/// Winograd's minimal filtering algorithms F(2x2, 3x3) and F(4x4, 3x3) for 3x3 stride-1
/// convolutions (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015,
/// arXiv:1509.09308).
///
/// The output is cut into m x m tiles (m = 2 or 4); each reads an (m+2) x (m+2) input patch `d`
/// (zero outside the image). With `U = G g Gᵀ` for every 3x3 filter `g` and `V = Bᵀ d B` for
/// every patch, a tile's output is `Aᵀ [Σ_c U(o, c) ⊙ V(c, tile)] A`: the (m+2)² element-wise sums
/// are (m+2)² matrix products `M[ξ] (O, T) = U[ξ] (O, C) x V[ξ] (C, T)` over all T tiles at once.
/// F(2x2, 3x3) does 16 multiplies per tile and channel pair instead of im2col's 36 (2.25x fewer),
/// F(4x4, 3x3) 36 instead of 144 (4x fewer).
///
/// Layouts: `U` is `(points, O, C)` (or `(points, C, O)` for the flipped filters of the input
/// gradient), `V` is `(points, C, T)` and `M` is `(points, O, T)`, tile
/// `t = (b * tilesHigh + ty) * tilesWide + tx`, `points` = (m+2)².
///
/// F(2x2, 3x3)'s transforms only add, subtract and halve, so its result differs from the direct
/// sum by a few ulps of the inputs' magnitudes; F(4x4, 3x3)'s by about 14 times more
/// (`WinogradTests` bound both against float64).
public enum Winograd {
    /// The output tile: F(2x2, 3x3) (4x4 patches, 16 products) or F(4x4, 3x3) (6x6 patches, 36
    /// products, 1.78x fewer multiplies per output than F(2x2, 3x3), about 14 times its rounding
    /// error; `Winograd+F4x4.swift`).
    ///
    /// `Conv2D`'s automatic choice takes F(2x2, 3x3) only. F(4x4, 3x3)'s transforms take about
    /// 1.5x the work per output with 128-bit vectors (Swift's x86-64 baseline): measured per layer
    /// (`sculpt bench --profile --profile-model cnn|vgg --conv-algorithm winograd|winograd4x4`, one
    /// thread, forward + backward), it was 3% faster to 24% slower than F(2x2, 3x3) on the 16- to
    /// 64-channel layers of 28x28 and 14x14 outputs (median 12% slower over seven pairs), level
    /// (-5% to +1%) on 7x7 ones, and level with im2col on VGG16's 3x3 outputs of 128 channels,
    /// where F(2x2, 3x3) does not pay. With 256-bit AVX vectors (the default native build, two
    /// threads, two alternated profiles) it was still 4% faster to 19% slower than F(2x2, 3x3) on
    /// W7's six layers of 28x28 to 7x7 outputs. It is there to be chosen (`.winograd4x4`) and
    /// measured on machines with wider vectors (AVX-512).
    public enum Tile: Int, Sendable, CaseIterable {
        case f2x2 = 2
        case f4x4 = 4

        /// Outputs per tile side (m).
        public var outputSize: Int { rawValue }
        /// Input patch side, m + 2.
        public var patchSize: Int { rawValue + 2 }
        /// Products per tile and channel pair: the number of planes of `U`, `V` and `M`.
        public var points: Int { patchSize * patchSize }
        /// The point of `Ŷ = A dY Aᵀ` that holds each tile's sum of `dY` (row 1, column 1: row 1 of
        /// `A` is all ones in both tiles), so a bias gradient sums this one plane of the transformed
        /// gradient instead of reading `dy` again.
        public var sumPoint: Int { patchSize + 1 }
    }

    /// The tile grid for an output of `outputHeight x outputWidth`: ceil(OH / m) x ceil(OW / m).
    @inline(__always)
    public static func tiles(outputHeight: Int, outputWidth: Int, tile: Tile) -> (high: Int, wide: Int) {
        let m = tile.outputSize
        return ((outputHeight + m - 1) / m, (outputWidth + m - 1) / m)
    }

    /// Multiplies per channel pair for an `outputHeight x outputWidth` output, counting the
    /// outputs that cropped tiles compute and drop.
    public static func multiplies(outputHeight: Int, outputWidth: Int, tile: Tile) -> Int {
        let (th, tw) = tiles(outputHeight: outputHeight, outputWidth: outputWidth, tile: tile)
        return tile.points * th * tw
    }

    /// Whether Winograd with `tile` does clearly fewer multiplies than im2col for an
    /// `outputHeight x outputWidth` output: at most 0.6 of im2col's 9 per output pixel, counting
    /// the pixels that cropped tiles waste.
    public static func pays(outputHeight: Int, outputWidth: Int, tile: Tile) -> Bool {
        guard outputHeight >= 1 && outputWidth >= 1 else { return false }
        return multiplies(outputHeight: outputHeight, outputWidth: outputWidth, tile: tile) * 5
            <= 9 * outputHeight * outputWidth * 3
    }

    /// The leading dimension of `V` and `M` for `tiles` tiles: the transforms run over rows of
    /// tiles eight at a time and may write or read up to 7 entries past the last tile.
    @inline(__always)
    public static func leadingDimension(tiles: Int) -> Int { tiles + 8 }

    /// Writes `U = G g Gᵀ` for every filter of `w` (O, C, 3, 3) into `u`: `(points, O, C)`, or
    /// with `flipped`, the filters of the input gradient, `g'(c, o)[i][j] = g(o, c)[2 - i][2 - j]`,
    /// as `(points, C, O)`. Split by output filters over the `Parallel` workers (each writes its
    /// own entries): it runs before every Winograd pass, and on one thread it was ~0.9 ms of W7's
    /// step with the other core idle.
    public static func transformFilters(_ w: UnsafePointer<Float>, outputs o: Int, inputs c: Int, flipped: Bool,
                                        tile: Tile, into u: UnsafeMutablePointer<Float>) {
        Parallel.forRanges(count: o, work: o * c * tile.points) { filters in
            switch tile {
            case .f2x2: transformFilters2(w, outputs: o, inputs: c, flipped: flipped, filters: filters, into: u)
            case .f4x4: transformFilters4(w, outputs: o, inputs: c, flipped: flipped, filters: filters, into: u)
            }
        }
    }

    /// Writes `V = Bᵀ d B` for every input patch of samples `x` (S, C, H, W) into `v`
    /// `(points, C, ld)`, for a 3x3 stride-1 convolution with zero `padding`; `ld` is at least
    /// `leadingDimension(tiles: S * tilesHigh * tilesWide)`.
    public static func transformInput(_ x: UnsafePointer<Float>, samples: Int, channels: Int, height h: Int,
                                      width w: Int, padding p: Int, tile: Tile, into v: UnsafeMutablePointer<Float>,
                                      tiles ld: Int) {
        switch tile {
        case .f2x2:
            transformInput2(x, samples: samples, channels: channels, height: h, width: w, padding: p, into: v, tiles: ld)
        case .f4x4:
            transformInput4(x, samples: samples, channels: channels, height: h, width: w, padding: p, into: v, tiles: ld)
        }
    }

    /// Writes `Ŷ = A dY Aᵀ` for every output-gradient tile of `dy` (S, O, OH, OW) into `g`
    /// `(points, O, ld)`, tiles as in `transformInput` (the missing rows or columns of a cropped
    /// tile are zero). With `V` of the layer's input, the filter gradient is
    /// `dW = Gᵀ [Σ_tiles Ŷ ⊙ V] G` (see `accumulateFilterGradient`).
    public static func transformGradient(_ dy: UnsafePointer<Float>, samples: Int, channels: Int, outputHeight oh: Int,
                                         outputWidth ow: Int, tile: Tile, into g: UnsafeMutablePointer<Float>,
                                         tiles ld: Int) {
        switch tile {
        case .f2x2:
            transformGradient2(dy, samples: samples, channels: channels, outputHeight: oh, outputWidth: ow, into: g,
                               tiles: ld)
        case .f4x4:
            transformGradient4(dy, samples: samples, channels: channels, outputHeight: oh, outputWidth: ow, into: g,
                               tiles: ld)
        }
    }

    /// Adds `Gᵀ dU G` (3x3) for every filter to `dw` (O, C, 3, 3), from `du` `(points, O, C)`: the
    /// filter gradient summed over tiles in the transformed domain. With `partials`, `du` first
    /// becomes `du + partials[0] + partials[1] + ...` (in that order: the workers' sums of a
    /// threaded pass). Split by filters over the `Parallel` workers: it runs after every Winograd
    /// backward pass, and on one thread the other core waited.
    public static func accumulateFilterGradient(_ du: UnsafeMutablePointer<Float>,
                                                partials: [UnsafeMutablePointer<Float>] = [], outputs o: Int,
                                                inputs c: Int, tile: Tile, into dw: UnsafeMutablePointer<Float>) {
        let plane = o * c, points = tile.points
        Parallel.forRanges(count: plane, work: plane * points * (partials.count + 1)) { filters in
            for partial in partials {
                for xi in 0..<points {
                    let at = xi * plane + filters.lowerBound
                    let sum = du + at, add = partial + at
                    for i in 0..<filters.count { sum[i] += add[i] }
                }
            }
            switch tile {
            case .f2x2: accumulateFilterGradient2(du, outputs: o, inputs: c, filters: filters, into: dw)
            case .f4x4: accumulateFilterGradient4(du, outputs: o, inputs: c, filters: filters, into: dw)
            }
        }
    }

    /// Writes `y = Aᵀ M A` (+ `bias`) for every tile of `m` `(points, O, ld)` into `y`
    /// (S, O, OH, OW), cropping the last row and column of tiles where OH or OW is not a multiple
    /// of the tile; `ld` as for `transformInput`.
    public static func transformOutput(_ m: UnsafePointer<Float>, tiles ld: Int, samples: Int, channels o: Int,
                                       outputHeight oh: Int, outputWidth ow: Int, tile: Tile,
                                       bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
        switch tile {
        case .f2x2:
            transformOutput2(m, tiles: ld, samples: samples, channels: o, outputHeight: oh, outputWidth: ow,
                             bias: bias, into: y)
        case .f4x4:
            transformOutput4(m, tiles: ld, samples: samples, channels: o, outputHeight: oh, outputWidth: ow,
                             bias: bias, into: y)
        }
    }

    // F(2x2, 3x3)

    /// Writes `U = G g Gᵀ` for the filters of outputs `filters` of `w` (O, C, 3, 3) into `u`:
    /// `(16, O, C)`, or with `flipped`, the filters of the input gradient,
    /// `g'(c, o)[i][j] = g(o, c)[2 - i][2 - j]`, as `(16, C, O)`.
    static func transformFilters2(_ w: UnsafePointer<Float>, outputs o: Int, inputs c: Int, flipped: Bool,
                                  filters: Range<Int>, into u: UnsafeMutablePointer<Float>) {
        let plane = o * c
        for oc in filters {
            for ic in 0..<c {
                let g = w + (oc * c + ic) * 9
                // rows of g (flipped: rows and columns reversed)
                var r = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
                if flipped {
                    r.0 = SIMD4(g[8], g[7], g[6], 0)
                    r.1 = SIMD4(g[5], g[4], g[3], 0)
                    r.2 = SIMD4(g[2], g[1], g[0], 0)
                } else {
                    r.0 = SIMD4(g[0], g[1], g[2], 0)
                    r.1 = SIMD4(g[3], g[4], g[5], 0)
                    r.2 = SIMD4(g[6], g[7], g[8], 0)
                }
                // G g: 4 rows of 3
                let t0 = r.0, t1 = 0.5 * (r.0 + r.1 + r.2), t2 = 0.5 * (r.0 - r.1 + r.2), t3 = r.2
                let at = u + (flipped ? ic * o + oc : oc * c + ic)
                // (G g) Gᵀ: each row (a, b, c) -> (a, (a + b + c) / 2, (a - b + c) / 2, c)
                @inline(__always) func store(_ t: SIMD4<Float>, _ first: Int) {
                    at[first * plane] = t[0]
                    at[(first + 1) * plane] = 0.5 * (t[0] + t[1] + t[2])
                    at[(first + 2) * plane] = 0.5 * (t[0] - t[1] + t[2])
                    at[(first + 3) * plane] = t[2]
                }
                store(t0, 0); store(t1, 4); store(t2, 8); store(t3, 12)
            }
        }
    }

    /// Writes `V = Bᵀ d B` for every 4x4 input patch of samples `x` (S, C, H, W) into `v`
    /// `(16, C, ld)`, for a 3x3 stride-1 convolution with zero `padding`; `ld` is at least
    /// `leadingDimension(tiles: S * tilesHigh * tilesWide)`.
    ///
    /// Each plane is split into its even and odd columns (zero-padded): a patch's columns are
    /// then `even[tx]`, `odd[tx]`, `even[tx + 1]`, `odd[tx + 1]`, so eight neighbouring tiles are
    /// one 8-wide vector per row and column, and `V` is written eight tiles at a time. Rows of
    /// four tiles (7x7 and 8x8 outputs) go two at a time (`tileLanes`): one row per vector left
    /// half of its lanes computing tiles that the next row then overwrote (the transforms of
    /// W7's 7x7 layers took 1.6x as long).
    static func transformInput2(_ x: UnsafePointer<Float>, samples: Int, channels: Int, height h: Int,
                                      width w: Int, padding p: Int, into v: UnsafeMutablePointer<Float>,
                                      tiles ld: Int) {
        let oh = h + 2 * p - 2, ow = w + 2 * p - 2
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f2x2)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd V too small")
        // padded rows (two more for a last, half-used pair of tile rows); row stride of the even / odd planes
        let ph = 2 * th + 4, rw = tw + 1 + 8, pairs = tw == 4, rs = rw * 4  // rs: bytes per padded row
        let plane = channels * ld, perSample = th * tw
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * ph * rw) { buffer in
            let even = buffer.baseAddress!, odd = even + ph * rw
            even.initialize(repeating: 0, count: 2 * ph * rw)  // the borders stay zero
            let e = UnsafeRawPointer(even), o = UnsafeRawPointer(odd)
            for c in 0..<channels {
                for b in 0..<samples {
                    splitColumns(x + (b * channels + c) * h * w, height: h, width: w, padding: p, even: even, odd: odd,
                                 rowStride: rw)
                    let out = UnsafeMutableRawPointer(v + c * ld + b * perSample)
                    var ty = 0
                    while ty < th {
                        // the tile row's first patch row in the even and odd planes, and its first tile in V: the loads
                        // take constant offsets from these (offsets computed from ty and tx at every load carried an
                        // overflow check each, 4-11% of the transform's time)
                        let eRow = e + 2 * ty * rs, oRow = o + 2 * ty * rs, atRow = out + ty * tw * 4
                        var tx = 0
                        while tx < tw {
                            let eAt = eRow + tx * 4, oAt = oRow + tx * 4
                            @inline(__always) func row(_ base: UnsafeRawPointer, _ r: Int, _ shift: Int) -> SIMD8<Float> {
                                tileLanes(base, at: r * rw + shift, nextRow: 2 * rw, pairs: pairs)
                            }
                            // Bᵀ d on the four rows, for the even and odd columns at tx and tx + 1
                            let (ea, eb) = rowsTransform(row(eAt, 0, 0), row(eAt, 1, 0), row(eAt, 2, 0), row(eAt, 3, 0))
                            let (ec, ed) = rowsTransform(row(eAt, 0, 1), row(eAt, 1, 1), row(eAt, 2, 1), row(eAt, 3, 1))
                            let (oa, ob) = rowsTransform(row(oAt, 0, 0), row(oAt, 1, 0), row(oAt, 2, 0), row(oAt, 3, 0))
                            let (oc, od) = rowsTransform(row(oAt, 0, 1), row(oAt, 1, 1), row(oAt, 2, 1), row(oAt, 3, 1))
                            let at = atRow + tx * 4
                            // (Bᵀ d) B on each row k: columns (d0, d1, d2, d3) = (even, odd, even + 1, odd + 1)
                            columnsTransform(ea.0, oa.0, ec.0, oc.0, at, 0, plane)
                            columnsTransform(ea.1, oa.1, ec.1, oc.1, at, 4, plane)
                            columnsTransform(eb.0, ob.0, ed.0, od.0, at, 8, plane)
                            columnsTransform(eb.1, ob.1, ed.1, od.1, at, 12, plane)
                            tx += 8
                        }
                        ty += pairs ? 2 : 1
                    }
                }
            }
        }
    }

    /// Copies the `h x w` plane `x` into zero-padded planes of its even and odd columns: image
    /// pixel (i, q) is padded pixel (i + p, q + p), which lands in `even` (`odd` when q + p is odd)
    /// at row i + p, column (q + p) / 2. Only the image area is written: the borders keep what the
    /// caller put there (zeros).
    @inline(__always)
    private static func splitColumns(_ x: UnsafePointer<Float>, height h: Int, width w: Int, padding p: Int,
                                     even: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>,
                                     rowStride rw: Int) {
        let evenColumns = p & 1 == 0 ? even : odd, oddColumns = p & 1 == 0 ? odd : even
        let evenShift = p >> 1, oddShift = (p + 1) >> 1
        for i in 0..<h {
            // 16, then 8 columns at a time, then one by one
            let src = x + i * w, raw = UnsafeRawPointer(src)
            let re = evenColumns + (i + p) * rw + evenShift, ro = oddColumns + (i + p) * rw + oddShift
            var q = 0
            while q + 16 <= w {
                let v = raw.loadUnaligned(fromByteOffset: q * 4, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(re + q / 2).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(ro + q / 2).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                q += 16
            }
            if q + 8 <= w {
                let v = raw.loadUnaligned(fromByteOffset: q * 4, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(re + q / 2).storeBytes(of: v.evenHalf, as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(ro + q / 2).storeBytes(of: v.oddHalf, as: SIMD4<Float>.self)
                q += 8
            }
            if q + 4 <= w {
                let v = raw.loadUnaligned(fromByteOffset: q * 4, as: SIMD4<Float>.self)
                UnsafeMutableRawPointer(re + q / 2).storeBytes(of: v.evenHalf, as: SIMD2<Float>.self)
                UnsafeMutableRawPointer(ro + q / 2).storeBytes(of: v.oddHalf, as: SIMD2<Float>.self)
                q += 4
            }
            if q + 2 <= w { re[q / 2] = src[q]; ro[q / 2] = src[q + 1]; q += 2 }
            if q < w { re[q / 2] = src[q] }
        }
    }

    /// Eight tiles' values, `SIMD8` lanes in tile order, from a plane of rows `nextRow / 2` floats
    /// apart: the eight floats at `offset`, or with `pairs` (tile rows of four tiles, a 7x7 or 8x8
    /// output) four at `offset` and four at `offset + nextRow`, the same place in the next tile row,
    /// so that no lane computes a tile past the row's end (tile `t + 4` is the next row's first).
    @inline(__always)
    private static func tileLanes(_ base: UnsafeRawPointer, at offset: Int, nextRow: Int, pairs: Bool) -> SIMD8<Float> {
        guard pairs else { return base.loadUnaligned(fromByteOffset: offset * 4, as: SIMD8<Float>.self) }
        return SIMD8(lowHalf: base.loadUnaligned(fromByteOffset: offset * 4, as: SIMD4<Float>.self),
                     highHalf: base.loadUnaligned(fromByteOffset: (offset + nextRow) * 4, as: SIMD4<Float>.self))
    }

    /// Bᵀ applied to four rows: (d0 - d2, d1 + d2) and (d2 - d1, d1 - d3).
    @inline(__always)
    private static func rowsTransform(_ d0: SIMD8<Float>, _ d1: SIMD8<Float>, _ d2: SIMD8<Float>, _ d3: SIMD8<Float>)
        -> ((SIMD8<Float>, SIMD8<Float>), (SIMD8<Float>, SIMD8<Float>))
    {
        ((d0 - d2, d1 + d2), (d2 - d1, d1 - d3))
    }

    /// `t B` of one transformed row `(t0, t1, t2, t3)` for eight tiles, stored at planes `first ..< first + 4`.
    @inline(__always)
    private static func columnsTransform(_ t0: SIMD8<Float>, _ t1: SIMD8<Float>, _ t2: SIMD8<Float>,
                                         _ t3: SIMD8<Float>, _ at: UnsafeMutableRawPointer, _ first: Int,
                                         _ plane: Int) {
        at.storeBytes(of: t0 - t2, toByteOffset: first * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: t1 + t2, toByteOffset: (first + 1) * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: t2 - t1, toByteOffset: (first + 2) * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: t1 - t3, toByteOffset: (first + 3) * plane * 4, as: SIMD8<Float>.self)
    }

    /// Writes `Ŷ = A dY Aᵀ` for every 2x2 output-gradient tile of `dy` (S, O, OH, OW) into `g`
    /// `(16, O, ld)`, tiles as in `transformInput` (the missing row or column of a cropped tile is
    /// zero); `ld` as for `transformInput`. With `V` of the layer's input, the filter gradient
    /// is `dW = Gᵀ [Σ_tiles Ŷ ⊙ V] G` (see `accumulateFilterGradient`).
    static func transformGradient2(_ dy: UnsafePointer<Float>, samples: Int, channels: Int, outputHeight oh: Int,
                                         outputWidth ow: Int, into g: UnsafeMutablePointer<Float>, tiles ld: Int) {
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f2x2)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd gradient tiles too small")
        let ph = 2 * th + 2, rw = tw + 8, pairs = tw == 4  // two rows more for a last, half-used pair of tile rows
        let plane = channels * ld, perSample = th * tw
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * ph * rw) { buffer in
            let even = buffer.baseAddress!, odd = even + ph * rw
            even.initialize(repeating: 0, count: 2 * ph * rw)  // a cropped tile's missing pixels stay zero
            let e = UnsafeRawPointer(even), o = UnsafeRawPointer(odd)
            for c in 0..<channels {
                for b in 0..<samples {
                    splitColumns(dy + (b * channels + c) * oh * ow, height: oh, width: ow, padding: 0, even: even,
                                 odd: odd, rowStride: rw)
                    let out = UnsafeMutableRawPointer(g + c * ld + b * perSample)
                    var ty = 0
                    while ty < th {
                        var tx = 0
                        while tx < tw {
                            @inline(__always) func row(_ base: UnsafeRawPointer, _ r: Int) -> SIMD8<Float> {
                                tileLanes(base, at: (2 * ty + r) * rw + tx, nextRow: 2 * rw, pairs: pairs)
                            }
                            // A dY: rows (g0, g0 + g1, g0 - g1, -g1), for the even (a) and odd (b) columns
                            let a0 = row(e, 0), a1 = row(e, 1), b0 = row(o, 0), b1 = row(o, 1)
                            let at = out + (ty * tw + tx) * 4
                            // (A dY) Aᵀ on each row (a, b): (a, a + b, a - b, -b)
                            expand(a0, b0, at, 0, plane)
                            expand(a0 + a1, b0 + b1, at, 4, plane)
                            expand(a0 - a1, b0 - b1, at, 8, plane)
                            expand(-a1, -b1, at, 12, plane)
                            tx += 8
                        }
                        ty += pairs ? 2 : 1
                    }
                }
            }
        }
    }

    /// `(a, b) Aᵀ = (a, a + b, a - b, -b)` for eight tiles, stored at planes `first ..< first + 4`.
    @inline(__always)
    private static func expand(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ at: UnsafeMutableRawPointer, _ first: Int,
                               _ plane: Int) {
        at.storeBytes(of: a, toByteOffset: first * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: a + b, toByteOffset: (first + 1) * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: a - b, toByteOffset: (first + 2) * plane * 4, as: SIMD8<Float>.self)
        at.storeBytes(of: -b, toByteOffset: (first + 3) * plane * 4, as: SIMD8<Float>.self)
    }

    /// Adds `Gᵀ dU G` (3x3) to `dw` (O, C, 3, 3) for the filters `filters` (indices `o * C + c`),
    /// from `du` `(16, O, C)`: the filter gradient summed over tiles in the transformed domain.
    static func accumulateFilterGradient2(_ du: UnsafePointer<Float>, outputs o: Int, inputs c: Int,
                                          filters: Range<Int>, into dw: UnsafeMutablePointer<Float>) {
        let plane = o * c
        for f in filters {
            let m0 = SIMD4(du[f], du[plane + f], du[2 * plane + f], du[3 * plane + f])
            let m1 = SIMD4(du[4 * plane + f], du[5 * plane + f], du[6 * plane + f], du[7 * plane + f])
            let m2 = SIMD4(du[8 * plane + f], du[9 * plane + f], du[10 * plane + f], du[11 * plane + f])
            let m3 = SIMD4(du[12 * plane + f], du[13 * plane + f], du[14 * plane + f], du[15 * plane + f])
            // Gᵀ M: rows (m0 + (m1 + m2) / 2, (m1 - m2) / 2, (m1 + m2) / 2 + m3); then the same on columns
            let q0 = m0 + 0.5 * (m1 + m2), q1 = 0.5 * (m1 - m2), q2 = 0.5 * (m1 + m2) + m3
            let g = dw + f * 9
            @inline(__always) func add(_ q: SIMD4<Float>, _ row: Int) {
                g[3 * row] += q[0] + 0.5 * (q[1] + q[2])
                g[3 * row + 1] += 0.5 * (q[1] - q[2])
                g[3 * row + 2] += 0.5 * (q[1] + q[2]) + q[3]
            }
            add(q0, 0); add(q1, 1); add(q2, 2)
        }
    }

    /// Writes `y = Aᵀ M A` (+ `bias`) for every tile of `m` `(16, O, ld)` into `y` (S, O, OH, OW),
    /// cropping the last row and column of tiles when OH or OW is odd; `ld` as for `transformInput`.
    ///
    /// Eight tiles of a row at a time: their 2x2 outputs are interleaved into two 16-wide rows
    /// of a scratch plane, whose image part is then copied out. Rows of four tiles (a 7x7 or 8x8
    /// output) go two at a time, as in `transformInput`: each 16-wide row then holds eight outputs
    /// of two output rows. Offsets use wrapping arithmetic (they are bounded by the precondition):
    /// with an overflow check on each the transform took up to twice the time. The input and
    /// gradient transforms keep checked arithmetic: unchecked, LLVM kept their sixteen store
    /// pointers on the stack and they got slower.
    static func transformOutput2(_ m: UnsafePointer<Float>, tiles ld: Int, samples: Int, channels o: Int,
                                       outputHeight oh: Int, outputWidth ow: Int, bias: UnsafePointer<Float>?,
                                       into y: UnsafeMutablePointer<Float>) {
        let (th, tw) = tiles(outputHeight: oh, outputWidth: ow, tile: .f2x2)
        precondition(ld >= leadingDimension(tiles: samples * th * tw), "Winograd M too small")
        let plane = o * ld, perSample = th * tw, sw = 2 * tw + 16  // scratch row stride
        let pairs = tw == 4, rows = 2 * th + 2  // two rows more for a last, half-used pair of tile rows
        withUnsafeTemporaryAllocation(of: Float.self, capacity: rows * sw) { buffer in
            let scratch = buffer.baseAddress!, out = UnsafeMutableRawPointer(scratch)
            // the outputs of eight tiles at `at`: two rows of 16 (a tile's 2x2 in neighbouring lanes)
            @inline(__always) func outputs(_ at: UnsafeRawPointer, _ beta: SIMD8<Float>)
                -> (top: SIMD16<Float>, bottom: SIMD16<Float>) {
                @inline(__always) func mm(_ xi: Int) -> SIMD8<Float> {
                    at.loadUnaligned(fromByteOffset: xi &* plane &* 4, as: SIMD8<Float>.self)
                }
                // Aᵀ M: s0 = rows 0 + 1 + 2, s1 = rows 1 - 2 - 3; then the same on columns
                let s00 = mm(0) + mm(4) + mm(8), s01 = mm(1) + mm(5) + mm(9)
                let s02 = mm(2) + mm(6) + mm(10), s03 = mm(3) + mm(7) + mm(11)
                let s10 = mm(4) - mm(8) - mm(12), s11 = mm(5) - mm(9) - mm(13)
                let s12 = mm(6) - mm(10) - mm(14), s13 = mm(7) - mm(11) - mm(15)
                var top = SIMD16<Float>(), bottom = SIMD16<Float>()
                top.evenHalf = s00 + s01 + s02 + beta
                top.oddHalf = s01 - s02 - s03 + beta
                bottom.evenHalf = s10 + s11 + s12 + beta
                bottom.oddHalf = s11 - s12 - s13 + beta
                return (top, bottom)
            }
            for oc in 0..<o {
                let beta = SIMD8<Float>(repeating: bias?[oc] ?? 0)
                for b in 0..<samples {
                    let src = UnsafeRawPointer(m + oc * ld + b * perSample), dst = y + (b * o + oc) * oh * ow
                    if pairs {
                        // lanes 0-3 are tile row ty, lanes 4-7 tile row ty + 1: `top` holds output rows
                        // 2 ty and 2 ty + 2, `bottom` rows 2 ty + 1 and 2 ty + 3, eight outputs each; a pair
                        // of tile rows takes 32 floats of the scratch, in the row order 0, 2, 1, 3
                        for ty in stride(from: 0, to: th, by: 2) {
                            let (top, bottom) = outputs(src + ty &* tw &* 4, beta)
                            out.storeBytes(of: top, toByteOffset: ty &* 64, as: SIMD16<Float>.self)
                            out.storeBytes(of: bottom, toByteOffset: ty &* 64 &+ 64, as: SIMD16<Float>.self)
                        }
                        for r in 0..<oh {
                            let at = (r >> 2) &* 32 &+ 8 &* ((r & 1) &* 2 &+ (r & 3) >> 1)
                            copyShort(from: scratch + at, to: dst + r &* ow, count: ow)
                        }
                    } else {
                        for ty in 0..<th {
                            var tx = 0
                            while tx < tw {
                                let (top, bottom) = outputs(src + (ty &* tw &+ tx) &* 4, beta)
                                let at = (2 &* ty &* sw &+ 2 &* tx) &* 4
                                out.storeBytes(of: top, toByteOffset: at, as: SIMD16<Float>.self)
                                out.storeBytes(of: bottom, toByteOffset: at &+ sw &* 4, as: SIMD16<Float>.self)
                                tx &+= 8
                            }
                        }
                        for r in 0..<oh { copyShort(from: scratch + r &* sw, to: dst + r &* ow, count: ow) }
                    }
                }
            }
        }
    }
}
