/// Problems with a surgery request that a user can cause; the network is left unchanged.
public enum SurgeryError: Error, Equatable, CustomStringConvertible {
    /// The layer index does not exist.
    case layerOutOfRange(layer: Int, layerCount: Int)
    /// The layer is not a Dense layer (units are Dense outputs here).
    case notDense(layer: Int, found: String)
    /// No Dense layer consumes this layer's units (it is the last Dense, or something other than
    /// elementwise activations sits between it and the next Dense).
    case noConsumingLayer(layer: Int, found: String)
    /// A unit index is outside the layer's units.
    case unitOutOfRange(layer: Int, unit: Int, unitCount: Int)
    /// A unit index appears more than once.
    case duplicateUnit(layer: Int, unit: Int)
    /// The request would remove every unit of the layer.
    case wouldRemoveAllUnits(layer: Int, unitCount: Int)
    /// A removal (EigenRemove, minimum weight, random) must make the layer smaller.
    case widthNotSmaller(layer: Int, width: Int, target: Int)
    /// An expansion (WeakExpand, ZeroExpand) must make the layer larger.
    case widthNotLarger(layer: Int, width: Int, target: Int)
    /// A rank ratio must lie in (0, 1].
    case rankRatioOutOfRange(layer: Int, rankRatio: Double)
    /// A plan made for another width of the layer (the network changed since it was planned).
    case planDoesNotFit(layer: Int, plannedWidth: Int, width: Int)

    public var description: String {
        switch self {
        case .layerOutOfRange(let l, let n):
            return "layer \(l) does not exist: the network has \(n) layers (0..<\(n))"
        case .notDense(let l, let found):
            return "layer \(l) is \(found), not a dense layer"
        case .noConsumingLayer(let l, let found):
            return "layer \(l) has no dense layer consuming its units (found \(found) after it)"
        case .unitOutOfRange(let l, let u, let n):
            return "unit \(u) of layer \(l) does not exist: the layer has \(n) units (0..<\(n))"
        case .duplicateUnit(let l, let u):
            return "unit \(u) of layer \(l) is listed more than once"
        case .wouldRemoveAllUnits(let l, let n):
            return "removing these units would leave layer \(l) with none of its \(n) units"
        case .widthNotSmaller(let l, let w, let t):
            return "layer \(l) has \(w) units: a removal needs a target width below \(w), got \(t)"
        case .widthNotLarger(let l, let w, let t):
            return "layer \(l) has \(w) units: an expansion needs a target width above \(w), got \(t)"
        case .rankRatioOutOfRange(let l, let r):
            return "rank ratio \(r) for layer \(l) is outside (0, 1]"
        case .planDoesNotFit(let l, let p, let w):
            return "the plan for layer \(l) was made for \(p) units, but the layer has \(w)"
        }
    }
}
