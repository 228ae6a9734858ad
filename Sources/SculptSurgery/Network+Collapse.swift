import SculptCore
import SculptNN

/// What `collapseLinearLayers()` did.
public struct CollapseReport: Codable, Equatable, Sendable {
    /// Scalar parameters before collapsing.
    public var parametersBefore: Int
    /// Scalar parameters after collapsing.
    public var parametersAfter: Int
    /// Number of linear Dense layers folded into their successors.
    public var layersFolded: Int
}

extension Network {
    /// Folds every linear Dense layer (a Dense followed by nothing but Identity activations up to
    /// the next Dense) into that next Dense: A' = A3 A2, b' = A3 b2 + b3, for runs of any length
    /// and any widths. The network computes the same function afterwards (up to float32
    /// rounding; the products are formed in Double). Folded layers get fresh parameters, so
    /// their gradients, masks and optimizer state start empty; other layers are untouched.
    @discardableResult
    public func collapseLinearLayers() throws -> CollapseReport {
        let before = parameterCount
        var result: [Layer] = []
        var pending: Dense? = nil   // a linear Dense waiting to be folded into the next Dense
        var folded = 0
        let old = layers
        for (i, layer) in old.enumerated() {
            if let dense = layer as? Dense {
                let current = pending.map { fold($0, into: dense) } ?? dense
                if pending != nil { folded += 1 }
                pending = nil
                if Self.isLinear(at: i, in: old) { pending = current } else { result.append(current) }
            } else if let activation = layer as? Activation, activation.kind == .identity, pending != nil {
                continue  // an identity between folded layers disappears
            } else {
                precondition(pending == nil, "a linear Dense must be followed by a Dense")
                result.append(layer)
            }
        }
        if let pending { result.append(pending) }
        try replaceLayers(result)
        return CollapseReport(parametersBefore: before, parametersAfter: parameterCount, layersFolded: folded)
    }

    /// Whether the Dense at `index` reaches another Dense over Identity activations only.
    static func isLinear(at index: Int, in layers: [Layer]) -> Bool {
        var j = index + 1
        while j < layers.count, let a = layers[j] as? Activation, a.kind == .identity { j += 1 }
        return j < layers.count && layers[j] is Dense
    }
}

/// The Dense layer computing `second(first(x))`: W = W2 W1, b = W2 b1 + b2, in Double.
func fold(_ first: Dense, into second: Dense) -> Dense {
    // W1 is (m, n), W2 is (p, m); W is (p, n), b is (p)
    let n = first.inputFeatures, m = first.outputFeatures, p = second.outputFeatures
    precondition(second.inputFeatures == m, "fold: \(first.spec) into \(second.spec)")
    let w1 = first.weight.value.data, w2 = second.weight.value.data
    let w = Tensor(zeros: [p, n])
    let hasBias = first.bias != nil || second.bias != nil
    let b = Tensor(zeros: [p])
    var row = [Double](repeating: 0, count: n)
    for r in 0..<p {
        for c in 0..<n { row[c] = 0 }
        var br = Double(second.bias?.value.data[r] ?? 0)
        for k in 0..<m {
            let a = Double(w2[r * m + k])
            if a == 0 { continue }
            for c in 0..<n { row[c] += a * Double(w1[k * n + c]) }
            if let b1 = first.bias { br += a * Double(b1.value.data[k]) }
        }
        for c in 0..<n { w.data[r * n + c] = Float(row[c]) }
        b.data[r] = Float(br)
    }
    return Dense(weight: w, bias: hasBias ? b : nil)
}
