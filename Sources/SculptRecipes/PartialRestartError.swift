#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a user can get wrong in a partial restart; thrown before any training.
public enum PartialRestartError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A value of the configuration is impossible.
    case invalidConfiguration(String)
    /// A named layer does not exist or has no filters to restart.
    case unknownLayer(String)
    /// The useless count exceeds a layer's width.
    case countTooLarge(layer: String, count: Int, width: Int)
    /// The data does not fit the network.
    case dataMismatch(String)
    /// A saved run was made with another configuration or seed, or is damaged.
    case cannotResume(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): return "invalid partial-restart configuration: \(why)"
        case .unknownLayer(let why): return "unknown layer: \(why)"
        case .countTooLarge(let layer, let count, let width):
            return "useless count \(count) is larger than \(layer)'s \(width) filters"
        case .dataMismatch(let why): return why
        case .cannotResume(let why): return "cannot resume: \(why)"
        }
    }

    public var errorDescription: String? { description }
}
