import SculptCore

/// A fully connected layer: y = x W^T + b, with W `[out, in]` and b `[out]` (PyTorch's Linear).
public final class Dense: Layer {
    public let weight: Parameter
    public let bias: Parameter?

    @exclusivity(unchecked) private var input: Tensor?                 // x (B, in), kept for backward
    private let output = Tensor(zeros: [0])    // y (B, out)
    private let gradInput = Tensor(zeros: [0]) // dx (B, in)

    /// A layer with the given tensors: weight `[out, in]`, bias `[out]`.
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Dense weight must be [out, in], got \(weight.shape)")
        if let bias { precondition(bias.shape == [weight.shape[0]], "Dense bias \(bias.shape) for weight \(weight.shape)") }
        self.weight = Parameter(weight)
        self.bias = bias.map(Parameter.init)
    }

    /// A layer initialized with `initializer`.
    public convenience init(inputs: Int, outputs: Int, bias: Bool = true,
                            initializer: Initializer = .pytorchDefault, rng: inout RandomSource) {
        precondition(inputs > 0 && outputs > 0, "Dense needs positive widths, got \(inputs) -> \(outputs)")
        let w = Tensor(zeros: [outputs, inputs])
        let b = bias ? Tensor(zeros: [outputs]) : nil
        initializer.initialize(weight: w, bias: b, fanIn: inputs, fanOut: outputs, using: &rng)
        self.init(weight: w, bias: b)
    }

    /// Input features.
    public var inputFeatures: Int { weight.value.shape[1] }
    /// Output features (units).
    public var outputFeatures: Int { weight.value.shape[0] }

    public var spec: LayerSpec { .dense(inputs: inputFeatures, outputs: outputFeatures, bias: bias != nil) }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var p: [(name: String, parameter: Parameter)] = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inputFeatures] else {
            throw ShapeError.mismatch(layer: "Dense(\(inputFeatures) -> \(outputFeatures))", expected: "[\(inputFeatures)]", actual: inputShape)
        }
        return [outputFeatures]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, in), W is (out, in), y is (B, out)
        let w = weight.value
        let b = x.shape[0], nIn = w.shape[1], nOut = w.shape[0]
        precondition(x.count == b * nIn, "Dense(\(nIn) -> \(nOut)) got input \(x.shape)")
        input = x
        let out = output
        out.resize(rows: b, columns: nOut)
        let y = out.data
        if let bias {
            fillRows(y, rows: b, with: bias.value.data, count: nOut)
        }
        BLAS.gemm(transA: false, transB: true, m: b, n: nOut, k: nIn,
                  a: x.data, lda: nIn, b: w.data, ldb: nIn,
                  beta: bias == nil ? 0 : 1, c: y, ldc: nOut)
        return out
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dy is (B, out); dW (out, in) += dy^T x; db (out) += sum_rows dy; dx (B, in) = dy W
        guard let x = input else { preconditionFailure("Dense.backward before forward") }
        let w = weight.value
        let b = x.shape[0], nIn = w.shape[1], nOut = w.shape[0]
        BLAS.gemm(transA: true, transB: false, m: nOut, n: nIn, k: b,
                  a: dy.data, lda: nOut, b: x.data, ldb: nIn,
                  beta: 1, c: weight.grad.data, ldc: nIn)
        if let bias {
            addColumnSums(of: dy.data, rows: b, columns: nOut, to: bias.grad.data)
        }
        guard needInputGradient else { return nil }
        let dx = gradInput
        dx.resize(rows: b, columns: nIn)
        BLAS.gemm(transA: false, transB: false, m: b, n: nIn, k: nOut,
                  a: dy.data, lda: nOut, b: w.data, ldb: nIn,
                  beta: 0, c: dx.data, ldc: nIn)
        return dx
    }
}

/// Copies `count` floats from `source` into each of `rows` consecutive rows of `destination`:
/// one row, then memcpy of the filled part onto the rest, doubling (log2(rows) copies).
func fillRows(_ destination: UnsafeMutablePointer<Float>, rows: Int, with source: UnsafePointer<Float>, count: Int) {
    guard rows > 0, count > 0 else { return }
    destination.update(from: source, count: count)
    var filled = 1
    while filled < rows {
        let n = Swift.min(filled, rows - filled)
        (destination + filled * count).update(from: destination, count: n * count)
        filled += n
    }
}

/// sums (columns) += column sums of m (rows, columns), row-major; each column's rows are added
/// in order (the same result as adding row after row), 8 columns at a time in registers.
func addColumnSums(of m: UnsafePointer<Float>, rows: Int, columns: Int, to sums: UnsafeMutablePointer<Float>) {
    let total = rows * columns
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    var j0 = 0
    while j0 < columns {
        let width = Swift.min(8, columns - j0)
        var acc = SIMD8<Float>(repeating: 0)
        for j in 0..<width { acc[j] = sums[j0 + j] }
        let keep = lanes .< Int32(width)
        var r = 0, offset = j0
        // Whole 8-float loads while they stay inside m; lanes past this chunk's columns add 0.
        while r < rows && offset + 8 <= total {
            let v = UnsafeRawPointer(m + offset).loadUnaligned(as: SIMD8<Float>.self)
            acc += SIMD8<Float>(repeating: 0).replacing(with: v, where: keep)
            r += 1
            offset += columns
        }
        while r < rows {
            var v = SIMD8<Float>(repeating: 0)
            for j in 0..<width { v[j] = m[offset + j] }
            acc += v
            r += 1
            offset += columns
        }
        for j in 0..<width { sums[j0 + j] = acc[j] }
        j0 += 8
    }
}
