import SculptCore

/// A layer described as data: the building block of architecture JSON.
///
/// Encoded as an object with a `"type"` key, e.g. `{"type": "dense", "inputs": 2, "outputs": 3}`
/// (see `LayerSpec+Codable.swift` for every type). Encoding writes every field, so decoding then
/// encoding an encoded description gives back the same JSON.
public enum LayerSpec: Equatable, Sendable {
    case dense(inputs: Int, outputs: Int, bias: Bool)
    case activation(ActivationKind)
    /// A square-kernel convolution, weight `[outputs, inputs, kernel, kernel]`.
    case conv2d(inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
    case maxPool2d(kernel: Int, stride: Int, padding: Int)
    case avgPool2d(kernel: Int, stride: Int, padding: Int)
    /// `[C, H, W]` to `[C]`.
    case globalAvgPool
    /// Batch normalization over `features` channels of `[C]` or `[C, H, W]` inputs.
    case batchNorm(features: Int, momentum: Float, epsilon: Float)
    case dropout(probability: Float)
    /// `[d1, d2, ...]` to `[d1 * d2 * ...]`.
    case flatten
    /// `body(x) + projection(x)`; a nil projection is the identity.
    case residual(body: [LayerSpec], projection: [LayerSpec]?)

    /// A short human description, e.g. `conv2d(1 -> 32, kernel 3, stride 1, padding 1)`.
    public var summary: String {
        switch self {
        case .dense(let i, let o, let b): return "dense(\(i) -> \(o)\(b ? "" : ", no bias"))"
        case .activation(let kind): return kind.name
        case .conv2d(let i, let o, let k, let s, let p, let b):
            return "conv2d(\(i) -> \(o), kernel \(k), stride \(s), padding \(p)\(b ? "" : ", no bias"))"
        case .maxPool2d(let k, let s, let p): return "maxpool2d(kernel \(k), stride \(s), padding \(p))"
        case .avgPool2d(let k, let s, let p): return "avgpool2d(kernel \(k), stride \(s), padding \(p))"
        case .globalAvgPool: return "global_avgpool"
        case .batchNorm(let f, _, _): return "batchnorm(\(f))"
        case .dropout(let p): return "dropout(\(p))"
        case .flatten: return "flatten"
        case .residual(let body, let projection):
            return
                "residual(\(body.count) body layers, \(projection.map { "\($0.count)-layer projection" } ?? "identity shortcut"))"
        }
    }

    /// Builds the layer, initializing parameters with `initializer` (BatchNorm starts at
    /// weight 1, bias 0; Dropout takes its own generator split off `rng`).
    public func makeLayer(initializer: Initializer = .pytorchDefault, rng: inout RandomSource) throws -> Layer {
        try validate()
        switch self {
        case .dense(let i, let o, let b):
            return Dense(inputs: i, outputs: o, bias: b, initializer: initializer, rng: &rng)
        case .activation(let kind):
            return Activation(kind)
        case .conv2d(let i, let o, let k, let s, let p, let b):
            return Conv2D(inputChannels: i, outputChannels: o, kernelSize: k, stride: s, padding: p, bias: b,
                          initializer: initializer, rng: &rng)
        case .maxPool2d(let k, let s, let p):
            return MaxPool2D(kernelSize: k, stride: s, padding: p)
        case .avgPool2d(let k, let s, let p):
            return AvgPool2D(kernelSize: k, stride: s, padding: p)
        case .globalAvgPool:
            return GlobalAveragePool()
        case .batchNorm(let f, let m, let e):
            return BatchNorm(features: f, momentum: m, epsilon: e)
        case .dropout(let p):
            return Dropout(probability: p, rng: rng.split())
        case .flatten:
            return Flatten()
        case .residual(let body, let projection):
            var bodyLayers: [Layer] = []
            for (i, spec) in body.enumerated() {
                do { bodyLayers.append(try spec.makeLayer(initializer: initializer, rng: &rng)) } catch let e
                    as ShapeError
                {
                    throw e.at("body.\(i)")
                }
            }
            var projectionLayers: [Layer]? = nil
            if let projection {
                projectionLayers = []
                for (i, spec) in projection.enumerated() {
                    do { projectionLayers?.append(try spec.makeLayer(initializer: initializer, rng: &rng)) } catch let e
                        as ShapeError
                    {
                        throw e.at("projection.\(i)")
                    }
                }
            }
            return Residual(body: bodyLayers, projection: projectionLayers)
        }
    }

    /// Checks the hyperparameters alone (positive sizes, probabilities in range).
    public func validate() throws {
        func fail(_ why: String) -> ShapeError { .invalidArchitecture("\(summary): \(why)") }
        switch self {
        case .dense(let i, let o, _):
            guard i > 0, o > 0 else { throw fail("widths must be positive") }
            for (what, v) in [("input width", i), ("output width", o)] {
                try SizeLimits.checkDimension(v, "\(summary): \(what)")
            }
        case .activation: break
        case .conv2d(let i, let o, let k, let s, let p, _):
            guard i > 0, o > 0, k > 0 else { throw fail("channels and kernel must be positive") }
            guard s > 0, p >= 0 else { throw fail("stride must be positive and padding non-negative") }
            for (what, v) in [
                ("input channels", i), ("output channels", o), ("kernel", k), ("stride", s), ("padding", p),
            ] {
                try SizeLimits.checkDimension(v, "\(summary): \(what)")
            }
        case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p):
            guard k > 0, s > 0 else { throw fail("kernel and stride must be positive") }
            guard p >= 0, p <= k / 2 else {
                throw fail("padding must be between 0 and half the kernel (as in PyTorch)")
            }
            for (what, v) in [("kernel", k), ("stride", s)] { try SizeLimits.checkDimension(v, "\(summary): \(what)") }
        case .globalAvgPool, .flatten: break
        case .batchNorm(let f, let m, let e):
            guard f > 0 else { throw fail("the feature count must be positive") }
            try SizeLimits.checkDimension(f, "\(summary): feature count")
            guard m >= 0, m <= 1, e > 0 else { throw fail("momentum must be in [0, 1] and epsilon positive") }
        case .dropout(let p):
            guard p >= 0, p < 1 else { throw fail("the probability must be in [0, 1)") }
        case .residual(let body, _):
            guard !body.isEmpty else { throw fail("the body needs at least one layer") }
        }
    }

    /// Shape of one output sample given one input sample's shape; the error names this layer
    /// and both shapes when they do not fit.
    public func outputShape(for shape: [Int]) throws -> [Int] {
        try validate()
        func mismatch(_ expected: String) -> ShapeError { .mismatch(layer: summary, expected: expected, actual: shape) }
        switch self {
        case .dense(let i, let o, _):
            guard shape == [i] else { throw mismatch("[\(i)]") }
            return [o]
        case .activation, .dropout:
            return shape
        case .conv2d(let i, let o, let k, let s, let p, _):
            guard shape.count == 3, shape[0] == i else { throw mismatch("[\(i), H, W]") }
            guard shape[1] + 2 * p >= k, shape[2] + 2 * p >= k else {
                throw mismatch("[\(i), H, W] with H, W >= \(k - 2 * p)")
            }
            return [o, (shape[1] + 2 * p - k) / s + 1, (shape[2] + 2 * p - k) / s + 1]
        case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p):
            guard shape.count == 3, shape[1] + 2 * p >= k, shape[2] + 2 * p >= k else {
                throw mismatch("[C, H, W] with H, W >= \(k - 2 * p)")
            }
            return [shape[0], (shape[1] + 2 * p - k) / s + 1, (shape[2] + 2 * p - k) / s + 1]
        case .globalAvgPool:
            guard shape.count == 3, shape[1] > 0, shape[2] > 0 else { throw mismatch("[C, H, W]") }
            return [shape[0]]
        case .batchNorm(let f, _, _):
            guard shape.count == 1 || shape.count == 3, shape[0] == f else { throw mismatch("[\(f)] or [\(f), H, W]") }
            return shape
        case .flatten:
            guard !shape.isEmpty else { throw mismatch("at least one dimension") }
            return [try SizeLimits.sampleCount(shape)]
        case .residual(let body, let projection):
            var main = shape
            for (i, spec) in body.enumerated() {
                do { main = try spec.outputShape(for: main) } catch let e as ShapeError { throw e.at("body.\(i)") }
            }
            var shortcut = shape
            for (i, spec) in (projection ?? []).enumerated() {
                do { shortcut = try spec.outputShape(for: shortcut) } catch let e as ShapeError {
                    throw e.at("projection.\(i)")
                }
            }
            guard main == shortcut else {
                throw ShapeError.branchMismatch(layer: summary, body: main, shortcut: shortcut)
            }
            return main
        }
    }
}
