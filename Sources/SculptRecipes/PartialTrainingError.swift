#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Partial-training choices a user can get wrong; thrown before anything is changed or trained.
public enum PartialTrainingError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidMode(String, reason: String)
    case fractionOutOfRange(Double)
    case countNotPositive(Int)
    case countExceedsWidth(layer: String, count: Int, width: Int)
    case invalidDimension(Int)
    case unknownLayer(String, known: String)
    case nothingToLearn(String)
    case invalidEnsemble(String)
    /// A word (`rest`, `selection`) that is none of the allowed ones.
    case unknownChoice(what: String, value: String, allowed: [String])

    public var description: String {
        switch self {
        case .invalidMode(let text, let reason): return "invalid partial-training mode '\(text)': \(reason)"
        case .fractionOutOfRange(let p): return "the fraction learned must lie in (0, 1], got \(p)"
        case .countNotPositive(let k): return "the number of filters learned per layer must be at least 1, got \(k)"
        case .countExceedsWidth(let layer, let k, let width):
            return "cannot learn \(k) filters per layer: layer \(layer) has only \(width)"
        case .invalidDimension(let d):
            return "the slice dimension must be 1 (output channel), 2 (input channel), 3 (kernel row) or 4 (kernel " +
                   "column), got \(d)"
        case .unknownLayer(let name, let known): return "unknown block '\(name)' (\(known))"
        case .nothingToLearn(let why): return "nothing would learn: \(why)"
        case .invalidEnsemble(let why): return "invalid cheap ensemble: \(why)"
        case .unknownChoice(let what, let value, let allowed):
            return "\(what) must be \(allowed.joined(separator: " or ")), got '\(value)'"
        }
    }

    public var errorDescription: String? { description }
}
