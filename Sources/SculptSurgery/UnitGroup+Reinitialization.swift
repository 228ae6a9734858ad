import SculptCore
import SculptNN

/// How re-initialized units get their new weights.
public enum ReinitializationScheme: Codable, Equatable, Sendable {
    /// A standard initializer (fan-in / fan-out of the producing and consuming layers), e.g.
    /// `.uniform(low: -0.05, high: 0.05)`, `.heNormal`, `.glorotUniform`.
    case initializer(Initializer)
    /// Uniform between the minimum and maximum of each layer's current weights (biases: of its
    /// current biases).
    case layerRange
    /// Normal with the mean and standard deviation of each unit's own current weights; biases 0.
    case fittedNormal

    /// The partial-restart paper's U(-0.05, 0.05).
    public static let smallUniform = ReinitializationScheme.initializer(.uniform(low: -0.05, high: 0.05))

    /// Parses `uniform` (U(-0.05, 0.05)), `layer-range`, `fitted-normal`, or an `Initializer`
    /// name (`he`, `glorot`, `xavier`, `uniform:A:B`, ...).
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "uniform", "small-uniform": self = .smallUniform
        case "layer-range", "layer-uniform": self = .layerRange
        case "fitted-normal", "fitted": self = .fittedNormal
        default:
            guard let i = Initializer(parsing: text) else { return nil }
            self = .initializer(i)
        }
    }
}

extension Network {
    /// Draws fresh weights for `units` of `group` with `scheme` and resets their optimizer
    /// moments; their BatchNorm entries return to scale 1, shift 0, mean 0, variance 1. With
    /// `zeroOutgoing` the consumers' slices become 0 instead of being drawn, so the network
    /// computes the same function afterwards (a function-preserving restart). Draw order: per
    /// unit in the given order, each producer's row then bias, then each consumer's slice.
    /// Frozen entries (mask 0) keep their values and optimizer state: a unit shared with a frozen
    /// layer is re-initialized only where it is trainable. The draws are the same either way.
    public func reinitializeUnits(_ units: [Int], of group: UnitGroup, scheme: ReinitializationScheme,
                                  zeroOutgoing: Bool = false, rng: inout RandomSource) throws {
        try group.validate(units)
        let slices = group.slices
        // Ranges for `.layerRange`, taken before anything changes.
        let ranges = slices.map { s -> (Float, Float) in (s.tensor.min(), s.tensor.max()) }
        for u in units {
            var k = 0
            while k < slices.count {
                let s = slices[k]
                switch s.role {
                case .incoming:
                    let biasSlice =
                        k + 1 < slices.count && slices[k + 1].role == .bias && slices[k + 1].layer == s.layer
                        ? slices[k + 1] : nil
                    let shape = s.tensor.shape
                    let fanIn = s.elementsPerUnit, fanOut = shape[0] * (s.tensor.count / (shape[0] * shape[1]))
                    let row = Tensor(zeros: [1] + shape.dropFirst()), bias = biasSlice.map { _ in Tensor(zeros: [1]) }
                    draw(row, bias: bias, scheme: scheme, current: s.tensor.unitValues(u, axis: 0, span: 1),
                        range: ranges[k], biasRange: biasSlice.map { _ in ranges[k + 1] }, fanIn: fanIn, fanOut: fanOut,
                        rng: &rng)
                    s.tensor.setUnitValues(u, axis: 0, span: 1, row.scalars, mask: s.mask)
                    s.resetOptimizerState(unit: u)
                    if let biasSlice, let bias {
                        if biasSlice.mask.map({ $0.data[u] != 0 }) ?? true { biasSlice.tensor.data[u] = bias.data[0] }
                        biasSlice.resetOptimizerState(unit: u)
                        k += 1
                    }
                case .bias:
                    break  // drawn with its producer's row
                case .normalization:
                    let value: Float = s.name == "weight" || s.name == "running_var" ? 1 : 0
                    s.tensor.fillUnit(u, axis: s.axis, span: s.span, with: value, mask: s.mask)
                    s.resetOptimizerState(unit: u)
                case .outgoing:
                    if zeroOutgoing {
                        s.tensor.fillUnit(u, axis: s.axis, span: s.span, with: 0, mask: s.mask)
                    } else {
                        let shape = s.tensor.shape
                        var sliceShape = shape
                        sliceShape[1] = s.span
                        let area = s.tensor.count / (shape[0] * shape[1])
                        let values = Tensor(zeros: sliceShape)
                        draw(
                            values, bias: nil, scheme: scheme,
                            current: s.tensor.unitValues(u, axis: s.axis, span: s.span),
                            range: ranges[k], biasRange: nil, fanIn: s.tensor.count / shape[0], fanOut: shape[0] * area,
                            rng: &rng)
                        s.tensor.setUnitValues(u, axis: s.axis, span: s.span, values.scalars, mask: s.mask)
                    }
                    s.resetOptimizerState(unit: u)
                }
                k += 1
            }
        }
    }

    /// Re-initializes `units` of the group at `layer` (see `reinitializeUnits(_:of:scheme:zeroOutgoing:rng:)`).
    public func reinitializeUnits(_ units: [Int], layer: LayerPath, scheme: ReinitializationScheme,
                                  zeroOutgoing: Bool = false, rng: inout RandomSource) throws {
        let group = try UnitGroup(network: self, layer: layer)
        try reinitializeUnits(units, of: group, scheme: scheme, zeroOutgoing: zeroOutgoing, rng: &rng)
    }
}

/// Fills `weight` (one unit's slice) and `bias` with `scheme`.
private func draw(
    _ weight: Tensor, bias: Tensor?, scheme: ReinitializationScheme, current: [Float], range: (Float, Float),
                  biasRange: (Float, Float)?, fanIn: Int, fanOut: Int, rng: inout RandomSource) {
    switch scheme {
    case .initializer(let initializer):
        initializer.initialize(weight: weight, bias: bias, fanIn: fanIn, fanOut: fanOut, using: &rng)
    case .layerRange:
        fillUniform(weight, range, rng: &rng)
        if let bias, let biasRange { fillUniform(bias, biasRange, rng: &rng) }
    case .fittedNormal:
        let n = Double(Swift.max(current.count, 1))
        let mean = current.reduce(0.0) { $0 + Double($1) } / n
        let variance = current.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        weight.fillNormal(mean: Float(mean), std: Float(variance.squareRoot()), using: &rng)
        bias?.fill(0)
    }
}

private func fillUniform(_ t: Tensor, _ range: (Float, Float), rng: inout RandomSource) {
    if range.0 < range.1 { t.fillUniform(range.0, range.1, using: &rng) } else { t.fill(range.0) }
}
