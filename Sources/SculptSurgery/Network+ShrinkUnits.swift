import SculptCore
import SculptNN

/// How a shrinking layer chooses (and rewrites) the units it keeps.
public enum ShrinkMethod: Codable, Equatable, Sendable {
    /// EigenRemove (the thesis's Algorithm 2): rank-reduce the producer's and the consumer's
    /// weights with `rankRatio`, keep the units whose reduced outgoing weights have the largest
    /// L2 norms; `keptWeights` says what they keep.
    case eigenRemove(rankRatio: Double, keptWeights: KeptWeights)
    /// Minimum Weight Selection: keep the units with the largest outgoing L2 norms.
    case minimumWeight
    /// Keep units drawn at random (the baseline), from a generator seeded with `seed`.
    case random(seed: UInt64)

    /// What EigenRemove's kept units get.
    public enum KeptWeights: String, Codable, Sendable, CaseIterable {
        /// The rank-reduced weights, both incoming (producer rows) and outgoing (consumer
        /// columns): the thesis's Listing 6.1 (`return reduced[idxs]`) and the code behind its
        /// Fig. 4.1. Biases are not part of the reduction and keep their values.
        case reduced
        /// The original weights (the thesis's Algorithm 2 as printed, `return W[selected]`):
        /// the reduction only selects.
        case original
    }
}

/// A shrink of one Dense layer, decided but not yet applied (Codable, for the history).
public struct ShrinkPlan: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// Its width when planned.
    public var originalWidth: Int
    /// The width afterwards.
    public var targetWidth: Int
    /// How units were chosen.
    public var method: ShrinkMethod
    /// How subspaces are computed (EigenRemove only).
    public var subspaceMethod: SubspaceMethod
    /// The kept units, ascending indices before the shrink.
    public var keptUnits: [Int]

    public init(layer: Int, originalWidth: Int, targetWidth: Int, method: ShrinkMethod,
                subspaceMethod: SubspaceMethod = .gram, keptUnits: [Int]) {
        self.layer = layer
        self.originalWidth = originalWidth
        self.targetWidth = targetWidth
        self.method = method
        self.subspaceMethod = subspaceMethod
        self.keptUnits = keptUnits
    }
}

extension Network {
    /// Plans shrinking the Dense layer at `layer` to `width` units by `method`. Throws (and
    /// changes nothing) for an unknown or non-Dense layer, a width not below the current one,
    /// a width below 1, or a rank ratio outside (0, 1].
    public func planShrink(layer: Int, to width: Int, method: ShrinkMethod,
                           subspaceMethod: SubspaceMethod = .gram) throws -> ShrinkPlan {
        try prepareShrink(layer: layer, to: width, method: method, subspaceMethod: subspaceMethod).plan
    }

    /// Applies `plan`: keeps its units' producer rows, bias entries and consumer columns (for
    /// EigenRemove with `.reduced`, from the rank-reduced weights, recomputed here); gradients,
    /// masks and optimizer state follow the kept units. Validates first: on an error the network
    /// is unchanged. `reduced` passes the rank-reduced producer and consumer weights when the
    /// caller already has them (`EigenRemove.reduced` or a `RankReducer` of the current weights).
    @discardableResult
    public func applyShrink(_ plan: ShrinkPlan, reduced: (producer: Tensor, consumer: Tensor)? = nil) throws -> RemovalReport {
        let group = try DenseUnits(network: self, layer: plan.layer)
        guard group.count == plan.originalWidth else {
            throw SurgeryError.planDoesNotFit(layer: plan.layer, plannedWidth: plan.originalWidth, width: group.count)
        }
        try group.validate(plan.keptUnits)
        guard !plan.keptUnits.isEmpty else { throw SurgeryError.wouldRemoveAllUnits(layer: plan.layer, unitCount: group.count) }
        if case .eigenRemove(let ratio, _) = plan.method, !(ratio > 0 && ratio <= 1) {
            throw SurgeryError.rankRatioOutOfRange(layer: plan.layer, rankRatio: ratio)
        }
        if let reduced {
            precondition(reduced.producer.shape == group.producer.weight.value.shape
                         && reduced.consumer.shape == group.consumer.weight.value.shape, "reduced weights of other shapes")
        }
        return try performShrink(plan, group: group, reducedConsumer: reduced?.consumer, reducedProducer: reduced?.producer)
    }

    /// Plans and applies a shrink in one step (EigenRemove reduces each weight once).
    @discardableResult
    public func shrinkUnits(layer: Int, to width: Int, method: ShrinkMethod,
                            subspaceMethod: SubspaceMethod = .gram) throws -> (plan: ShrinkPlan, report: RemovalReport) {
        let (plan, group, reduced) = try prepareShrink(layer: layer, to: width, method: method, subspaceMethod: subspaceMethod)
        return (plan, try performShrink(plan, group: group, reducedConsumer: reduced, reducedProducer: nil))
    }

    /// EigenRemove to `width` units with rank ratio `rankRatio` (kept units get the reduced weights).
    @discardableResult
    public func eigenRemove(layer: Int, to width: Int, rankRatio: Double,
                            keptWeights: ShrinkMethod.KeptWeights = .reduced) throws -> RemovalReport {
        try shrinkUnits(layer: layer, to: width, method: .eigenRemove(rankRatio: rankRatio, keptWeights: keptWeights)).report
    }

    /// Minimum Weight Selection to `width` units.
    @discardableResult
    public func minimumWeightSelection(layer: Int, to width: Int) throws -> RemovalReport {
        try shrinkUnits(layer: layer, to: width, method: .minimumWeight).report
    }

    /// Validates and selects; returns the plan and, for EigenRemove, the reduced consumer weight.
    func prepareShrink(layer: Int, to width: Int, method: ShrinkMethod,
                       subspaceMethod: SubspaceMethod) throws -> (plan: ShrinkPlan, group: DenseUnits, reducedConsumer: Tensor?) {
        let group = try DenseUnits(network: self, layer: layer)
        let n = group.count
        guard width < n else { throw SurgeryError.widthNotSmaller(layer: layer, width: n, target: width) }
        guard width >= 1 else { throw SurgeryError.wouldRemoveAllUnits(layer: layer, unitCount: n) }
        let consumer = group.consumer.weight.value
        var reduced: Tensor? = nil
        let kept: [Int]
        switch method {
        case .eigenRemove(let ratio, _):
            guard ratio > 0 && ratio <= 1 else { throw SurgeryError.rankRatioOutOfRange(layer: layer, rankRatio: ratio) }
            let r = try EigenRemove.reduced(consumer, rankRatio: ratio, method: subspaceMethod)
            kept = UnitSelection.eigenRemove(reducedConsumerWeight: r, keep: width)
            reduced = r
        case .minimumWeight:
            kept = UnitSelection.minimumWeight(consumerWeight: consumer, keep: width)
        case .random(let seed):
            var rng = RandomSource(seed: seed)
            kept = UnitSelection.random(unitCount: n, keep: width, rng: &rng)
        }
        let plan = ShrinkPlan(layer: layer, originalWidth: n, targetWidth: width, method: method,
                              subspaceMethod: subspaceMethod, keptUnits: kept)
        return (plan, group, reduced)
    }

    /// Writes a validated plan. Every tensor is computed before the first write.
    func performShrink(_ plan: ShrinkPlan, group: DenseUnits, reducedConsumer: Tensor?,
                       reducedProducer: Tensor?) throws -> RemovalReport {
        let before = parameterCount
        let kept: [Int?] = plan.keptUnits
        var newIncoming: Tensor? = nil, newOutgoing: Tensor? = nil
        if case .eigenRemove(let ratio, .reduced) = plan.method {
            let consumerReduced = try reducedConsumer
                ?? EigenRemove.reduced(group.consumer.weight.value, rankRatio: ratio, method: plan.subspaceMethod)
            let producerReduced = try reducedProducer
                ?? EigenRemove.reduced(group.producer.weight.value, rankRatio: ratio, method: plan.subspaceMethod)
            newIncoming = producerReduced.gathered(axis: 0, sources: kept)
            newOutgoing = consumerReduced.gathered(axis: 1, sources: kept)
        }
        group.producer.weight.remapUnits(axis: 0, valueSources: kept, stateSources: kept, maskSources: kept, newValue: newIncoming)
        group.producer.bias?.remapUnits(axis: 0, valueSources: kept, stateSources: kept, maskSources: kept)
        group.consumer.weight.remapUnits(axis: 1, valueSources: kept, stateSources: kept, maskSources: kept, newValue: newOutgoing)
        _ = try shapes()
        let keptSet = Set(plan.keptUnits)
        return RemovalReport(layer: plan.layer, removedUnits: (0..<plan.originalWidth).filter { !keptSet.contains($0) },
                             remainingUnits: plan.keptUnits.count, parametersBefore: before, parametersAfter: parameterCount)
    }
}
