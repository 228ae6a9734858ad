import SculptCore

/// Max pooling over NCHW batches (PyTorch's `MaxPool2d`, floor mode): padding counts as -infinity,
/// ties go to the first maximum in row-major window order, as PyTorch's CPU kernel does.
public final class MaxPool2D: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    private let output = Tensor(zeros: [0])      // y (B, C, OH, OW)
    private let gradInput = Tensor(zeros: [0])   // dx (B, C, H, W)
    private var argmax = IndexBuffer()           // (B, C, OH, OW): offset of the maximum in its input plane
    private var inputShape: [Int] = []
    private var rectifiedInput: Tensor?          // x of a forward that applied ReLU first (its backward masks by x > 0)

    /// A pooling layer; `stride` defaults to `kernelSize` as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(kernelSize >= 1 && (stride ?? 1) >= 1 && padding >= 0 && padding <= kernelSize / 2,
                     "MaxPool2D needs kernel >= 1, stride >= 1, 0 <= padding <= kernel / 2")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public var spec: LayerSpec { .maxPool2d(kernel: kernelSize, stride: stride, padding: padding) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, rectifying: false) }

    /// Whether the last forward pooled `relu(x)` (`forward(_:rectifying:)`).
    public var rectifiedLastForward: Bool { rectifiedInput != nil }

    /// The pooling of `relu(x)` in one pass, bit for bit what `Activation(.relu)` followed by this
    /// layer computes (the same values compared in the same order, NaN mapped to 0 as the ReLU
    /// does), without writing `relu(x)` out; `backward` then returns the gradient with respect to
    /// `x`, masked by `x > 0` as the ReLU's backward does. `Network` runs a ReLU and the max
    /// pooling after it this way (`Network.fusesReluPooling`).
    public func forward(_ x: Tensor, rectifying: Bool) -> Tensor {
        // x is (B, C, H, W), y is (B, C, OH, OW)
        let g = prepareForward(x.shape)
        rectifiedInput = rectifying ? x : nil
        if rectifying { pool(x, g, Rectified()) } else { pool(x, g, Unchanged()) }
        return output
    }

    private struct Unchanged: PoolInput {
        @inline(__always) func value(_ v: Float) -> Float { v }
    }
    private struct Rectified: PoolInput {
        @inline(__always) func value(_ v: Float) -> Float { v > 0 ? v : 0 }  // as Activation's ReLU
    }

    /// Sizes the output and the argmax for an input of `shape` (B, C, H, W) and records the shape for
    /// `backward`; the forward that follows pools every plane (`poolPlane`).
    func prepareForward(_ shape: [Int]) -> WindowGeometry {
        precondition(shape.count == 4, "\(spec.summary) got input \(shape)")
        let g = WindowGeometry(channels: shape[1], height: shape[2], width: shape[3], kernelHeight: kernelSize,
                               kernelWidth: kernelSize, stride: stride, padding: padding)
        inputShape = shape
        rectifiedInput = nil
        output.resize([shape[0], shape[1], g.outputHeight, g.outputWidth])
        argmax.reserve(shape[0] * shape[1] * g.outputHeight * g.outputWidth)
        return g
    }

    /// The last forward's output (B, C, OH, OW) and, per output, the offset of its maximum in its
    /// input plane (the plane-by-plane passes of a fused stage write and read them).
    var pooledOutput: Tensor { output }
    var argmaxOffsets: UnsafeMutablePointer<Int32> { argmax.data }

    private func pool<Input: PoolInput>(_ x: Tensor, _ g: WindowGeometry, _ input: Input) {
        let planes = x.shape[0] * x.shape[1], inPlane = g.height * g.width, outPlane = g.outputHeight * g.outputWidth
        let xs = x.data, ys = output.data, idx = argmax.data
        let k = kernelSize, s = stride, p = padding
        Parallel.forRanges(count: planes, minimumCount: 64) { range in
            for plane in range {
                Self.poolPlane(xs + plane * inPlane, into: ys + plane * outPlane, argmax: idx + plane * outPlane,
                               geometry: g, kernel: k, stride: s, padding: p, input: input)
            }
        }
    }

    /// Pools one input plane (H, W) into one output plane (OH, OW), comparing `input.value` of each
    /// element, and writes each maximum's offset in the plane.
    @inline(__always)
    static func poolPlane<Input: PoolInput>(
        _ xp: UnsafePointer<Float>, into yp: UnsafeMutablePointer<Float>, argmax ip: UnsafeMutablePointer<Int32>,
        geometry g: WindowGeometry, kernel k: Int, stride s: Int, padding p: Int, input: Input
    ) {
        let oh = g.outputHeight, ow = g.outputWidth, h = g.height, w = g.width
        if k == 2 && s == 2 && p == 0 {
            let w32 = Int32(w)
            for r in 0..<oh {
                // a tournament of the 2x2 window (a b / c d); ties keep the first maximum in row-major order
                let top = xp + 2 * r * w, bottom = top + w, yr = yp + r * ow, ir = ip + r * ow
                let base = Int32(2 * r * w)
                for q in 0..<ow {
                    let j = q &* 2
                    let a = input.value(top[j]), b = input.value(top[j &+ 1])
                    let c = input.value(bottom[j]), d = input.value(bottom[j &+ 1])
                    // comparisons as 0/1 integers, so nothing branches on the data
                    let upperAt = Int32(unsafeBitCast(b > a, to: UInt8.self))
                    let lowerAt = w32 &+ Int32(unsafeBitCast(d > c, to: UInt8.self))
                    let upper = b > a ? b : a, lower = d > c ? d : c
                    let takeLower = Int32(unsafeBitCast(lower > upper, to: UInt8.self))
                    yr[q] = lower > upper ? lower : upper
                    ir[q] = base &+ Int32(truncatingIfNeeded: j) &+ upperAt &+ takeLower &* (lowerAt &- upperAt)
                }
            }
            return
        }
        for r in 0..<oh {
            let i0 = Swift.max(r * s - p, 0), i1 = Swift.min(r * s - p + k, h)
            for q in 0..<ow {
                let j0 = Swift.max(q * s - p, 0), j1 = Swift.min(q * s - p + k, w)
                var best = -Float.infinity, at = i0 * w + j0
                for i in i0..<i1 {
                    for j in j0..<j1 {
                        let v = input.value(xp[i * w + j])
                        if v > best || v.isNaN { best = v; at = i * w + j }
                    }
                }
                yp[r * ow + q] = best
                ip[r * ow + q] = Int32(at)
            }
        }
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dx[plane, argmax] += dy[plane, r, q] (times x[plane, argmax] > 0 after a rectifying forward)
        guard needInputGradient else { return nil }
        precondition(
            inputShape.count == 4 && dy.count == output.count, "MaxPool2D.backward before forward or with \(dy.shape)")
        gradInput.resize(inputShape)
        let planes = inputShape[0] * inputShape[1], inPlane = inputShape[2] * inputShape[3]
        let outPlane = output.count / Swift.max(planes, 1)
        let g = dy.data, dx = gradInput.data, idx = argmax.data, xs = rectifiedInput?.data
        Parallel.forRanges(count: planes, minimumCount: 64) { range in
            for plane in range {
                let gp = g + plane * outPlane, ip = idx + plane * outPlane, dp = dx + plane * inPlane
                dp.update(repeating: 0, count: inPlane)
                if let xs {
                    let xp = xs + plane * inPlane
                    // both loads unconditional, so the select does not branch on the data
                    for i in 0..<outPlane { let at = Int(ip[i]), gi = gp[i]; dp[at] += xp[at] > 0 ? gi : 0 }
                } else {
                    for i in 0..<outPlane { dp[Int(ip[i])] += gp[i] }
                }
            }
        }
        return gradInput
    }
}

/// Average pooling over NCHW batches (PyTorch's `AvgPool2d` defaults: floor mode, and padded
/// zeros count in the divisor, so every window divides by kH * kW).
public final class AvgPool2D: Layer {
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int

    private let output = Tensor(zeros: [0])      // y (B, C, OH, OW)
    private let gradInput = Tensor(zeros: [0])   // dx (B, C, H, W)
    private var inputShape: [Int] = []

    /// A pooling layer; `stride` defaults to `kernelSize` as in PyTorch.
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(kernelSize >= 1 && (stride ?? 1) >= 1 && padding >= 0 && padding <= kernelSize / 2,
                     "AvgPool2D needs kernel >= 1, stride >= 1, 0 <= padding <= kernel / 2")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public var spec: LayerSpec { .avgPool2d(kernel: kernelSize, stride: stride, padding: padding) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, C, H, W), y is (B, C, OH, OW)
        precondition(x.rank == 4, "\(spec.summary) got input \(x.shape)")
        let g = WindowGeometry(channels: x.shape[1], height: x.shape[2], width: x.shape[3], kernelHeight: kernelSize,
                               kernelWidth: kernelSize, stride: stride, padding: padding)
        let planes = x.shape[0] * x.shape[1], oh = g.outputHeight, ow = g.outputWidth, h = g.height, w = g.width
        inputShape = x.shape
        output.resize([x.shape[0], x.shape[1], oh, ow])
        let k = kernelSize, s = stride, p = padding, scale = 1 / Float(k * k)
        let xs = x.data, ys = output.data
        for plane in 0..<planes {
            let xp = xs + plane * h * w, yp = ys + plane * oh * ow
            for r in 0..<oh {
                let i0 = Swift.max(r * s - p, 0), i1 = Swift.min(r * s - p + k, h)
                for q in 0..<ow {
                    let j0 = Swift.max(q * s - p, 0), j1 = Swift.min(q * s - p + k, w)
                    var sum: Float = 0
                    for i in i0..<i1 { for j in j0..<j1 { sum += xp[i * w + j] } }
                    yp[r * ow + q] = sum * scale
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dx[i, j] += dy[r, q] / (k * k) for every window (r, q) covering (i, j)
        guard needInputGradient else { return nil }
        precondition(
            inputShape.count == 4 && dy.count == output.count, "AvgPool2D.backward before forward or with \(dy.shape)")
        gradInput.resize(inputShape)
        gradInput.fill(0)
        let planes = inputShape[0] * inputShape[1], h = inputShape[2], w = inputShape[3]
        let oh = output.shape[2], ow = output.shape[3]
        let k = kernelSize, s = stride, p = padding, scale = 1 / Float(k * k)
        let g = dy.data, dx = gradInput.data
        for plane in 0..<planes {
            let gp = g + plane * oh * ow, dp = dx + plane * h * w
            for r in 0..<oh {
                let i0 = Swift.max(r * s - p, 0), i1 = Swift.min(r * s - p + k, h)
                for q in 0..<ow {
                    let j0 = Swift.max(q * s - p, 0), j1 = Swift.min(q * s - p + k, w)
                    let v = gp[r * ow + q] * scale
                    for i in i0..<i1 { for j in j0..<j1 { dp[i * w + j] += v } }
                }
            }
        }
        return gradInput
    }
}

/// Global average pooling: `(B, C, H, W)` to `(B, C)`, the mean of each channel's plane.
public final class GlobalAveragePool: Layer {
    private let output = Tensor(zeros: [0])      // y (B, C)
    private let gradInput = Tensor(zeros: [0])   // dx (B, C, H, W)
    private var inputShape: [Int] = []

    public init() {}

    public var spec: LayerSpec { .globalAvgPool }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, C, H, W), y is (B, C)
        precondition(x.rank == 4, "\(spec.summary) got input \(x.shape)")
        inputShape = x.shape
        let planes = x.shape[0] * x.shape[1], n = x.shape[2] * x.shape[3]
        output.resize([x.shape[0], x.shape[1]])
        let scale = 1 / Float(n)
        for plane in 0..<planes {
            let xp = x.data + plane * n
            var s: Float = 0
            for i in 0..<n { s += xp[i] }
            output.data[plane] = s * scale
        }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dx[b, c, :, :] = dy[b, c] / (H * W)
        guard needInputGradient else { return nil }
        precondition(
            inputShape.count == 4 && dy.count == output.count,
            "GlobalAveragePool.backward before forward or with \(dy.shape)")
        gradInput.resize(inputShape)
        let planes = inputShape[0] * inputShape[1], n = inputShape[2] * inputShape[3]
        let scale = 1 / Float(n)
        for plane in 0..<planes { (gradInput.data + plane * n).update(repeating: dy.data[plane] * scale, count: n) }
        return gradInput
    }
}

/// The values a max pooling's windows compare, computed from its input's elements: the input
/// itself, its ReLU, or (a fused stage) the ReLU of a batch normalization of it.
protocol PoolInput { func value(_ v: Float) -> Float }

/// A growable buffer of Int32 indices, reused across batches.
struct IndexBuffer: ~Copyable {
    private(set) var data = CacheLine.allocate(Int32.self, capacity: 1)
    private var capacity = 1

    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        data.deallocate()
        data = CacheLine.allocate(Int32.self, capacity: n)
        capacity = n
    }

    deinit { data.deallocate() }
}
