/// Direct 3x3 stride-1 convolution on channel-minor ("NHWC") planes, vectorized over 16 output
/// channels a register: the layout of oneDNN's AVX-512 convolutions (nChw16c), without a JIT.
///
/// A sample's input is copied, zero-padded, into `(H + 2p) x (W + 2p) x C` (`packInput`); the
/// filters into blocks of `16 * lanes` outputs, `[block][kh][kw][c][16 * lanes]` (`packFilters`).
/// The kernel keeps a row segment of up to 14 output pixels times `lanes` vectors of 16 outputs in
/// registers (at most 28 accumulators; `DirectConvolution+Kernels.swift`, generated) and, for each tap and input channel, loads the `lanes`
/// filter vectors once and adds them times each pixel's input value (one broadcast per pixel).
/// No lane is wasted and every filter load is shared by a whole segment, so the loop runs near
/// the two FMA units' peak on AVX-512 (measured on an Intel Xeon, one core, 128 samples, layout
/// copies included: 110 GFLOP/s for 16 -> 16 on 28x28, where each product needs its own broadcast,
/// 142-156 for 16 to 64 channels on 14x14 and 7x7; the weight gradient 146-162; peak 175).
/// Winograd's F(2x2, 3x3) does 2.25x fewer multiplies but spends much of that on its transforms'
/// memory traffic and on sgemms too thin to run near peak when channels are few.
///
/// The input gradient is the same kernel on `dy` (padding `2 - p`) with the filters flipped and
/// transposed; the weight gradient (`accumulateFilterGradient`) keeps `channels x 9` taps of
/// `16 * lanes` outputs in registers and streams the pixels. Sums run in a fixed order (input
/// channels chunk by chunk, within a chunk by tap and then channel; pixels in order for dW,
/// added to the sum a group of rows at a time), with fused multiply-adds, so
/// results differ from im2col's sgemm in the last bits (tests bound both against float64).
///
/// Output channels (and, for the input gradient, input channels) must be a multiple of 16.
public enum DirectConvolution {
    public typealias Lanes = SIMD16<Float>
    /// Outputs per vector.
    public static let width = 16

    /// 64 zeros: the bias of a pass without one.
    nonisolated(unsafe) static let zeros: UnsafeMutablePointer<Float> = {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: 64)
        p.initialize(repeating: 0, count: 64)
        return p
    }()

    /// Whether `outputs` can be the vector dimension (a multiple of 16).
    public static func supports(outputs: Int) -> Bool { outputs > 0 && outputs % width == 0 }

    /// Vectors of 16 outputs the forward kernel keeps per pixel for `outputs` outputs: 4 (64
    /// outputs) or 2 (32) in segments of 7 pixels, else 1 in segments of 14.
    public static func lanes(outputs: Int) -> Int {
        outputs % 64 == 0 ? 4 : outputs % 32 == 0 ? 2 : 1
    }

    /// Pixels per row segment for `lanes` vectors: 28 accumulators at most.
    static func segment(lanes: Int) -> Int { lanes == 1 ? 14 : 7 }

    /// Floats `packFilters` writes: O * C * 9.
    public static func filterCount(outputs: Int, inputs: Int) -> Int { outputs * inputs * 9 }

    /// Input channels per pass of the forward kernel for `lanes` vectors: a pass's filters,
    /// `9 * chunk * 16 * lanes` floats (36 KB), stay in L1 while it sweeps the sample's rows (all
    /// 64 input channels of a 64-output block at once, 147 KB, ran at 0.87x the speed).
    public static func inputChunk(lanes: Int) -> Int { 64 / lanes }

    /// Writes `w` (O, C, 3, 3) as `[block][chunk][kh][kw][c in chunk][16 * lanes(O)]`, chunks of
    /// `inputChunk` input channels; with `flipped`, the filters of the input gradient,
    /// `w'(c, o)[i][j] = w(o, c)[2 - i][2 - j]`, blocked over C and chunked over O.
    public static func packFilters(_ w: UnsafePointer<Float>, outputs: Int, inputs: Int, flipped: Bool,
                                   into packed: UnsafeMutablePointer<Float>) {
        // the packed filters' "outputs" are the vectorized dimension
        let vo = flipped ? inputs : outputs, vi = flipped ? outputs : inputs
        let lanes = lanes(outputs: vo), block = width * lanes, chunk = inputChunk(lanes: lanes)
        for b in 0..<(vo / block) {
            for c0 in stride(from: 0, to: vi, by: chunk) {
                let cn = Swift.min(chunk, vi - c0)
                for t in 0..<9 {
                    let kh = t / 3, kw = t % 3
                    for i in c0..<(c0 + cn) {
                        let dst = packed + ((b * vi + c0) * 9 + t * cn + i - c0) * block
                        for j in 0..<block {
                            let oc = b * block + j
                            dst[j] = flipped
                                ? w[((i * inputs + oc) * 3 + 2 - kh) * 3 + 2 - kw]
                                : w[((oc * inputs + i) * 3 + kh) * 3 + kw]
                        }
                    }
                }
            }
        }
    }

    /// Floats of one packed sample: `(height + 2 padding) * (width + 2 padding) * channels`.
    public static func paddedCount(channels: Int, height: Int, width: Int, padding: Int) -> Int {
        (height + 2 * padding) * (width + 2 * padding) * channels
    }

    /// Copies one sample `x` (C, H, W) into `padded` `(H + 2p, W + 2p, C)` with a zero border.
    public static func packInput(_ x: UnsafePointer<Float>, channels: Int, height: Int, width: Int, padding: Int,
                                 into padded: UnsafeMutablePointer<Float>) {
        let wp = width + 2 * padding, c = channels
        // the border: top and bottom rows, then the left and right columns of the rows between
        padded.update(repeating: 0, count: padding * wp * c)
        (padded + (padding + height) * wp * c).update(repeating: 0, count: padding * wp * c)
        for r in 0..<height {
            let row = padded + (padding + r) * wp * c
            row.update(repeating: 0, count: padding * c)
            (row + (padding + width) * c).update(repeating: 0, count: padding * c)
        }
        // the interior, image row by image row: the row's (C, W) values from C planes to (W, C), pixel by
        // pixel (contiguous stores; as fast as 16x16 blocks through registers, measured)
        for r in 0..<height {
            transpose(x + r * width, rows: c, columns: width, rowStride: height * width,
                      into: padded + ((padding + r) * wp + padding) * c)
        }
    }

    /// dst[j * rows + i] = src[i * rowStride + j]: a `rows x columns` matrix transposed, row by row
    /// of the result (contiguous stores).
    @inline(__always)
    static func transpose(_ src: UnsafePointer<Float>, rows: Int, columns: Int, rowStride: Int,
                          into dst: UnsafeMutablePointer<Float>) {
        var d = dst
        for j in 0..<columns {
            var s = src + j
            for _ in 0..<rows {
                d.pointee = s.pointee
                d += 1
                s += rowStride
            }
        }
    }

    /// One sample's convolution: `out` (O, OH, OW) = conv(padded input) + bias, with `padded`
    /// from `packInput` (C channels, padded width `OW + 2`) and `filters` from `packFilters`.
    /// `scratch` holds `OH * OW * O` floats (the channel-minor result before its transpose).
    public static func forward(_ padded: UnsafePointer<Float>, inputs: Int, outputs: Int, outputHeight: Int,
                               outputWidth: Int, filters: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let o = outputs, c = inputs, oh = outputHeight, ow = outputWidth, wp = ow + 2
        let lanes = lanes(outputs: o), block = width * lanes, seg = segment(lanes: lanes)
        do {
            let chunk = inputChunk(lanes: lanes)
            for b in 0..<(o / block) {
                let bb = bias.map { $0 + b * block } ?? UnsafePointer(zeros)
                for c0 in stride(from: 0, to: c, by: chunk) {
                    let f = filters + (b * c + c0) * 9 * block, cn = Swift.min(chunk, c - c0)
                    for r in 0..<oh {
                        var x0 = 0
                        while x0 < ow {
                            let n = Swift.min(seg, ow - x0)
                            segmentKernel(
                                pixels: n, lanes: lanes, padded + (r * wp + x0) * c + c0, inputs: c, count: cn,
                                rowStride: wp * c, f, bb, scratch + (r * ow + x0) * o + b * block, pixelStride: o,
                                first: c0 == 0)
                            x0 += n
                        }
                    }
                }
            }
        }
        // (OH*OW, O) -> (O, OH*OW)
        transpose(scratch, rows: oh * ow, columns: o, rowStride: o, into: out)
    }

    /// Vectors of 16 outputs the weight-gradient kernel keeps per tap: 2 when O is a multiple of
    /// 32 (one input channel's 9 taps, 18 accumulators), else 1 (three input channels, 27).
    public static func gradientLanes(outputs: Int) -> Int { outputs % 32 == 0 ? 2 : 1 }

    /// Floats of a weight-gradient buffer for `accumulateFilterGradient`: O * C * 9.
    public static func gradientCount(outputs: Int, inputs: Int) -> Int { outputs * inputs * 9 }

    /// grad += Σ over `samples` samples and all output pixels of dy[pixel][o] x[pixel + tap][c],
    /// with `dy` channel-minor and padded by `dyPadding` (`packInput` of dy: O channels, width
    /// `outputWidth + 2 dyPadding`) and `x` from `packInput` (C channels, width `outputWidth + 2`);
    /// consecutive samples are `dyStride` and `xStride` floats apart. `grad` is laid out
    /// `[block][c][tap][16 * gradientLanes(O)]` (`unpackFilterGradient` turns it into (O, C, 3, 3)).
    public static func accumulateFilterGradient(
        dy: UnsafePointer<Float>, dyPadding: Int, dyStride: Int, x: UnsafePointer<Float>, xStride: Int, samples: Int,
        inputs: Int, outputs: Int, outputHeight: Int, outputWidth: Int, into grad: UnsafeMutablePointer<Float>
    ) {
        let o = outputs, c = inputs, lanes = gradientLanes(outputs: o), block = width * lanes
        let dyRow = (outputWidth + 2 * dyPadding) * o, xRow = (outputWidth + 2) * c
        // rows in groups whose dy and x rows fit in L1 (40 KB) while every (output block, input
        // channels) pass reads them: 14x14 outputs of 64 channels from 32 ran 1.1x faster so
        let limit = Swift.max(1, 10_240 / (dyRow + xRow)), groups = (outputHeight + limit - 1) / limit
        let rows = (outputHeight + groups - 1) / groups
        for s in 0..<samples {
            var r0 = 0
            while r0 < outputHeight {
                let geometry = GradientGeometry(
                    rows: Swift.min(rows, outputHeight - r0), columns: outputWidth, dyRow: dyRow,
                    dyFirst: (dyPadding * (outputWidth + 2 * dyPadding) + dyPadding) * o, outputs: o, xRow: xRow,
                    inputs: c, samples: 1, dyStride: 0, xStride: 0)
                let dys = dy + s * dyStride + r0 * dyRow, xs = x + s * xStride + r0 * xRow
                for b in 0..<(o / block) {
                    var c0 = 0
                    while c0 < c {
                        let n = lanes == 2 ? 1 : Swift.min(3, c - c0)
                        gradientKernel(channels: n, lanes: lanes, dys + b * block, xs + c0, geometry,
                                       grad + (b * c + c0) * 9 * block)
                        c0 += n
                    }
                }
                r0 += rows
            }
        }
    }

    /// Adds a gradient buffer of `accumulateFilterGradient` to `w` (O, C, 3, 3).
    public static func unpackFilterGradient(_ grad: UnsafePointer<Float>, outputs: Int, inputs: Int,
                                            into w: UnsafeMutablePointer<Float>) {
        let block = width * gradientLanes(outputs: outputs)
        for oc in 0..<outputs {
            let b = oc / block, j = oc % block
            for ic in 0..<inputs {
                for t in 0..<9 { w[(oc * inputs + ic) * 9 + t] += grad[((b * inputs + ic) * 9 + t) * block + j] }
            }
        }
    }

    struct GradientGeometry {
        let rows: Int, columns: Int, dyRow: Int, dyFirst: Int, outputs: Int, xRow: Int, inputs: Int
        let samples: Int, dyStride: Int, xStride: Int
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    @inline(__always)
    static func store(_ p: UnsafeMutablePointer<Float>, _ v: Lanes) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }
}
