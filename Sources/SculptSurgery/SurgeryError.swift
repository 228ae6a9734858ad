#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore

/// Problems with a surgery request that a user can cause; the network is left unchanged.
///
/// Layers are named by their path (`layers.3`, `layers.5.body.0`) whether the request came
/// through the index-addressed Dense API or the unit-group API: one case per problem.
public enum SurgeryError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The layer is not a Dense layer (the index-addressed Dense API: units are Dense outputs).
    case notDense(layer: Int, found: String)
    /// No Dense layer consumes this layer's units (it is the last Dense, or something other than
    /// elementwise activations sits between it and the next Dense).
    case noConsumingLayer(layer: Int, found: String)
    /// A unit index is outside the layer's units.
    case unitOutOfRange(path: String, unit: Int, unitCount: Int)
    /// A unit index appears more than once.
    case duplicateUnit(path: String, unit: Int)
    /// The request would remove every unit of the layer.
    case removesEveryUnit(path: String, unitCount: Int)
    /// A removal (EigenRemove, minimum weight, random) must make the layer smaller.
    case widthNotSmaller(path: String, width: Int, target: Int)
    /// An expansion (WeakExpand, ZeroExpand) must make the layer larger.
    case widthNotLarger(path: String, width: Int, target: Int)
    /// A rank ratio must lie in (0, 1].
    case rankRatioOutOfRange(path: String, rankRatio: Double)
    /// The resized layer's tensors would need more memory than the limit allows.
    case tooLarge(path: String, width: Int, bytes: Double, limit: Double)
    /// A plan made for another width of the layer (the network changed since it was planned).
    case planDoesNotFit(layer: Int, plannedWidth: Int, width: Int)
    /// A layer path that does not parse (`layers.3`, `layers.5.body.0`).
    case invalidLayerPath(String)
    /// No layer at this path.
    case unknownLayer(path: String, reason: String)
    /// The layer has no units (units are the outputs of Dense and Conv2D layers).
    case notUnitLayer(path: String, found: String)
    /// The units are the network's outputs: no layer consumes them.
    case unitsAreOutputs(path: String)
    /// The units are coupled (through residual additions) with the network's input channels.
    case unitsAreInputs(path: String)
    /// A layer the unit's slices pass through that surgery cannot follow.
    case unsupportedLayer(path: String, found: String, reason: String)
    /// A fold or collapse that would not be exact, or has nothing to fold.
    case notFoldable(path: String, reason: String)
    /// No parameter has this name.
    case unknownParameter(name: String, known: Int)
    /// A value outside what an operation accepts.
    case invalidValue(name: String, value: String, reason: String)
    /// A history record whose operation this module does not know.
    case unknownOperation(String)

    public var description: String {
        switch self {
        case .notDense(let l, let found):
            return "layer \(l) is \(found), not a dense layer"
        case .noConsumingLayer(let l, let found):
            return "layer \(l) has no dense layer consuming its units (found \(found) after it)"
        case .unitOutOfRange(let path, let u, let n):
            return "unit \(u) of layer \(path) does not exist: the layer has \(n) units (0..<\(n))"
        case .duplicateUnit(let path, let u):
            return "unit \(u) of layer \(path) is listed more than once"
        case .removesEveryUnit(let path, let n):
            return "removing these units would leave layer \(path) with none of its \(n) units"
        case .widthNotSmaller(let path, let w, let t):
            return "layer \(path) has \(w) units: a removal needs a target width below \(w), got \(t)"
        case .widthNotLarger(let path, let w, let t):
            return "layer \(path) has \(w) units: an expansion needs a target width above \(w), got \(t)"
        case .rankRatioOutOfRange(let path, let r):
            return "rank ratio \(r) for layer \(path) is outside (0, 1]"
        case .tooLarge(let path, let w, let bytes, let limit):
            return "layer \(path) at \(w) units needs an estimated \(NumberFormatting.bytes(bytes)), "
                + "above the limit of \(NumberFormatting.bytes(limit))"
        case .planDoesNotFit(let l, let p, let w):
            return "the plan for layer \(l) was made for \(p) units, but the layer has \(w)"
        case .invalidLayerPath(let text):
            return "'\(text)' is not a layer path: write layers.N, layers.N.body.M or layers.N.projection.M"
        case .unknownLayer(let path, let reason):
            return "layer \(path) does not exist: \(reason)"
        case .notUnitLayer(let path, let found):
            return "layer \(path) is \(found); units belong to dense and conv2d layers"
        case .unitsAreOutputs(let path):
            return "the units of layer \(path) are the network's outputs: no layer consumes them"
        case .unitsAreInputs(let path):
            return "the units of layer \(path) are added to the network's input channels through identity shortcuts"
        case .unsupportedLayer(let path, let found, let reason):
            return "layer \(path) (\(found)): \(reason)"
        case .notFoldable(let path, let reason):
            return "layer \(path) cannot be folded: \(reason)"
        case .unknownParameter(let name, let known):
            return "no parameter is named \(name) (the network has \(known) parameters, named like layers.0.weight)"
        case .invalidValue(let name, let value, let reason):
            return "\(name) \(value): \(reason)"
        case .unknownOperation(let name):
            return "history operation '\(name)' is not a surgery plan this version can replay"
        }
    }

    public var errorDescription: String? { description }
}
