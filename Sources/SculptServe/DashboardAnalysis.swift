#if Dashboard
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptSurgery

/// One row of the dashboard's layer table.
public struct LayerSummary: Codable, Equatable, Sendable {
    /// The path an operation names (`layers.3`) and its counted name (`conv2`, `fc1`).
    public var path: String
    public var name: String
    public var kind: String
    /// Units (filters or neurons), the layer's parameters, and units whose incoming weights are all frozen.
    public var width: Int
    public var parameters: Int
    public var frozenUnits: Int
    /// The largest singular values of the weight as a matrix [units, fan-in], largest first.
    public var spectrum: [Float]
    /// Stable rank: sum of squared singular values over the largest squared one.
    public var stableRank: Float?
}

/// What the dashboard previews before an operation is confirmed.
public struct OperationPreview: Codable, Equatable, Sendable {
    public var text: String
    public var layer: String?
    public var widthBefore: Int?
    public var widthAfter: Int?
    public var parametersBefore: Int
    public var parametersAfter: Int
    /// On the probe batch (eval mode, the dashboard's copy of the network): loss after / before,
    /// and the relative change of the outputs ||y' - y|| / ||y|| (the rank-reduction error of a
    /// shrink as the network's function sees it; 0 for a function-preserving expansion).
    public var lossFactor: Double
    public var outputChange: Double
}

/// The dashboard's measurements, on a network copy it owns (never the training network).
public enum DashboardAnalysis {
    /// Largest singular values shown per layer.
    public static let spectrumSize = 24

    /// The layer table of `network`: every Conv2D and Dense layer in forward order.
    public static func layers(of network: Network) -> [LayerSummary] {
        var counts: [WeightLayer.Kind: Int] = [:]
        return WeightLayer.all(in: network).compactMap { layer in
            guard layer.kind != .batchNorm, let weight = layer.weight else { return nil }
            counts[layer.kind, default: 0] += 1
            let name = (layer.kind == .convolution ? "conv" : "fc") + "\(counts[layer.kind]!)"
            let rows = weight.value.shape[0]
            let columns = weight.value.count / Swift.max(rows, 1)
            var frozen = 0
            if let mask = weight.mask {
                for r in 0..<rows where !(0..<columns).contains(where: { mask.data[r * columns + $0] != 0 }) {
                    frozen += 1
                }
            }
            let values = (try? weight.value.reshaped([rows, columns]).singularValues()).map(\.scalars) ?? []
            let top = values.first ?? 0
            let stable = top > 0 ? Float(values.reduce(0.0) { $0 + Double($1 * $1) } / Double(top * top)) : nil
            return LayerSummary(
                path: layer.path, name: name, kind: layer.kind.rawValue, width: rows,
                parameters: layer.layer.parameterCount, frozenUnits: frozen,
                spectrum: Array(values.prefix(spectrumSize)), stableRank: stable)
        }
    }

    /// Every unit measurement of one layer (norms, Taylor, ablation ratio, APoZ, redundancy) on `probe`.
    public static func units(
        of layer: String, in network: Network, probe: Dataset, loss: Loss
    ) throws -> LayerMeasurement {
        guard let path = try ScheduleOperation(operation: .freeze, layer: layer).layerPath(in: network) else {
            throw DashboardError.badMessage("a layer is needed")
        }
        return try LayerMeasurement.measure(
            network: network, group: try UnitGroup(network: network, layer: path),
            data: probe, loss: loss)
    }

    /// The preview of `operation` on `copy`: validated exactly as the run will validate it, then
    /// applied to a second copy and measured on `probe`.
    public static func preview(
        _ operation: ScheduleOperation, on copy: NetworkCopy, probe: Dataset,
        loss: Loss
    ) throws -> OperationPreview {
        try copy.validate(operation)
        let network = try NetworkCopy.deepCopy(copy.network)
        let path = try operation.layerPath(in: network)
        func width() -> Int? { path.flatMap { try? UnitGroup(network: network, layer: $0).count } }
        let widthBefore = width()
        let parametersBefore = network.parameterCount
        let inputs = Tensor(zeros: [0])
        let targets = Tensor(zeros: [0])
        probe.fillBatch(indices: Array(0..<probe.count)[...], inputs: inputs, targets: targets)
        let before = network.forward(inputs, training: false).copy()
        let lossBefore = loss.compute(prediction: before, target: targets, gradient: nil)
        try operation.plan(for: network, defaultSeed: 0).apply(to: network)
        let after = network.forward(inputs, training: false)
        let lossAfter = loss.compute(prediction: after, target: targets, gradient: nil)
        var difference = 0.0
        var norm = 0.0
        if after.count == before.count {
            for i in 0..<before.count {
                let d = Double(after.data[i]) - Double(before.data[i])
                difference += d * d
                norm += Double(before.data[i]) * Double(before.data[i])
            }
        }
        return OperationPreview(
            text: operation.description, layer: path?.description, widthBefore: widthBefore,
            widthAfter: width(), parametersBefore: parametersBefore,
            parametersAfter: network.parameterCount,
            lossFactor: Double(lossAfter) / Double(lossBefore),
            outputChange: norm > 0 ? (difference / norm).squareRoot() : 0)
    }
}
#endif
