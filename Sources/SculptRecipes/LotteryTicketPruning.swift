import SculptCore
import SculptNN

/// One round of magnitude pruning: from the survivors of a mask, remove the entries (single
/// weights) or units (neurons, filters) whose trained weights are smallest.
///
/// Unstructured (Frankle & Carbin): only Dense and Conv2D weights are pruned, never biases or
/// BatchNorm parameters. With layer scope each hidden Dense layer loses `rate` of its remaining
/// weights, each Conv2D layer `convolutionRate`, the output layer `outputRate`. With global scope
/// one ranking over all hidden layers removes `rate` of their remaining weights together; the
/// output layer is still pruned on its own at `outputRate`.
///
/// Structured: a unit of a hidden Dense or Conv2D layer is scored by the mean absolute value (L1)
/// or root mean square (L2) of its incoming weights; normalizing by fan-in leaves the order
/// within a layer as the plain norm's and makes layers comparable for global ranking. A pruned
/// unit has its incoming row/filter, its bias and a following BatchNorm's scale and shift zeroed
/// and frozen, so it outputs exactly zero. Its outgoing weights are left in place (they then
/// receive zero gradient). The output layer keeps all its units.
///
/// Counts are `round(rate * survivors)`, never all survivors of a layer (each keeps at least one
/// weight or unit). Ties break by layer, then index, so a round is deterministic.
public struct LotteryTicketPruning: Sendable, Equatable {
    public var rate: Double
    public var convolutionRate: Double
    public var outputRate: Double
    public var structured: Bool
    public var norm: UnitNorm
    public var scope: PruningScope

    /// Explicit rates and modes.
    public init(rate: Double, convolutionRate: Double? = nil, outputRate: Double? = nil, structured: Bool = false,
                norm: UnitNorm = .l1, scope: PruningScope = .layer) {
        self.rate = rate
        self.convolutionRate = convolutionRate ?? rate / 2
        self.outputRate = outputRate ?? rate / 2
        self.structured = structured
        self.norm = norm
        self.scope = scope
    }

    /// The pruning a search configuration describes.
    public init(configuration c: LotteryTicketConfiguration) {
        self.init(rate: c.rate, convolutionRate: c.effectiveConvolutionRate, outputRate: c.effectiveOutputRate,
                  structured: c.structured, norm: c.norm, scope: c.scope)
    }

    /// Throws when `network` has nothing this pruning can act on.
    public func check(_ network: Network) throws {
        if structured {
            _ = try unitLayers(of: network)
        } else if LotteryTicketMask.prunableWeights(of: network).isEmpty {
            throw LotteryTicketError.unsupportedNetwork("it has no Dense or Conv2D weight")
        }
    }

    /// The mask after one more round, ranking the current weights of `network` among the
    /// survivors of `mask`.
    public func prune(_ network: Network, mask: LotteryTicketMask) throws -> LotteryTicketMask {
        var result = mask
        for (name, p) in LotteryTicketMask.prunableWeights(of: network) where result.entries[name] == nil {
            result.entries[name] = [Float](repeating: 1, count: p.count)
        }
        if structured { try pruneUnits(network, &result) } else { try pruneWeights(network, &result) }
        return result
    }

    // MARK: - Single weights

    private struct Candidate {
        let magnitude: Float
        let layer: Int
        let index: Int
    }

    private static func ascending(_ a: Candidate, _ b: Candidate) -> Bool {
        if a.magnitude != b.magnitude { return a.magnitude < b.magnitude }
        if a.layer != b.layer { return a.layer < b.layer }
        return a.index < b.index
    }

    private func pruneWeights(_ network: Network, _ mask: inout LotteryTicketMask) throws {
        let weights = LotteryTicketMask.prunableWeights(of: network)
        guard !weights.isEmpty else { throw LotteryTicketError.unsupportedNetwork("it has no Dense or Conv2D weight") }
        let output = weights.count - 1
        func survivors(_ layer: Int) -> [Candidate] {
            let (name, p) = weights[layer]
            let m = mask.entries[name]!, w = p.value.data
            var out: [Candidate] = []
            for i in 0..<p.count where m[i] != 0 { out.append(Candidate(magnitude: abs(w[i]), layer: layer, index: i)) }
            return out
        }
        func layerRate(_ layer: Int) -> Double {
            if layer == output { return outputRate }
            return weights[layer].parameter.value.rank == 4 ? convolutionRate : rate
        }
        var layerWise = Array(0..<weights.count)
        if scope == .global && weights.count > 1 {
            layerWise = [output]
            var pool: [Candidate] = []
            var remaining: [Int] = []
            for layer in 0..<output {
                let s = survivors(layer)
                remaining.append(s.count)
                pool += s
            }
            pool.sort(by: Self.ascending)
            var toPrune = Int((rate * Double(pool.count)).rounded())
            for c in pool where toPrune > 0 && remaining[c.layer] > 1 {
                mask.entries[weights[c.layer].name]![c.index] = 0
                remaining[c.layer] -= 1
                toPrune -= 1
            }
        }
        for layer in layerWise {
            let s = survivors(layer).sorted(by: Self.ascending)
            let n = Swift.min(Int((layerRate(layer) * Double(s.count)).rounded()), Swift.max(s.count - 1, 0))
            for c in s.prefix(n) { mask.entries[weights[layer].name]![c.index] = 0 }
        }
    }

    // MARK: - Units

    /// Top-level indices of the hidden Dense/Conv2D layers whose units structured pruning ranks.
    func unitLayers(of network: Network) throws -> [Int] {
        var producers: [Int] = []
        for (i, layer) in network.layers.enumerated() {
            if layer is Dense || layer is Conv2D {
                producers.append(i)
            } else if layer.namedParameters.contains(where: { $0.parameter.value.rank >= 2 }) {
                throw LotteryTicketError.unsupportedNetwork(
                    "structured pruning handles sequential Dense/Conv2D networks; layers.\(i) (\(type(of: layer))) " +
                    "holds weights inside it")
            }
        }
        guard producers.count >= 2 else {
            throw LotteryTicketError.unsupportedNetwork("structured pruning needs a hidden Dense or Conv2D layer " +
                                                        "before the output layer")
        }
        return Array(producers.dropLast())
    }

    private func pruneUnits(_ network: Network, _ mask: inout LotteryTicketMask) throws {
        let producers = try unitLayers(of: network)
        var pools: [[Candidate]] = []
        for (k, i) in producers.enumerated() {
            let weight = network.layers[i].namedParameters.first { $0.name == "weight" }!.parameter
            let m = mask.entries["layers.\(i).weight"]!
            let units = weight.value.shape[0], row = weight.count / units
            let w = weight.value.data
            var pool: [Candidate] = []
            for u in 0..<units where m[(u * row)..<((u + 1) * row)].contains(where: { $0 != 0 }) {
                var s: Float = 0
                switch norm {
                case .l1:
                    for j in 0..<row { s += abs(w[u * row + j]) }
                    s /= Float(row)
                case .l2:
                    for j in 0..<row { s += w[u * row + j] * w[u * row + j] }
                    s = (s / Float(row)).squareRoot()
                }
                pool.append(Candidate(magnitude: s, layer: k, index: u))
            }
            pools.append(pool)
        }
        var remaining = pools.map(\.count)
        func prune(_ c: Candidate) {
            pruneUnit(c.index, layer: producers[c.layer], network: network, mask: &mask)
            remaining[c.layer] -= 1
        }
        switch scope {
        case .layer:
            for (k, pool) in pools.enumerated() {
                let r = network.layers[producers[k]] is Conv2D ? convolutionRate : rate
                let n = Swift.min(Int((r * Double(pool.count)).rounded()), Swift.max(pool.count - 1, 0))
                for c in pool.sorted(by: Self.ascending).prefix(n) { prune(c) }
            }
        case .global:
            let all = pools.joined().sorted(by: Self.ascending)
            var toPrune = Int((rate * Double(all.count)).rounded())
            for c in all where toPrune > 0 && remaining[c.layer] > 1 {
                prune(c)
                toPrune -= 1
            }
        }
    }

    /// Zeroes unit `u` of the layer at `i`: its weight row/filter, bias entry and the scale and
    /// shift of a BatchNorm right after it.
    private func pruneUnit(_ u: Int, layer i: Int, network: Network, mask: inout LotteryTicketMask) {
        let layer = network.layers[i]
        for (name, p) in layer.namedParameters {
            let key = "layers.\(i).\(name)"
            if mask.entries[key] == nil { mask.entries[key] = [Float](repeating: 1, count: p.count) }
            let row = p.count / p.value.shape[0]
            for j in 0..<row { mask.entries[key]![u * row + j] = 0 }
        }
        if i + 1 < network.layers.count, let bn = network.layers[i + 1] as? BatchNorm {
            for (name, p) in bn.namedParameters {
                let key = "layers.\(i + 1).\(name)"
                if mask.entries[key] == nil { mask.entries[key] = [Float](repeating: 1, count: p.count) }
                mask.entries[key]![u] = 0
            }
        }
    }
}
