import SculptCore
import SculptData
import SculptNN

/// Everything `sculpt inspect` shows about one unit of a Dense layer.
public struct UnitInspection: Codable, Equatable, Sendable {
    /// The producing Dense layer's index in the network.
    public var layer: Int
    /// The unit's index in that layer.
    public var unit: Int
    /// Loss with the unit's outgoing weights zeroed over the network's loss (see `UnitContributions`).
    public var lossRatio: Float
    /// `lossRatio >= threshold`.
    public var active: Bool
    /// Index of the unit's trivially redundant group among the layer's groups (see
    /// `Redundancy.groups`), nil when the unit is redundant with no other.
    public var redundancyGroup: Int?
    /// L2 norm of the incoming weights (the producer's row, bias excluded).
    public var incomingNorm: Float
    /// The unit's bias (0 without one).
    public var bias: Float
    /// L2 norm of the outgoing weights (the consumer's column).
    public var outgoingNorm: Float
}

extension UnitInspection {
    /// Inspects every unit of the Dense layers `layers` (default: every ReLU layer) of `network` on `data`.
    public static func inspect(network: Network, data: Dataset, loss: Loss, layers: [Int]? = nil,
                               threshold: Float = UnitContributions.defaultThreshold,
                               redundancy: Float = Redundancy.defaultThreshold) throws -> [UnitInspection] {
        let baseline = network.evaluate(on: data, loss: loss, batchSize: 4096).loss
        var out: [UnitInspection] = []
        for layer in layers ?? DenseUnits.reluLayers(in: network) {
            let units = try DenseUnits(network: network, layer: layer)
            let scores = try UnitContributions.measure(network: network, layer: layer, data: data, loss: loss,
                                                       threshold: threshold, baseline: baseline)
            var groupOf: [Int: Int] = [:]
            for (g, group) in try Redundancy.groups(network: network, layer: layer, threshold: redundancy).enumerated()
            {
                for u in group.units { groupOf[u] = g }
            }
            let inputs = units.producer.inputFeatures, n = units.count, rows = units.consumer.outputFeatures
            let w = units.producer.weight.value.data, v = units.consumer.weight.value.data
            for score in scores {
                let k = score.unit
                var incoming = 0.0, outgoing = 0.0
                for i in 0..<inputs { incoming += Double(w[k * inputs + i]) * Double(w[k * inputs + i]) }
                for r in 0..<rows { outgoing += Double(v[r * n + k]) * Double(v[r * n + k]) }
                out.append(UnitInspection(layer: layer, unit: k, lossRatio: score.lossRatio, active: score.isActive,
                                          redundancyGroup: groupOf[k], incomingNorm: Float(incoming.squareRoot()),
                                          bias: units.producer.bias.map { $0.value.data[k] } ?? 0,
                                          outgoingNorm: Float(outgoing.squareRoot())))
            }
        }
        return out
    }
}
