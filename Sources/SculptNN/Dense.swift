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
        if let bias {
            precondition(bias.shape == [weight.shape[0]], "Dense bias \(bias.shape) for weight \(weight.shape)")
        }
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
            throw ShapeError.mismatch(
                layer: "Dense(\(inputFeatures) -> \(outputFeatures))", expected: "[\(inputFeatures)]",
                actual: inputShape)
        }
        return [outputFeatures]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x is (B, in), W is (out, in), y is (B, out); an x of (B, d1, d2, ...) with d1 * d2 * ... = in
        // is read as (B, in), each sample one row (`Network.fusesFlattenDense`)
        let b = x.shape[0], nIn = inputFeatures, nOut = outputFeatures
        precondition(x.count == b * nIn, "Dense(\(nIn) -> \(nOut)) got input \(x.shape)")
        input = x
        output.resize(rows: b, columns: nOut)
        denseProduct(x.data, weight.value.data, bias: bias?.value.data, into: output.data, rows: b, inputs: nIn,
                     outputs: nOut)
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dy is (B, out); dW (out, in) += dy^T x; db (out) += sum_rows dy; dx (B, in) = dy W
        guard let x = input else { preconditionFailure("Dense.backward before forward") }
        let b = x.shape[0], nIn = inputFeatures, nOut = outputFeatures
        let g = dy.data, xs = x.data, dw = weight.grad.data, db = bias?.grad.data
        // Large products: each worker takes a block of units (rows of dW, entries of db).
        BLAS.forBlocks(nOut, work: b * nIn * nOut) { units in
            guard !units.isEmpty else { return }
            BLAS.gemm(transA: true, transB: false, m: units.count, n: nIn, k: b,
                      a: g + units.lowerBound, lda: nOut, b: xs, ldb: nIn,
                      beta: 1, c: dw + units.lowerBound * nIn, ldc: nIn)
            if let db {
                addColumnSums(
                    of: g + units.lowerBound, rows: b, columns: units.count, stride: nOut, to: db + units.lowerBound)
            }
        }
        guard needInputGradient else { return nil }
        gradInput.resize(rows: b, rowShapeOf: x)  // x's shape: (B, in), or a sample's shape when run unflattened
        denseInputGradient(g, weight.value.data, into: gradInput.data, rows: b, inputs: nIn, outputs: nOut)
        return gradInput
    }
}

/// y (rows, outputs) = x (rows, inputs) wᵀ + bias, w (outputs, inputs) row-major: a dense layer's forward
/// product (`Dense`, and a convolution's center tap). Large products are split over the workers by output
/// columns, each worker multiplying all of x by its block of w's rows: OpenBLAS packs the whole of its second
/// operand for every call, so a split by samples would have each worker pack all of w (W2's 784 x 512
/// weight for 128 samples: 6-9% more time over a step's products at two threads, `bench/dense_split.c`).
func denseProduct(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                  into y: UnsafeMutablePointer<Float>, rows: Int, inputs: Int, outputs: Int) {
    BLAS.forBlocks(outputs, work: rows * inputs * outputs) { columns in
        guard !columns.isEmpty else { return }
        if let bias {
            if columns.count == outputs {
                fillRows(y, rows: rows, with: bias, count: outputs)
            } else {
                for r in 0..<rows {
                    (y + r * outputs + columns.lowerBound).update(from: bias + columns.lowerBound, count: columns.count)
                }
            }
        }
        BLAS.gemm(transA: false, transB: true, m: rows, n: columns.count, k: inputs,
                  a: x, lda: inputs, b: w + columns.lowerBound * inputs, ldb: inputs,
                  beta: bias == nil ? 0 : 1, c: y + columns.lowerBound, ldc: outputs)
    }
}

/// dx (rows, inputs) = dy (rows, outputs) w, w (outputs, inputs): a dense layer's input gradient, split over
/// the workers by input columns (each multiplies dy by its block of w's columns) for the reason in
/// `denseProduct`.
func denseInputGradient(_ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>,
                        rows: Int, inputs: Int, outputs: Int) {
    BLAS.forBlocks(inputs, work: rows * inputs * outputs) { columns in
        guard !columns.isEmpty else { return }
        BLAS.gemm(transA: false, transB: false, m: rows, n: columns.count, k: outputs,
                  a: dy, lda: outputs, b: w + columns.lowerBound, ldb: inputs,
                  beta: 0, c: dx + columns.lowerBound, ldc: inputs)
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

/// sums (columns) += column sums of m (rows, columns), row-major with row stride `stride`; each
/// column's rows are added in order (the same result as adding row after row), 8 columns at a
/// time in registers.
func addColumnSums(of m: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int? = nil,
                   to sums: UnsafeMutablePointer<Float>) {
    let ld = stride ?? columns
    let total = rows == 0 ? 0 : (rows - 1) * ld + columns
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
            offset += ld
        }
        while r < rows {
            var v = SIMD8<Float>(repeating: 0)
            for j in 0..<width { v[j] = m[offset + j] }
            acc += v
            r += 1
            offset += ld
        }
        for j in 0..<width { sums[j0 + j] = acc[j] }
        j0 += 8
    }
}
