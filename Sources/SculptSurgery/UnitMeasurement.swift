import SculptCore
import SculptData
import SculptNN

/// Every per-unit measurement of one unit of a group.
public struct UnitMeasurement: Codable, Equatable, Sendable {
    public var unit: Int
    public var incomingL1: Float
    public var incomingL2: Float
    public var outgoingL1: Float
    public var outgoingL2: Float
    /// Loss with the unit's outgoing slices zeroed over the network's loss (`UnitAblation`).
    public var lossRatio: Float
    public var taylor: Float
    public var taylorNormalized: Float
    public var meanActivation: Float
    /// Fraction of zero activations (APoZ).
    public var zeroFraction: Float
    /// Index of the unit's trivially redundant set within the layer, nil when it has none.
    public var redundancyGroup: Int?
}

/// The measurements of one group's units, with per-layer means.
public struct LayerMeasurement: Codable, Equatable, Sendable {
    /// The anchor layer's path.
    public var layer: String
    /// Every producer's path (more than one for a residual stream).
    public var producers: [String]
    public var units: [UnitMeasurement]
    /// The trivially redundant sets (unit indices).
    public var redundantGroups: [[Int]]
    /// Means over the units.
    public var meanIncomingL2: Float
    public var meanOutgoingL2: Float
    public var meanLossRatio: Float
    public var meanZeroFraction: Float
}

extension LayerMeasurement {
    /// Measures every unit of `group` on `data` (eval mode; the network ends bit-for-bit as it
    /// started). `redundancy` is the cosine threshold; conv kernels also match their circular
    /// permutations when `circular` is set.
    public static func measure(network: Network, group: UnitGroup, data: Dataset, loss: Loss,
                               redundancy: Float = Redundancy.defaultThreshold, circular: Bool = true,
                               baseline: Float? = nil) throws -> LayerMeasurement {
        let norms = UnitWeightNorms.measure(group)
        let ablation = try UnitAblation.lossRatios(
            network: network, group: group, data: data, loss: loss, baseline: baseline)
        let activity = try UnitActivity.measure(network: network, group: group, data: data, loss: loss)
        let sets = Redundancy.groups(in: group, threshold: redundancy, circular: circular)
        var setOf: [Int: Int] = [:]
        for (k, set) in sets.enumerated() { for u in set { setOf[u] = k } }
        let units = (0..<group.count).map { u in
            UnitMeasurement(unit: u, incomingL1: norms[u].incomingL1, incomingL2: norms[u].incomingL2,
                outgoingL1: norms[u].outgoingL1, outgoingL2: norms[u].outgoingL2, lossRatio: ablation[u].ratio,
                            taylor: activity[u].taylor, taylorNormalized: activity[u].taylorNormalized,
                            meanActivation: activity[u].meanActivation, zeroFraction: activity[u].zeroFraction,
                            redundancyGroup: setOf[u])
        }
        func mean(_ f: (UnitMeasurement) -> Float) -> Float {
            Float(units.reduce(0.0) { $0 + Double(f($1)) } / Double(Swift.max(units.count, 1)))
        }
        return LayerMeasurement(
            layer: group.anchor.description, producers: group.producers.map(\.path.description), units: units,
            redundantGroups: sets, meanIncomingL2: mean(\.incomingL2), meanOutgoingL2: mean(\.outgoingL2),
                                meanLossRatio: mean(\.lossRatio), meanZeroFraction: mean(\.zeroFraction))
    }

    /// Measures the groups of `layers` (default: every group in the network, `UnitGroup.all`).
    public static func measure(network: Network, layers: [LayerPath]? = nil, data: Dataset, loss: Loss,
        redundancy: Float = Redundancy.defaultThreshold, circular: Bool = true
    ) throws -> [LayerMeasurement] {
        let groups =
            try layers.map { try $0.map { try UnitGroup(network: network, layer: $0) } } ?? UnitGroup.all(in: network)
        let baseline = network.evaluate(on: data, loss: loss, batchSize: 4096).loss
        return try groups.map {
            try measure(
                network: network, group: $0, data: data, loss: loss, redundancy: redundancy, circular: circular,
                baseline: baseline)
        }
    }
}
