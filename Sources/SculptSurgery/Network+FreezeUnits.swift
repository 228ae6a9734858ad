import SculptCore
import SculptNN

/// What to freeze or unfreeze: units of a group, whole layers, or parameters by name.
public enum FreezeTarget: Codable, Equatable, Sendable {
    /// Every slice `units` of the group at `layer` own (rows, biases, BatchNorm entries, consumer columns).
    case units(layer: LayerPath, units: [Int])
    /// Every parameter of these layers (a residual block: of all its layers).
    case layers([LayerPath])
    /// Parameters by their network names (`layers.3.weight`, `layers.5.body.0.bias`).
    case parameters([String])
}

extension Network {
    /// Freezes `target`: mask 0 on its entries, so optimizers leave them bit-for-bit unchanged.
    /// Masks are created (all ones) where a parameter has none. Validates first.
    public func freeze(_ target: FreezeTarget) throws { try setMask(target, to: 0) }

    /// Unfreezes `target`: mask 1 on its entries; a mask left all ones is dropped.
    public func unfreeze(_ target: FreezeTarget) throws { try setMask(target, to: 1) }

    /// Sets the mask entries of `target` to `value` after validating the whole target.
    func setMask(_ target: FreezeTarget, to value: Float) throws {
        var touched: [Parameter] = []
        switch target {
        case .units(let layer, let units):
            let group = try UnitGroup(network: self, layer: layer)
            try group.validate(units)
            for slice in group.slices { for u in units { slice.setMask(unit: u, to: value) } }
            touched = group.slices.compactMap(\.parameter)
        case .layers(let paths):
            let layers = try paths.map { try layer(at: $0) }
            touched = layers.flatMap(\.parameters)
            for p in touched { p.ensureMask().fill(value) }
        case .parameters(let names):
            let all = Dictionary(namedParameters.map { ($0.name, $0.parameter) }, uniquingKeysWith: { a, _ in a })
            touched = try names.map { name in
                guard let p = all[name] else { throw SurgeryError.unknownParameter(name: name, known: all.count) }
                return p
            }
            for p in touched { p.ensureMask().fill(value) }
        }
        for p in touched where p.mask.map({ m in (0..<m.count).allSatisfy { m.data[$0] == 1 } }) == true {
            p.mask = nil
        }
    }

    /// Freezes `units` of the Dense layer at `layer` (see `DenseUnits`).
    public func freezeUnits(_ units: [Int], layer: Int) throws {
        _ = try DenseUnits(network: self, layer: layer)
        try freeze(.units(layer: LayerPath(layer), units: units))
    }

    /// Removes every mask: all parameters become trainable.
    public func unfreezeAll() {
        for p in parameters { p.mask = nil }
    }

    /// Draws fresh incoming weights, bias and outgoing weights for `units` of the Dense layer at
    /// `layer` with `initializer` and zeroes their optimizer state entries (see
    /// `reinitializeUnits(_:of:scheme:zeroOutgoing:rng:)`).
    public func reinitializeUnits(_ units: [Int], layer: Int, initializer: Initializer, rng: inout RandomSource) throws
    {
        _ = try DenseUnits(network: self, layer: layer)
        try reinitializeUnits(units, layer: LayerPath(layer), scheme: .initializer(initializer), rng: &rng)
    }
}

extension Parameter {
    /// The mask, created as all ones when absent.
    func ensureMask() -> Tensor {
        if let mask { return mask }
        let m = Tensor(repeating: 1, shape: value.shape)
        mask = m
        return m
    }
}
