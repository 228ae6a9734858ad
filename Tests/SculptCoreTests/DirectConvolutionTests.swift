import Testing
import SculptCore

/// `DirectConvolution`'s layout helpers against their formulas, bit for bit: the filter packing
/// and the gradient unpacking split over workers (the same result at one and two), and the bias
/// gradient summed from the packed dy in the order it documents, reading no padding. The kernels
/// themselves are tested through `Conv2D` (ConvolutionTests: against the definition and im2col).
@Suite("Direct convolution layouts")
struct DirectConvolutionTests {
    /// Value `i` of a deterministic test pattern that has no two equal neighbours.
    static func pattern(_ i: Int, _ salt: Int) -> Float { Float((i * 7919 + salt * 104_729) % 2001) / 1000 - 1 }

    /// (outputs, inputs): one, two and four vectors of outputs; chunks that split the inputs unevenly.
    static let shapes = [(16, 16), (32, 48), (64, 80), (48, 16), (128, 64)]

    @Test("packFilters writes [block][chunk][tap][channel][16 * lanes], flipped or not, the same at one and two workers",
          arguments: shapes)
    func packedFilters(shape: (Int, Int)) {
        let (o, c) = shape
        let w = (0..<(o * c * 9)).map { Self.pattern($0, 1) }
        for flipped in [false, true] {
            let vo = flipped ? c : o, vi = flipped ? o : c
            let block = DirectConvolution.width * DirectConvolution.lanes(outputs: vo)
            let chunk = DirectConvolution.inputChunk(lanes: DirectConvolution.lanes(outputs: vo))
            var expected = [Float](repeating: .nan, count: o * c * 9)
            for b in 0..<(vo / block) {
                for c0 in stride(from: 0, to: vi, by: chunk) {
                    let cn = min(chunk, vi - c0)
                    for t in 0..<9 {
                        for i in c0..<(c0 + cn) {
                            for j in 0..<block {
                                let oc = b * block + j, kh = t / 3, kw = t % 3
                                expected[((b * vi + c0) * 9 + t * cn + i - c0) * block + j] = flipped
                                    ? w[((i * c + oc) * 3 + 2 - kh) * 3 + 2 - kw]
                                    : w[((oc * c + i) * 3 + kh) * 3 + kw]
                            }
                        }
                    }
                }
            }
            for threads in [1, 2] {
                var packed = [Float](repeating: .nan, count: o * c * 9)
                Parallel.withThreads(threads) {
                    packed.withUnsafeMutableBufferPointer {
                        DirectConvolution.packFilters(w, outputs: o, inputs: c, flipped: flipped, into: $0.baseAddress!)
                    }
                }
                #expect(packed.map(\.bitPattern) == expected.map(\.bitPattern),
                        "\(o) x \(c), flipped \(flipped), \(threads) worker(s)")
            }
        }
    }

    @Test("unpackFilterGradients adds each buffer in the order given, the same at one and two workers",
          arguments: shapes)
    func unpackedGradients(shape: (Int, Int)) {
        let (o, c) = shape
        let n = DirectConvolution.gradientCount(outputs: o, inputs: c)
        let block = DirectConvolution.width * DirectConvolution.gradientLanes(outputs: o)
        let grads = (0..<3).map { k in (0..<n).map { Self.pattern($0, 10 + k) * 1e-3 } }
        let start = (0..<n).map { Self.pattern($0, 2) }
        var expected = start
        for oc in 0..<o {
            for ic in 0..<c {
                for t in 0..<9 {
                    let at = (((oc / block) * c + ic) * 9 + t) * block + oc % block
                    for g in grads { expected[(oc * c + ic) * 9 + t] += g[at] }
                }
            }
        }
        for threads in [1, 2] {
            var w = start
            let buffers = grads.map { g in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
                p.initialize(from: g, count: n)
                return p
            }
            defer { buffers.forEach { $0.deallocate() } }
            Parallel.withThreads(threads) {
                w.withUnsafeMutableBufferPointer {
                    DirectConvolution.unpackFilterGradients(
                        buffers.map { UnsafePointer($0) }, outputs: o, inputs: c, into: $0.baseAddress!)
                }
            }
            #expect(w.map(\.bitPattern) == expected.map(\.bitPattern), "\(o) x \(c), \(threads) worker(s)")
        }
    }

    @Test("the bias gradient sums the packed dy's interior row by row, pixels in order, a sample at a time; no padding read",
          arguments: [0, 1, 2])
    func biasGradient(padding q: Int) {
        for (o, oh, ow) in [(16, 5, 7), (48, 3, 1), (64, 7, 7), (32, 1, 14)] {
            let samples = 3, rowWidth = ow + 2 * q
            let stride = DirectConvolution.paddedCount(channels: o, height: oh, width: ow, padding: q)
            // the border holds NaN: a sum that read it would be NaN
            var dy = [Float](repeating: .nan, count: samples * stride)
            for s in 0..<samples {
                for r in 0..<oh {
                    for x in 0..<ow {
                        for k in 0..<o {
                            let at = s * stride + ((r + q) * rowWidth + x + q) * o + k
                            dy[at] = Self.pattern(at, 3)
                        }
                    }
                }
            }
            var expected = (0..<o).map { Self.pattern($0, 4) }
            var db = expected
            for s in 0..<samples {
                for k in 0..<o {
                    var sum: Float = 0
                    for r in 0..<oh {
                        var row: Float = 0
                        for x in 0..<ow { row += dy[s * stride + ((r + q) * rowWidth + x + q) * o + k] }
                        sum += row
                    }
                    expected[k] += sum
                }
            }
            db.withUnsafeMutableBufferPointer { out in
                DirectConvolution.accumulateBiasGradient(
                    dy: dy, dyPadding: q, dyStride: stride, samples: samples, outputs: o, outputHeight: oh,
                    outputWidth: ow, into: out.baseAddress!)
            }
            #expect(db.map(\.bitPattern) == expected.map(\.bitPattern), "\(o) channels, \(oh)x\(ow), padding \(q)")
        }
    }

    @Test("the kernels' blocks fit the build's vector registers: up to 28 vectors of 16 accumulators with AVX-512, 6 forward and 9 for the weight gradient without")
    func blocksFitTheRegisters() {
        // the test target is compiled with the same host tuning as the library
        #if SCULPT_AVX512
        #expect(DirectConvolution.wideRegisters)
        #else
        #expect(!DirectConvolution.wideRegisters)
        #endif
        let wide = DirectConvolution.wideRegisters
        for outputs in [16, 32, 48, 64, 128, 192] {
            let lanes = DirectConvolution.lanes(outputs: outputs)
            let gradient = DirectConvolution.gradientLanes(outputs: outputs)
            #expect(outputs % (DirectConvolution.width * lanes) == 0
                    && outputs % (DirectConvolution.width * gradient) == 0)
            let forward = lanes * DirectConvolution.segment(lanes: lanes)
            let channels = DirectConvolution.gradientChannels(lanes: gradient)
            #expect(forward <= (wide ? 28 : 6), "\(outputs) outputs: \(forward) forward accumulators")
            #expect(channels * 9 * gradient <= (wide ? 27 : 9), "\(outputs) outputs: weight-gradient accumulators")
            // the forward's input chunk keeps a pass's filters at 36 KB, in L1
            #expect(9 * DirectConvolution.inputChunk(lanes: lanes) * DirectConvolution.width * lanes * 4 == 36_864)
        }
        if !wide {
            #expect(DirectConvolution.lanes(outputs: 64) == 1 && DirectConvolution.segment(lanes: 1) == 6)
            #expect(DirectConvolution.gradientLanes(outputs: 64) == 1
                    && DirectConvolution.gradientChannels(lanes: 1) == 1)
        } else {
            #expect(DirectConvolution.lanes(outputs: 64) == 4 && DirectConvolution.segment(lanes: 4) == 7)
            #expect(DirectConvolution.segment(lanes: 1) == 14
                    && DirectConvolution.gradientChannels(lanes: 1) == 3
                    && DirectConvolution.gradientChannels(lanes: 2) == 1)
        }
    }
}
