#if Dashboard
import SculptAnalysis
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
    /// The weight's spectrum (`LayerSpectrum`, as WeightWatcher: a conv weight [O, I, kH, kW] is kH·kW
    /// matrices [O, I] pooled): the largest singular values, largest first.
    public var spectrum: [Float]
    /// Stable rank: sum of squared singular values over the largest squared one.
    public var stableRank: Double?
    /// The power-law exponent of the eigenvalue density's tail (Martin & Mahoney 2018); nil when
    /// the tail has too few eigenvalues to fit.
    public var alpha: Double?
    /// Whether `spectrum`, `stableRank` and `alpha` describe the weights now: false while the
    /// analysis of a new copy runs (they are then those of the last analysis of a layer of this shape).
    public var analysed: Bool
}

/// The spectral columns of a layer (`DashboardAnalysis.spectra`).
public struct LayerSpectralSummary: Equatable, Sendable {
    public var spectrum: [Float]
    public var stableRank: Double?
    public var alpha: Double?
}

/// A selected layer's incoming weights as the page's heat map shows them: one row per unit, at
/// most `maximumColumns` columns; wider fan-ins are binned, each bin showing its weight of largest
/// magnitude (sign kept).
public struct UnitWeightMap: Codable, Equatable, Sendable {
    public static let maximumColumns = 64
    /// The unit's fan-in (inputs x kernel positions for a convolution) and inputs per column.
    public var fanIn: Int
    public var binSize: Int
    /// [units][columns], row-major.
    public var rows: [[Float]]
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

    /// The layer table of `network`: every Conv2D and Dense layer in forward order, without the
    /// spectral columns (cheap: structure and masks only; see `spectra`).
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
            return LayerSummary(
                path: layer.path, name: name, kind: layer.kind.rawValue, width: rows,
                parameters: layer.layer.parameterCount, frozenUnits: frozen,
                spectrum: [], stableRank: nil, alpha: nil, analysed: false)
        }
    }

    /// Copies of the weights `layers(of:)` lists, in its order: what `spectra` analyses away from the copy.
    public static func weights(of network: Network) -> [Tensor] {
        WeightLayer.all(in: network).compactMap { $0.kind == .batchNorm ? nil : $0.weight?.value.copy() }
    }

    /// The spectral columns of each weight (`LayerSpectrum`: singular values, stable rank, power-law
    /// alpha). Seconds for a VGG16: run it away from the training thread, once per copy.
    public static func spectra(of weights: [Tensor]) -> [LayerSpectralSummary] {
        weights.enumerated().map { i, weight in
            guard let s = try? LayerSpectrum(name: "\(i)", weight: weight) else {
                return LayerSpectralSummary(spectrum: [], stableRank: nil, alpha: nil)
            }
            let n = Double(s.normalization)
            let top = s.eigenvalues.suffix(spectrumSize).reversed().map { Float(($0 * n).squareRoot()) }
            return LayerSpectralSummary(spectrum: top, stableRank: s.stableRank, alpha: s.powerLaw.alpha)
        }
    }

    /// `fresh` rows with the spectral columns of `old` rows of the same path and shape (not analysed yet).
    static func carrying(_ old: [LayerSummary], into fresh: [LayerSummary]) -> [LayerSummary] {
        fresh.map { row in
            var row = row
            let same = { (o: LayerSummary) in
                o.path == row.path && o.width == row.width && o.parameters == row.parameters
            }
            if let o = old.first(where: same) {
                (row.spectrum, row.stableRank, row.alpha) = (o.spectrum, o.stableRank, o.alpha)
            }
            return row
        }
    }

    /// The incoming weights of `layer`'s units for the heat map (`UnitWeightMap`).
    public static func unitWeights(of layer: String, in network: Network) throws -> UnitWeightMap {
        guard let path = try ScheduleOperation(operation: .freeze, layer: layer).layerPath(in: network),
            let weight = WeightLayer.all(in: network).first(where: { $0.path == path.description })?.weight?.value
        else { throw DashboardError.badMessage("layer '\(layer)' has no weight") }
        let units = weight.shape[0]
        let fanIn = weight.count / Swift.max(units, 1)
        let bin = (fanIn + UnitWeightMap.maximumColumns - 1) / UnitWeightMap.maximumColumns
        let rows = (0..<units).map { u in
            stride(from: 0, to: fanIn, by: bin).map { start in
                var strongest: Float = 0
                for j in start..<Swift.min(start + bin, fanIn) {
                    let w = weight.data[u * fanIn + j]
                    if abs(w) > abs(strongest) { strongest = w }
                }
                return strongest
            }
        }
        return UnitWeightMap(fanIn: fanIn, binSize: bin, rows: rows)
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

    /// The preview of `operation` on `copy`: applied to one further copy and measured on `probe`,
    /// and validated as the run will validate it (`NetworkCopy.validate`: the operation, then every
    /// later schedule entry on the result), with one network copy instead of two.
    public static func preview(
        _ operation: ScheduleOperation, on copy: NetworkCopy, probe: Dataset,
        loss: Loss
    ) throws -> OperationPreview {
        let network = try NetworkCopy.deepCopy(copy.network)
        func rejected(_ error: Error, prefix: String = "") -> ScheduleError {
            .invalidEntry(index: 0, text: operation.description,
                          reason: prefix + ((error as? ScheduleError)?.reason ?? "\(error)"))
        }
        let path: LayerPath?
        do { path = try operation.layerPath(in: network) } catch { throw rejected(error) }
        func width() -> Int? { path.flatMap { try? UnitGroup(network: network, layer: $0).count } }
        let widthBefore = width()
        let parametersBefore = network.parameterCount
        let inputs = Tensor(zeros: [0])
        let targets = Tensor(zeros: [0])
        probe.fillBatch(indices: Array(0..<probe.count)[...], inputs: inputs, targets: targets)
        let before = network.forward(inputs, training: false).copy()
        let lossBefore = loss.compute(prediction: before, target: targets, gradient: nil)
        do { try operation.plan(for: network, defaultSeed: 0).apply(to: network) } catch { throw rejected(error) }
        if !copy.laterEntries.isEmpty {
            do {
                _ = try TrainingSchedule(copy.laterEntries).validate(
                    against: network, epochs: copy.epochs, appliedThrough: copy.completedEpochs)
            } catch let ScheduleError.invalidEntry(_, text, reason) {
                throw rejected(ScheduleError.invalidEntry(index: 0, text: text, reason: reason),
                               prefix: "it would make the scheduled entry \(text) impossible: ")
            }
        }
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
