import SculptCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Problems with an analysis request that a user can cause.
public enum AnalysisError: Error, Equatable, LocalizedError, CustomStringConvertible {
    /// A weight holds NaN or Inf entries; its analyses are skipped and reported.
    case nonFinite(name: String, count: Int, total: Int)
    /// A tensor that is neither a Dense `[out, in]` nor a Conv2D `[O, I, kH, kW]` weight.
    case unsupportedShape(name: String, shape: [Int])
    /// Distances from initialization need initial weights.
    case noInitialWeights(reason: String)
    /// An initial tensor whose shape differs from the trained one.
    case initialShapeMismatch(name: String, trained: [Int], initial: [Int])
    /// An initial tensor that is missing.
    case missingInitialTensor(name: String)
    /// A lottery mask that does not fit the weight it masks.
    case maskMismatch(name: String, expected: Int, actual: Int)
    /// An option outside its range.
    case invalidOption(name: String, reason: String)

    public var description: String {
        switch self {
        case .nonFinite(let name, let count, let total):
            return "\(name): \(count) of \(total) values are NaN or Inf"
        case .unsupportedShape(let name, let shape):
            return "\(name): shape \(shape) is neither a Dense [out, in] nor a Conv2D [O, I, kH, kW] weight"
        case .noInitialWeights(let reason):
            return
                "no initial weights: \(reason); pass --init RUN0 (a checkpoint of the same network at initialization)"
        case .initialShapeMismatch(let name, let trained, let initial):
            return "initial weights: \(name) has shape \(initial), the trained network's has \(trained)"
        case .missingInitialTensor(let name):
            return "initial weights: no tensor \(name)"
        case .maskMismatch(let name, let expected, let actual):
            return "lottery mask: \(name) has \(actual) entries, the weight has \(expected)"
        case .invalidOption(let name, let reason):
            return "\(name): \(reason)"
        }
    }

    public var errorDescription: String? { description }

    /// Throws `.nonFinite` when `t` holds NaN or Inf.
    static func checkFinite(_ t: Tensor, name: String) throws {
        guard !t.isFinite else { return }
        var bad = 0
        for i in 0..<t.count where !t.data[i].isFinite { bad += 1 }
        throw AnalysisError.nonFinite(name: name, count: bad, total: t.count)
    }
}
