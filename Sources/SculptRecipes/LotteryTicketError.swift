#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a user can get wrong when searching for lottery tickets.
public enum LotteryTicketError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// A value of the configuration is impossible.
    case invalidConfiguration(String)
    /// The network has nothing the requested pruning can act on, or a layer it cannot handle.
    case unsupportedNetwork(String)
    /// The data does not fit the network.
    case dataMismatch(String)
    /// A mask does not fit the network it is applied to.
    case maskMismatch(parameter: String, expected: [Int], actual: Int)

    public var description: String {
        switch self {
        case .invalidConfiguration(let why): return "invalid lottery-ticket configuration: \(why)"
        case .unsupportedNetwork(let why): return "cannot prune this network: \(why)"
        case .dataMismatch(let why): return why
        case .maskMismatch(let name, let shape, let count):
            return "mask for \(name) has \(count) entries but the parameter has shape \(shape)"
        }
    }

    public var errorDescription: String? { description }
}
