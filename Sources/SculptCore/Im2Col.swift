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

    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
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

    /// The output columns `ow` whose input column `ow * s - p + kj` lies inside the image.
    @inline(__always)
    func validColumns(kernelColumn kj: Int) -> (low: Int, high: Int) {
        // ow * s >= p - kj  and  ow * s <= W - 1 + p - kj
        let lowNumerator = padding - kj
        let low = lowNumerator <= 0 ? 0 : (lowNumerator + stride - 1) / stride
        let highNumerator = width - 1 + padding - kj
        let high = highNumerator < 0 ? 0 : Swift.min(outputWidth, highNumerator / stride + 1)
        return (low, Swift.max(low, high))
    }
}

/// Lowering of convolutions to matrix products (Caffe's im2col / col2im).
///
/// The column matrix is `(C * kH * kW, B * OH * OW)`: row `(c, ki, kj)`, column `(b, oh, ow)`
/// holds `x[b, c, oh * s - p + ki, ow * s - p + kj]` (zero outside the image). With all samples
/// side by side, a layer's forward pass is one sgemm `W (O, K) x cols (K, B*P)`.
public enum Im2Col {
    /// Fills `cols` (K, ld) at columns `[b * P, (b + 1) * P)` for samples `batchRange` of `x` (B, C, H, W).
    public static func pack(_ x: UnsafePointer<Float>, geometry g: WindowGeometry, batchRange: Range<Int>,
                            cols: UnsafeMutablePointer<Float>, leadingDimension ld: Int) {
        let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
        let h = g.height, w = g.width, oh = g.outputHeight, ow = g.outputWidth
        let plane = g.inputPlane, outPlane = g.outputPlane
        for c in 0..<g.channels {
            for b in batchRange {
                let xc = x + (b * g.channels + c) * plane
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let (lo, hi) = g.validColumns(kernelColumn: kj)
                        let row = cols + ((c * kh + ki) * kw + kj) * ld + b * outPlane
                        for r in 0..<oh {
                            let d = row + r * ow
                            let ih = r * s - p + ki
                            if ih < 0 || ih >= h {
                                d.update(repeating: 0, count: ow)
                                continue
                            }
                            let src = xc + ih * w + (kj - p)
                            for q in 0..<lo { d[q] = 0 }
                            if s == 1 {
                                for q in lo..<hi { d[q] = src[q] }
                            } else {
                                for q in lo..<hi { d[q] = src[q * s] }
                            }
                            for q in hi..<ow { d[q] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns of `cols` (K, ld) back onto `dx` (B, C, H, W) for samples `batchRange`
    /// (the adjoint of `pack`); `dx` must be initialized (usually zero).
    public static func accumulate(_ cols: UnsafePointer<Float>, leadingDimension ld: Int, geometry g: WindowGeometry,
                                  batchRange: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
        let kh = g.kernelHeight, kw = g.kernelWidth, s = g.stride, p = g.padding
        let h = g.height, w = g.width, oh = g.outputHeight, ow = g.outputWidth
        let plane = g.inputPlane, outPlane = g.outputPlane
        for c in 0..<g.channels {
            for b in batchRange {
                let dxc = dx + (b * g.channels + c) * plane
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let (lo, hi) = g.validColumns(kernelColumn: kj)
                        guard lo < hi else { continue }
                        let row = cols + ((c * kh + ki) * kw + kj) * ld + b * outPlane
                        for r in 0..<oh {
                            let ih = r * s - p + ki
                            if ih < 0 || ih >= h { continue }
                            let d = row + r * ow
                            let dst = dxc + ih * w + (kj - p)
                            if s == 1 {
                                for q in lo..<hi { dst[q] += d[q] }
                            } else {
                                for q in lo..<hi { dst[q * s] += d[q] }
                            }
                        }
                    }
                }
            }
        }
    }
}
