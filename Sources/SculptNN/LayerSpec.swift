import SculptCore

/// A layer described as data: the building block of architecture JSON.
///
/// Encoded as an object with a `"type"` key, e.g. `{"type": "dense", "inputs": 2, "outputs": 3}`.
/// Decoding then encoding gives back the same description.
public enum LayerSpec: Equatable, Sendable {
    case dense(inputs: Int, outputs: Int, bias: Bool)
    case activation(ActivationKind)

    /// Builds the layer, initializing parameters with `initializer`.
    public func makeLayer(initializer: Initializer = .pytorchDefault, rng: inout RandomSource) throws -> Layer {
        switch self {
        case .dense(let i, let o, let b):
            guard i > 0, o > 0 else { throw ShapeError.invalidArchitecture("dense layer needs positive widths, got \(i) -> \(o)") }
            return Dense(inputs: i, outputs: o, bias: b, initializer: initializer, rng: &rng)
        case .activation(let kind):
            return Activation(kind)
        }
    }
}

extension LayerSpec: Codable {
    private enum CodingKeys: String, CodingKey { case type, inputs, outputs, bias, slope }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "dense":
            self = .dense(inputs: try c.decode(Int.self, forKey: .inputs), outputs: try c.decode(Int.self, forKey: .outputs),
                          bias: try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true)
        case "relu": self = .activation(.relu)
        case "leaky_relu": self = .activation(.leakyRelu(slope: try c.decodeIfPresent(Float.self, forKey: .slope) ?? 0.01))
        case "tanh": self = .activation(.tanh)
        case "sigmoid": self = .activation(.sigmoid)
        case "identity": self = .activation(.identity)
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown layer type '\(type)'")
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
        }
    }
}
