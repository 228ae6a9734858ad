/// The geometry of a 2-D sliding window (convolution or pooling) over NCHW input, with the
/// same stride and zero padding in both directions (PyTorch's `floor` output size).
public struct WindowGeometry: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    public var padding: Int

    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int)
    {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    /// Output rows: floor((H + 2p - kH) / s) + 1.
    public var outputHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// Output columns: floor((W + 2p - kW) / s) + 1.
    public var outputWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output positions per channel and sample.
    public var outputPlane: Int { outputHeight * outputWidth }
    /// Input elements per channel and sample.
    public var inputPlane: Int { height * width }
    /// Rows of the column matrix: C * kH * kW.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
}

/// Lowering of convolutions to matrix products (Caffe's im2col / col2im).
///
/// The column matrix is `(C * kH * kW, B * OH * OW)`: row `(c, ki, kj)`, column `(b, oh, ow)`
/// holds `x[b, c, oh * s - p + ki, ow * s - p + kj]` (zero outside the image). With all samples
/// side by side, a layer's forward pass is one sgemm `W (O, K) x cols (K, B*P)`.
public enum Im2Col {
    /// Fills `cols` (K, ld) at columns `[b * P, (b + 1) * P)` for samples `batchRange` of `x` (B, C, H, W).
    ///
    /// Each input plane is first copied into a zero-padded plane (on the stack), so the copy loops
    /// have no bounds tests and no zero-filling.
    public static func pack(_ x: UnsafePointer<Float>, geometry g: WindowGeometry, batchRange: Range<Int>,
                            cols: UnsafeMutablePointer<Float>, leadingDimension ld: Int) {
        let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
        let h = g.height, w = g.width, oh = g.outputHeight, ow = g.outputWidth
        let plane = g.inputPlane, outPlane = g.outputPlane
        let pw = w + 2 * p, ph = h + 2 * p
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ph * pw) { buffer in
            let padded = buffer.baseAddress!  // (H + 2p, W + 2p)
            padded.initialize(repeating: 0, count: ph * pw)
            for c in 0..<g.channels {
                for b in batchRange {
                    let xc = x + (b * g.channels + c) * plane
                    for i in 0..<h { (padded + (i + p) * pw + p).update(from: xc + i * w, count: w) }
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let row = cols + ((c * kh + ki) * kw + kj) * ld + b * outPlane
                            for r in 0..<oh {
                                let d = row + r * ow, src = padded + (r * s + ki) * pw + kj
                                if s == 1 {
                                    copyShort(from: src, to: d, count: ow)
                                } else {
                                    for q in 0..<ow { d[q] = src[q * s] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes into `dx` (B, C, H, W), for samples `batchRange`, the adjoint of `pack` applied to
    /// `cols` (K, ld): every column entry is added back where `pack` read it from. `dx` is
    /// overwritten (accumulation happens in a padded plane on the stack).
    public static func unpack(_ cols: UnsafePointer<Float>, leadingDimension ld: Int, geometry g: WindowGeometry,
                              batchRange: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
        let h = g.height, w = g.width, oh = g.outputHeight, ow = g.outputWidth
        let plane = g.inputPlane, outPlane = g.outputPlane
        let pw = w + 2 * p, ph = h + 2 * p
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ph * pw) { buffer in
            let padded = buffer.baseAddress!  // (H + 2p, W + 2p)
            for c in 0..<g.channels {
                for b in batchRange {
                    padded.update(repeating: 0, count: ph * pw)
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let row = cols + ((c * kh + ki) * kw + kj) * ld + b * outPlane
                            for r in 0..<oh {
                                let d = row + r * ow, dst = padded + (r * s + ki) * pw + kj
                                if s == 1 {
                                    for q in 0..<ow { dst[q] += d[q] }
                                } else {
                                    for q in 0..<ow { dst[q * s] += d[q] }
                                }
                            }
                        }
                    }
                    let dxc = dx + (b * g.channels + c) * plane
                    for i in 0..<h { (dxc + i * w).update(from: padded + (i + p) * pw + p, count: w) }
                }
            }
        }
    }
}

/// Copies `n` floats between non-overlapping buffers with 8- and 4-wide vector moves (the last
/// one overlapping the previous), for the short rows of im2col, where a `memcpy` call per row
/// costs more than the copy.
@inline(__always)
func copyShort(from source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count n: Int) {
    let s = UnsafeRawPointer(source), d = UnsafeMutableRawPointer(destination)
    if n >= 8 {
        var i = 0
        while i &+ 8 <= n {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self), toByteOffset: i &* 4,
                as: SIMD8<Float>.self)
            i &+= 8
        }
        if i < n {
            let last = (n &- 8) &* 4
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last,
                as: SIMD8<Float>.self)
        }
    } else if n >= 4 {
        d.storeBytes(of: s.loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        let last = (n &- 4) &* 4
        d.storeBytes(
            of: s.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self), toByteOffset: last, as: SIMD4<Float>.self)
    } else {
        for q in 0..<n { destination[q] = source[q] }
    }
}
