import SculptCore
import SculptIO
import SculptNN

extension InitialWeights {
    /// These initial weights after `plan` is applied to `network` (call it *before* applying the
    /// plan; `network` is not changed). Operations that keep a subset of the units (remove and
    /// the shrinks: EigenRemove, Minimum Weight, random) keep the initial values of the surviving
    /// units, by replaying the removal on a copy that holds the initial values; freeze, unfreeze
    /// and re-initialize leave shapes alone and keep them (re-initialized units keep their
    /// original initial values). Expansion, BatchNorm folding and collapse create weights that
    /// had no initial value: the weights are dropped, with the operation as the reason.
    public func aligned(with plan: SurgeryPlan, appliedTo network: Network) throws -> InitialWeights {
        guard droppedReason == nil else { return self }
        if let why = mismatch(with: network) {
            return .dropped("before \(plan.operation) the initial weights did not fit the network: \(why)")
        }
        switch plan {
        case .freeze, .unfreeze, .reinitialize:
            return self
        case .remove:
            return try replaying(plan, on: network)
        case .shrink(let layer, let width, let method):
            let group = try UnitGroup(network: network, layer: layer)
            try GroupResize.validateShrink(group, width: width, method: method)
            let kept = try GroupResize.select(group, width: width, method: method, subspaceMethod: .gram).kept
            let removed = (0..<group.count).filter { !kept.contains($0) }
            return try replaying(.remove(layer: layer, units: removed), on: network)
        case .expand, .foldBatchNorm, .collapse:
            return .dropped("\(plan.operation) creates weights that have no initial value")
        }
    }

    /// Applies `plan` to a copy of `network` holding these values and takes its parameters.
    private func replaying(_ plan: SurgeryPlan, on network: Network) throws -> InitialWeights {
        var rng = RandomSource(seed: 0)
        let copy = try Network(network.architecture, initializer: .uniform(low: 0, high: 0), rng: &rng)
        let values = byName
        for (name, p) in copy.namedParameters { if let v = values[name] { p.value.assign(v) } }
        try plan.apply(to: copy)
        return InitialWeights(of: copy)
    }
}

extension SurgeryPlan {
    /// Validates, applies and records the plan (as `apply(to:history:epoch:)`) and keeps
    /// `initialWeights` aligned with the surviving units, or drops them with the reason.
    public func apply(to network: Network, history: inout [HistoryRecord], epoch: Int? = nil,
                      initialWeights: inout InitialWeights?) throws {
        try validate(on: network)
        let aligned = try initialWeights?.aligned(with: self, appliedTo: network)
        try apply(to: network, history: &history, epoch: epoch)
        initialWeights = aligned
    }
}
