import SculptCore

/// Weight initialization schemes. fanIn/fanOut follow PyTorch (Dense: in/out; Conv: I*kH*kW / O*kH*kW).
public enum Initializer: Codable, Equatable, Sendable {
    /// PyTorch's default for Linear/Conv: weight Kaiming-uniform with a = sqrt(5), i.e.
    /// U(-1/sqrt(fanIn), 1/sqrt(fanIn)); bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
    case pytorchDefault
    /// He/Kaiming normal (std sqrt(2/fanIn)), bias zero.
    case heNormal
    /// He/Kaiming uniform (bound sqrt(6/fanIn)), bias zero.
    case heUniform
    /// Glorot/Xavier uniform (bound sqrt(6/(fanIn+fanOut))), bias zero (Keras' default).
    case glorotUniform
    /// Glorot/Xavier normal (std sqrt(2/(fanIn+fanOut))), bias zero.
    case glorotNormal
    /// U(low, high) for weights and bias.
    case uniform(low: Float, high: Float)
    /// N(mean, std) for weights, bias zero.
    case normal(mean: Float, std: Float)

    /// Fills `weight` (and `bias`, if any) in place, drawing weights first, then the bias.
    public func initialize(weight: Tensor, bias: Tensor?, fanIn: Int, fanOut: Int, using rng: inout RandomSource) {
        let fi = Float(Swift.max(fanIn, 1)), fo = Float(Swift.max(fanOut, 1))
        switch self {
        case .pytorchDefault:
            let bound = 1 / fi.squareRoot()
            weight.fillUniform(-bound, bound, using: &rng)
            bias?.fillUniform(-bound, bound, using: &rng)
        case .heNormal:
            weight.fillNormal(std: (2 / fi).squareRoot(), using: &rng)
            bias?.fill(0)
        case .heUniform:
            let bound = (6 / fi).squareRoot()
            weight.fillUniform(-bound, bound, using: &rng)
            bias?.fill(0)
        case .glorotUniform:
            let bound = (6 / (fi + fo)).squareRoot()
            weight.fillUniform(-bound, bound, using: &rng)
            bias?.fill(0)
        case .glorotNormal:
            weight.fillNormal(std: (2 / (fi + fo)).squareRoot(), using: &rng)
            bias?.fill(0)
        case .uniform(let low, let high):
            weight.fillUniform(low, high, using: &rng)
            bias?.fillUniform(low, high, using: &rng)
        case .normal(let mean, let std):
            weight.fillNormal(mean: mean, std: std, using: &rng)
            bias?.fill(0)
        }
    }

    /// Parses "pytorch", "he", "he-uniform", "glorot", "xavier", "glorot-normal",
    /// "uniform:A:B", "normal:MEAN:STD"; nil for text `parse` rejects.
    public init?(parsing text: String) {
        guard let parsed = try? Self.parse(text) else { return nil }
        self = parsed
    }

    /// Parses like `init?(parsing:)`, throwing an error that says what is wrong with the text.
    public static func parse(_ text: String) throws -> Initializer {
        let parts = text.lowercased().split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ reason: String) -> InitializerError { InitializerError(text: text, reason: reason) }
        switch parts.first {
        case "pytorch", "default": return .pytorchDefault
        case "he", "he-normal", "kaiming": return .heNormal
        case "he-uniform", "kaiming-uniform": return .heUniform
        case "glorot", "xavier", "glorot-uniform", "xavier-uniform": return .glorotUniform
        case "glorot-normal", "xavier-normal": return .glorotNormal
        case "uniform":
            guard parts.count == 3, let a = Float(parts[1]), let b = Float(parts[2]), a.isFinite, b.isFinite else {
                throw bad("expected uniform:LOW:HIGH with two finite numbers")
            }
            guard a < b else { throw bad("low (\(parts[1])) must be below high (\(parts[2]))") }
            return .uniform(low: a, high: b)
        case "normal":
            guard parts.count == 3, let m = Float(parts[1]), let s = Float(parts[2]), m.isFinite, s.isFinite else {
                throw bad("expected normal:MEAN:STD with two finite numbers")
            }
            guard s > 0 else { throw bad("the standard deviation (\(parts[2])) must be positive") }
            return .normal(mean: m, std: s)
        default:
            throw bad(
                "unknown initializer; use pytorch, glorot, glorot-normal, he, he-uniform, uniform:LOW:HIGH or normal:MEAN:STD"
            )
        }
    }
}

/// Initializer text that does not parse.
public struct InitializerError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "\(text): \(reason)" }
}
