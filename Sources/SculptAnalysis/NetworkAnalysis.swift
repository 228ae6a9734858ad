import SculptCore
import SculptData
import SculptNN
import SculptSurgery

/// Settings of a whole-network analysis.
public struct AnalysisOptions: Codable, Equatable, Sendable {
    /// K-means clusters per layer.
    public var clusters: Int = 4
    /// Seed of k-means++.
    public var seed: UInt64 = 0
    /// |Pearson r| at which two units count as repeated.
    public var correlationThreshold: Double = 0.9
    /// A unit is removable when ablating it keeps loss / baseline <= 1 + this.
    public var lossTolerance: Double = 0.01
    /// Ranks of the projection test; nil: 1, 2, 4, ..., full.
    public var projectionRanks: [Int]? = nil

    public init() {}
}

/// One weight layer's results; an analysis that could not run leaves its field nil and says why.
public struct LayerAnalysis: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    /// NaN or Inf entries in the trained weight (then nothing else is computed for it).
    public var nonFiniteValues: Int
    public var spectrum: LayerSpectrum?
    public var distance: InitialDistance?
    public var clustering: WeightClustering?
    public var ticket: TicketDistribution?
    /// Why an analysis is missing (NaN/Inf weights, a shape that cannot be analysed).
    public var problems: [String]
}

/// The analysis of one network: per-layer results, the projection test and unit redundancy.
public struct NetworkAnalysisReport: Codable, Equatable, Sendable {
    public var options: AnalysisOptions
    public var layers: [LayerAnalysis]
    /// The projection test (nil without initial weights and test data, or with NaN/Inf weights).
    public var projection: ProjectionTest?
    /// Repeated and removable units per unit group (nil without data).
    public var units: [ActivationRedundancy]?
    /// Why a whole-network part is missing.
    public var problems: [String]
}

/// Runs every analysis of this module over a network.
public enum NetworkAnalysis {
    /// The weights analysed, in network order: Dense `[out, in]` and Conv2D `[O, I, kH, kW]` weights.
    public static func weights(of network: Network) -> [(name: String, parameter: Parameter)] {
        network.namedParameters.filter {
            $0.name.hasSuffix("weight") && ($0.parameter.value.rank == 2 || $0.parameter.value.rank == 4)
        }
    }

    /// Checks that `initial` holds every analysed weight of `network` with the same shape.
    public static func validate(initial: [String: Tensor], for network: Network) throws {
        for (name, p) in weights(of: network) {
            guard let t = initial[name] else { throw AnalysisError.missingInitialTensor(name: name) }
            guard t.shape == p.value.shape else {
                throw AnalysisError.initialShapeMismatch(name: name, trained: p.value.shape, initial: t.shape)
            }
        }
    }

    /// Analyses `network`. `initial` (by parameter name) enables distances, initial clustering and
    /// the projection test (on `test`); `mask` (lottery keep flags by weight name) the ticket
    /// distribution; `sample` the repeated/removable units. The network ends as it started.
    public static func analyze(
        network: Network, initial: [String: Tensor]? = nil, mask: [String: [Float]]? = nil,
        sample: Dataset? = nil, test: Dataset? = nil, loss: Loss = SoftmaxCrossEntropy(),
        options: AnalysisOptions = AnalysisOptions()
    ) throws -> NetworkAnalysisReport {
        if let initial { try validate(initial: initial, for: network) }
        var layers: [LayerAnalysis] = []
        var problems: [String] = []
        for (name, p) in weights(of: network) {
            layers.append(
                try analyzeLayer(
                    name: name, weight: p.value, initial: initial?[name], mask: mask?[name], options: options))
        }
        let broken = layers.filter { $0.nonFiniteValues > 0 }.map(\.name)
        var projection: ProjectionTest? = nil
        if let initial, let test {
            if broken.isEmpty {
                projection = try ProjectionTest.run(
                    network: network, initial: initial, test: test, loss: loss,
                    ranks: options.projectionRanks)
            } else {
                problems.append("projection test skipped: NaN/Inf weights in \(broken.joined(separator: ", "))")
            }
        }
        var units: [ActivationRedundancy]? = nil
        if let sample {
            if broken.isEmpty {
                let baseline = network.evaluate(on: sample, loss: loss, batchSize: 4096).loss
                units = try UnitGroup.all(in: network).map {
                    try ActivationRedundancy.measure(
                        network: network, group: $0, data: sample, loss: loss,
                        correlationThreshold: options.correlationThreshold,
                        lossTolerance: options.lossTolerance, baseline: baseline)
                }
            } else {
                problems.append(
                    "repeated/removable units skipped: NaN/Inf weights in \(broken.joined(separator: ", "))")
            }
        }
        return NetworkAnalysisReport(
            options: options, layers: layers, projection: projection, units: units, problems: problems)
    }

    /// The per-layer analyses of one weight; NaN/Inf values are counted and reported, not fitted.
    static func analyzeLayer(
        name: String, weight: Tensor, initial: Tensor?, mask: [Float]?,
        options: AnalysisOptions
    ) throws -> LayerAnalysis {
        var result = LayerAnalysis(name: name, shape: weight.shape, nonFiniteValues: 0, problems: [])
        var bad = 0
        for i in 0..<weight.count where !weight.data[i].isFinite { bad += 1 }
        result.nonFiniteValues = bad
        if let mask { result.ticket = try TicketDistribution(name: name, mask: mask, shape: weight.shape) }
        guard bad == 0 else {
            result.problems.append(
                "\(bad) of \(weight.count) values are NaN or Inf: spectrum, distance and clustering skipped")
            return result
        }
        do {
            result.spectrum = try LayerSpectrum(name: name, weight: weight)
            if let initial { result.distance = try InitialDistance(name: name, weight: weight, initial: initial) }
            result.clustering = try WeightClustering(
                name: name, weight: weight, initial: initial, k: options.clusters,
                seed: options.seed)
        } catch let error as AnalysisError {
            result.problems.append(error.description)
        } catch let error as LinearAlgebraError {
            result.problems.append("\(name): \(error)")
        }
        return result
    }
}
