import Foundation

/// Errors in architecture JSON that a user can cause.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    /// A layer object whose `"type"` Sculpt does not know; `path` is like `layers.3` or `layers.3.body.1`.
    case unknownLayerType(path: String, type: String)
    /// A builtin architecture name Sculpt does not know.
    case unknownBuiltin(name: String, known: [String])
    /// A builtin option out of range.
    case invalidOption(String)
    /// The JSON could not be read (syntax, missing or mistyped field).
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownLayerType(let path, let type):
            return "\(path): unknown layer type '\(type)' (known: \(LayerSpec.typeNames.joined(separator: ", ")))"
        case .unknownBuiltin(let name, let known):
            return "unknown architecture '\(name)' (builtin: \(known.joined(separator: ", ")))"
        case .invalidOption(let why): return why
        case .malformed(let why): return "malformed architecture JSON: \(why)"
        }
    }
}

/// JSON form of each layer type (every field is written on encoding):
///
///     {"type": "dense", "inputs": 784, "outputs": 512, "bias": true}
///     {"type": "relu"}  {"type": "leaky_relu", "slope": 0.01}  {"type": "tanh"}  {"type": "sigmoid"}  {"type": "identity"}
///     {"type": "conv2d", "inputs": 1, "outputs": 32, "kernel": 3, "stride": 1, "padding": 1, "bias": true}
///     {"type": "maxpool2d", "kernel": 2, "stride": 2, "padding": 0}
///     {"type": "avgpool2d", "kernel": 2, "stride": 2, "padding": 0}
///     {"type": "global_avgpool"}
///     {"type": "batchnorm", "features": 64, "momentum": 0.1, "epsilon": 1e-05}
///     {"type": "dropout", "probability": 0.5}
///     {"type": "flatten"}
///     {"type": "residual", "body": [...], "projection": [...]}   (no "projection" key: identity shortcut)
///
/// On decoding, `bias` defaults to true, pooling `stride` to the kernel and `padding` to 0,
/// conv2d `stride` to 1 and `padding` to 0, batchnorm `momentum` to 0.1 and `epsilon` to 1e-5.
extension LayerSpec: Codable {
    /// Every value of `"type"` that decodes.
    public static let typeNames = ["dense", "relu", "leaky_relu", "tanh", "sigmoid", "identity", "conv2d", "maxpool2d",
                                   "avgpool2d", "global_avgpool", "batchnorm", "dropout", "flatten", "residual"]

    private enum CodingKeys: String, CodingKey {
        case type, inputs, outputs, bias, slope, kernel, stride, padding, features, momentum, epsilon, probability,
            body, projection
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "dense":
            self = .dense(
                inputs: try c.decode(Int.self, forKey: .inputs), outputs: try c.decode(Int.self, forKey: .outputs),
                          bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true)
        case "relu": self = .activation(.relu)
        case "leaky_relu":
            self = .activation(.leakyRelu(slope: try c.decodeIfPresent(Float.self, forKey: .slope) ?? 0.01))
        case "tanh": self = .activation(.tanh)
        case "sigmoid": self = .activation(.sigmoid)
        case "identity": self = .activation(.identity)
        case "conv2d":
            self = .conv2d(
                inputs: try c.decode(Int.self, forKey: .inputs), outputs: try c.decode(Int.self, forKey: .outputs),
                           kernel: try c.decode(Int.self, forKey: .kernel),
                           stride: try c.decodeIfPresent(Int.self, forKey: .stride) ?? 1,
                           padding: try c.decodeIfPresent(Int.self, forKey: .padding) ?? 0,
                           bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true)
        case "maxpool2d", "avgpool2d":
            let k = try c.decode(Int.self, forKey: .kernel)
            let s = try c.decodeIfPresent(Int.self, forKey: .stride) ?? k
            let p = try c.decodeIfPresent(Int.self, forKey: .padding) ?? 0
            self =
                type == "maxpool2d"
                ? .maxPool2d(kernel: k, stride: s, padding: p) : .avgPool2d(kernel: k, stride: s, padding: p)
        case "global_avgpool": self = .globalAvgPool
        case "batchnorm":
            self = .batchNorm(features: try c.decode(Int.self, forKey: .features),
                              momentum: try c.decodeIfPresent(Float.self, forKey: .momentum) ?? 0.1,
                              epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon) ?? 1e-5)
        case "dropout": self = .dropout(probability: try c.decode(Float.self, forKey: .probability))
        case "flatten": self = .flatten
        case "residual":
            self = .residual(body: try c.decode([LayerSpec].self, forKey: .body),
                             projection: try c.decodeIfPresent([LayerSpec].self, forKey: .projection))
        default:
            throw ArchitectureError.unknownLayerType(path: Self.render(decoder.codingPath), type: type)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .dense(let i, let o, let b):
            try c.encode("dense", forKey: .type)
            try c.encode(i, forKey: .inputs)
            try c.encode(o, forKey: .outputs)
            try c.encode(b, forKey: .bias)
        case .activation(let kind):
            try c.encode(kind.name, forKey: .type)
            if case .leakyRelu(let s) = kind { try c.encode(s, forKey: .slope) }
        case .conv2d(let i, let o, let k, let s, let p, let b):
            try c.encode("conv2d", forKey: .type)
            try c.encode(i, forKey: .inputs)
            try c.encode(o, forKey: .outputs)
            try c.encode(k, forKey: .kernel)
            try c.encode(s, forKey: .stride)
            try c.encode(p, forKey: .padding)
            try c.encode(b, forKey: .bias)
        case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p):
            if case .maxPool2d = self {
                try c.encode("maxpool2d", forKey: .type)
            } else {
                try c.encode("avgpool2d", forKey: .type)
            }
            try c.encode(k, forKey: .kernel)
            try c.encode(s, forKey: .stride)
            try c.encode(p, forKey: .padding)
        case .globalAvgPool:
            try c.encode("global_avgpool", forKey: .type)
        case .batchNorm(let f, let m, let e):
            try c.encode("batchnorm", forKey: .type)
            try c.encode(f, forKey: .features)
            try c.encode(m, forKey: .momentum)
            try c.encode(e, forKey: .epsilon)
        case .dropout(let p):
            try c.encode("dropout", forKey: .type)
            try c.encode(p, forKey: .probability)
        case .flatten:
            try c.encode("flatten", forKey: .type)
        case .residual(let body, let projection):
            try c.encode("residual", forKey: .type)
            try c.encode(body, forKey: .body)
            try c.encodeIfPresent(projection, forKey: .projection)
        }
    }

    /// `[layers, 3, body, 1]` as `layers.3.body.1`.
    static func render(_ path: [CodingKey]) -> String {
        path.isEmpty ? "layer" : path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

extension Architecture {
    /// Decodes architecture JSON; errors name the failing layer (`layers.3`) and the reason.
    public init(json: Data) throws {
        do {
            self = try JSONDecoder().decode(Architecture.self, from: json)
        } catch let error as ArchitectureError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw ArchitectureError.malformed(
                "\(LayerSpec.render(context.codingPath)): missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ArchitectureError.malformed("\(LayerSpec.render(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw ArchitectureError.malformed("\(LayerSpec.render(context.codingPath)): \(context.debugDescription)")
        }
    }

    /// The JSON form: sorted keys, pretty-printed, so equal architectures give equal bytes.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    /// The per-sample shape after each layer, checked without building the network; errors name
    /// the layer (`layers.3`) and both shapes.
    public func outputShapes() throws -> [[Int]] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError.invalidArchitecture("the input shape \(inputShape) needs positive sides")
        }
        for side in inputShape { try SizeLimits.checkDimension(side, "input side") }
        _ = try SizeLimits.sampleCount(inputShape)
        var shape = inputShape
        var out: [[Int]] = []
        for (i, spec) in layers.enumerated() {
            do { shape = try spec.outputShape(for: shape) } catch let e as ShapeError { throw e.at("layers.\(i)") }
            out.append(shape)
        }
        return out
    }
}
