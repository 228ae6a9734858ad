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
        }
    }
}
