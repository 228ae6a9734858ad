import SculptCore
import SculptNN

/// What a unit removal did.
public struct RemovalReport: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// The removed units, as indices before removal, ascending.
    public var removedUnits: [Int]
    /// Units left in the layer.
    public var remainingUnits: Int
    /// Scalar parameters before and after.
    public var parametersBefore: Int
    public var parametersAfter: Int
}

extension Network {
    /// Removes `units` of the Dense layer at `layer`: their weight rows and bias entries, and the
    /// matching columns of the consuming Dense layer (over elementwise activations). Gradients,
    /// masks and optimizer state are sliced with the same indices. Validates first: on an error
    /// the network is unchanged.
    @discardableResult
    public func removeUnits(_ units: [Int], layer: Int) throws -> RemovalReport {
        let group = try DenseUnits(network: self, layer: layer)
        let before = parameterCount, keep = group.count - units.count
        try removeUnits(units, layer: LayerPath(layer))
        return RemovalReport(layer: layer, removedUnits: units.sorted(), remainingUnits: keep,
                             parametersBefore: before, parametersAfter: parameterCount)
    }

    /// Folds unit `duplicate` into unit `kept` of the ReLU (or identity) layer `layer`, assuming
    /// the duplicate's incoming weights and bias are `scale` (> 0) times the kept unit's: the
    /// kept unit's outgoing column gains `scale` times the duplicate's, whose column becomes zero.
    /// Exact when the proportionality is exact (relu(s z) = s relu(z) for s > 0).
    public func mergeUnit(_ duplicate: Int, into kept: Int, scale: Float, layer: Int) throws {
        let group = try DenseUnits(network: self, layer: layer)
        try group.validate([duplicate, kept])
        precondition(scale > 0, "merge scale must be positive, got \(scale)")
        let w = group.consumer.weight.value.data
        let n = group.count
        for r in 0..<group.consumer.outputFeatures {
            w[r * n + kept] += scale * w[r * n + duplicate]
            w[r * n + duplicate] = 0
        }
    }
}
