#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptIO
import SculptNN

/// One surgery operation as data: validated against a network, applied, then recorded in the
/// network's history (`HistoryRecord`, saved with checkpoints) so the history can be replayed
/// onto the original network.
public enum SurgeryPlan: Codable, Equatable, Sendable {
    /// Physically remove units of the group at `layer`.
    case remove(layer: LayerPath, units: [Int])
    /// Draw fresh weights for units (seeded, so a replay draws the same numbers); with
    /// `zeroOutgoing` their consumers' slices become 0 (a function-preserving restart).
    case reinitialize(layer: LayerPath, units: [Int], scheme: ReinitializationScheme, zeroOutgoing: Bool, seed: UInt64)
    case freeze(FreezeTarget)
    case unfreeze(FreezeTarget)
    /// Fold the BatchNorm at (or directly after) `layer` into the layer before it; nil: every one.
    case foldBatchNorm(layer: LayerPath?)
    /// Fold the linear Dense / 1x1 Conv2D at `layer` into the next layer; nil: every one.
    case collapse(layer: LayerPath?)
    /// Shrink the group at `layer` to `to` units (EigenRemove, Minimum Weight Selection, random).
    case shrink(layer: LayerPath, to: Int, method: ShrinkMethod)
    /// Grow the group at `layer` to `to` units (WeakExpand, ZeroExpand).
    case expand(layer: LayerPath, to: Int, method: ExpandMethod)

    /// The operation's name in history records and on the command line.
    public var operation: String {
        switch self {
        case .remove: return "remove"
        case .reinitialize: return "reinit"
        case .freeze: return "freeze"
        case .unfreeze: return "unfreeze"
        case .foldBatchNorm: return "fold-bn"
        case .collapse: return "collapse"
        case .shrink(_, _, let method):
            switch method {
            case .eigenRemove: return "eigenremove"
            case .minimumWeight: return "minweight"
            case .random: return "random-remove"
            }
        case .expand(_, _, let method):
            if case .zero = method { return "zero-expand" }
            return "expand"
        }
    }

    /// Throws the error `apply` would throw, without changing the network. An expansion whose
    /// tensors would need more than `memoryLimit` bytes is refused (`SurgeryError.tooLarge`).
    public func validate(on network: Network, memoryLimit: Double = MemoryBudget.standard.limit) throws {
        switch self {
        case .remove(let layer, let units):
            let group = try UnitGroup(network: network, layer: layer)
            try group.validate(units)
            guard units.count < group.count else {
                throw SurgeryError.removesEveryUnit(path: layer.description, unitCount: group.count)
            }
        case .reinitialize(let layer, let units, _, _, _):
            try UnitGroup(network: network, layer: layer).validate(units)
        case .freeze(let target), .unfreeze(let target):
            try Self.validate(target, on: network)
        case .foldBatchNorm(let layer?):
            let target = try network.layer(at: layer)
            let list = try network.layers(of: layer.sequence)
            let bnIndex = target is BatchNorm ? layer.index : layer.index + 1
            guard bnIndex < list.count, list[bnIndex] is BatchNorm, bnIndex > 0, list[bnIndex - 1] is UnitLayer else {
                throw SurgeryError.notFoldable(
                    path: layer.description,
                    reason:
                        "it is not a BatchNorm directly after a dense or conv2d layer, nor such a layer followed by one"
                )
            }
        case .collapse(let layer?):
            let first = try network.layer(at: layer)
            if first is Conv2D {
                guard try Network.canCollapse(network, at: layer) else {
                    throw SurgeryError.notFoldable(
                        path: layer.description,
                        reason:
                            "not a 1x1 stride-1 unpadded conv2d followed, over identity activations, by a conv2d it can fold into exactly"
                    )
                }
            } else {
                guard first is Dense, Network.isLinear(at: layer.index, in: try network.layers(of: layer.sequence))
                else {
                    throw SurgeryError.notFoldable(
                        path: layer.description,
                        reason: "not a dense layer followed, over identity activations only, by a dense layer")
                }
            }
        case .shrink(let layer, let width, let method):
            try GroupResize.validateShrink(UnitGroup(network: network, layer: layer), width: width, method: method)
        case .expand(let layer, let width, let method):
            try GroupResize.validateExpand(UnitGroup(network: network, layer: layer), width: width, method: method,
                                           memoryLimit: memoryLimit)
        case .foldBatchNorm(nil), .collapse(nil):
            break
        }
    }

    private static func validate(_ target: FreezeTarget, on network: Network) throws {
        switch target {
        case .units(let layer, let units): try UnitGroup(network: network, layer: layer).validate(units)
        case .layers(let paths): for p in paths { _ = try network.layer(at: p) }
        case .parameters(let names):
            let known = Set(network.namedParameters.map(\.name))
            for n in names where !known.contains(n) { throw SurgeryError.unknownParameter(name: n, known: known.count) }
        }
    }

    /// Validates, then applies the plan. On an error the network is unchanged.
    public func apply(to network: Network, memoryLimit: Double = MemoryBudget.standard.limit) throws {
        try validate(on: network, memoryLimit: memoryLimit)
        switch self {
        case .remove(let layer, let units):
            try network.removeUnits(units, layer: layer)
        case .reinitialize(let layer, let units, let scheme, let zeroOutgoing, let seed):
            var rng = RandomSource(seed: seed)
            try network.reinitializeUnits(units, layer: layer, scheme: scheme, zeroOutgoing: zeroOutgoing, rng: &rng)
        case .freeze(let target): try network.freeze(target)
        case .unfreeze(let target): try network.unfreeze(target)
        case .foldBatchNorm(let layer?): try network.foldBatchNorm(at: layer)
        case .foldBatchNorm(nil): try network.foldBatchNorms()
        case .collapse(let layer?): try network.collapse(at: layer)
        case .collapse(nil): try network.collapseAllLinearLayers()
        case .shrink(let layer, let width, let method): try network.shrinkUnits(layer: layer, to: width, method: method)
        case .expand(let layer, let width, let method):
            try network.expandUnits(layer: layer, to: width, method: method, memoryLimit: memoryLimit)
        }
    }

    /// Validates, applies and appends the plan's record to `history`.
    public func apply(to network: Network, history: inout [HistoryRecord], epoch: Int? = nil,
                      memoryLimit: Double = MemoryBudget.standard.limit) throws {
        try apply(to: network, memoryLimit: memoryLimit)
        history.append(try record(epoch: epoch))
    }

    /// The plan as a history record (`details` holds the plan's JSON).
    public func record(epoch: Int? = nil) throws -> HistoryRecord {
        let json = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(self))
        return HistoryRecord(operation: operation, epoch: epoch, details: json)
    }

    /// The plan a history record holds.
    public init(record: HistoryRecord) throws {
        do {
            self = try JSONDecoder().decode(SurgeryPlan.self, from: try JSONEncoder().encode(record.details))
        } catch {
            throw SurgeryError.unknownOperation(record.operation)
        }
    }
}

/// Replaying surgery histories.
public enum SurgeryHistory {
    /// Applies every record of `history`, in order, to `network` (the network the history
    /// started from); throws on a record that is not a `SurgeryPlan` or does not apply.
    public static func replay(_ history: [HistoryRecord], onto network: Network) throws {
        for record in history { try SurgeryPlan(record: record).apply(to: network) }
    }
}
