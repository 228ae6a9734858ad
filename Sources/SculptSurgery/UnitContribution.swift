import SculptCore
import SculptData
import SculptNN

/// One unit's contribution: the loss with the unit removed over the network's loss.
public struct UnitContribution: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// The unit's index in that layer.
    public var unit: Int
    /// Loss with the unit's outgoing weights zeroed.
    public var lossWithoutUnit: Float
    /// `lossWithoutUnit / baseline`; 1 when both are 0, `Float.greatestFiniteMagnitude` when only
    /// the baseline is 0 (kept finite so JSON can hold it).
    public var lossRatio: Float
    /// `lossRatio >= threshold`: removing the unit hurts (the paper's "active" node).
    public var isActive: Bool
}

/// Loss-based unit importance (Hyatt & Lee 2018, Section 4.1 step 5a).
public enum UnitContributions {
    /// The paper's threshold: a unit whose removal raises the loss by a factor below 1.5 is
    /// non-contributing ("low-loss").
    public static let defaultThreshold: Float = 1.5

    /// Scores every unit of the Dense layer at `layer`: for each unit its outgoing weights (the
    /// consumer's column) are zeroed, the loss on `data` is measured, and the column is written
    /// back, so the network ends bit-for-bit as it started. `baseline` defaults to the loss of
    /// the unchanged network.
    public static func measure(network: Network, layer: Int, data: Dataset, loss: Loss,
        threshold: Float = defaultThreshold, baseline: Float? = nil
    ) throws -> [UnitContribution] {
        _ = try DenseUnits(network: network, layer: layer)
        let group = try UnitGroup(network: network, layer: layer)
        return try UnitAblation.lossRatios(network: network, group: group, data: data, loss: loss, baseline: baseline)
            .map {
                UnitContribution(
                    layer: layer, unit: $0.unit, lossWithoutUnit: $0.loss, lossRatio: $0.ratio,
                    isActive: $0.ratio >= threshold)
        }
    }

    /// Number of active units (ratio >= `threshold`) summed over `layers` (default: every ReLU layer).
    public static func activeUnitCount(network: Network, data: Dataset, loss: Loss,
                                       threshold: Float = defaultThreshold, layers: [Int]? = nil) throws -> Int {
        let base = network.evaluate(on: data, loss: loss, batchSize: 4096).loss
        var count = 0
        for layer in layers ?? DenseUnits.reluLayers(in: network) {
            count += try measure(
                network: network, layer: layer, data: data, loss: loss, threshold: threshold, baseline: base
            )
                .filter(\.isActive).count
        }
        return count
    }
}
