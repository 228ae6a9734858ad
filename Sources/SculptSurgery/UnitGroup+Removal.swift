import SculptNN

extension Network {
    /// Removes `units` of the group at `layer` physically: every slice the units own (producer
    /// rows and biases, BatchNorm entries and buffers, consumer columns) with their gradients,
    /// masks and optimizer moments. Validates first: on an error the network is unchanged.
    @discardableResult
    public func removeUnits(_ units: [Int], layer: LayerPath) throws -> UnitGroup {
        let group = try UnitGroup(network: self, layer: layer)
        try removeUnits(units, from: group)
        return group
    }

    /// Removes `units` of `group` (found on this network).
    public func removeUnits(_ units: [Int], from group: UnitGroup) throws {
        try group.validate(units)
        guard units.count < group.count else {
            throw SurgeryError.removesEveryUnit(path: group.anchor.description, unitCount: group.count)
        }
        guard !units.isEmpty else { return }
        let removed = Set(units)
        let kept = (0..<group.count).filter { !removed.contains($0) }
        for slice in group.slices { slice.keepUnits(kept) }
        _ = try shapes()
    }
}
