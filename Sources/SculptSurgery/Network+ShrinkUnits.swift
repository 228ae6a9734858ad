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

/// The index-addressed Dense API (`layer: Int`, a Dense consumed by the next Dense over
/// activations, see `DenseUnits`): a thin adapter over the unit-group path
/// (`shrinkUnits(of:to:method:subspaceMethod:)`), which selects and writes.
extension Network {
    /// Plans shrinking the Dense layer at `layer` to `width` units by `method`. Throws (and
    /// changes nothing) for an unknown or non-Dense layer, a width not below the current one,
    /// a width below 1, or a rank ratio outside (0, 1].
    public func planShrink(layer: Int, to width: Int, method: ShrinkMethod,
                           subspaceMethod: SubspaceMethod = .gram) throws -> ShrinkPlan {
        try prepareShrink(layer: layer, to: width, method: method, subspaceMethod: subspaceMethod,
                          reducingIncoming: false).plan
    }

    /// Applies `plan`: keeps its units' producer rows, bias entries and consumer columns (for
    /// EigenRemove with `.reduced`, from the rank-reduced weights, recomputed here); gradients,
    /// masks and optimizer state follow the kept units. Validates first: on an error the network
    /// is unchanged. `reduced` passes the rank-reduced producer and consumer weights when the
    /// caller already has them (`EigenRemove.reduced` or a `RankReducer` of the current weights).
    @discardableResult
    public func applyShrink(_ plan: ShrinkPlan,
                            reduced: (producer: Tensor, consumer: Tensor)? = nil) throws -> RemovalReport {
        let dense = try DenseUnits(network: self, layer: plan.layer)
        guard dense.count == plan.originalWidth else {
            throw SurgeryError.planDoesNotFit(layer: plan.layer, plannedWidth: plan.originalWidth, width: dense.count)
        }
        let group = try dense.group(in: self)
        try group.validate(plan.keptUnits)
        try GroupResize.validateRankRatio(of: plan.method, group: group)
        if let reduced {
            precondition(reduced.producer.shape == dense.producer.weight.value.shape
                         && reduced.consumer.shape == dense.consumer.weight.value.shape,
                         "reduced weights of other shapes")
        }
        return try reporting(plan) {
            try keepUnits(plan.keptUnits, of: group, method: plan.method, subspaceMethod: plan.subspaceMethod,
                          reducedIncoming: reduced.map { [$0.producer] },
                          reducedOutgoing: reduced.map { [$0.consumer] })
        }
    }

    /// Plans and applies a shrink in one step (EigenRemove reduces each weight once).
    @discardableResult
    public func shrinkUnits(layer: Int, to width: Int, method: ShrinkMethod,
        subspaceMethod: SubspaceMethod = .gram
    ) throws -> (plan: ShrinkPlan, report: RemovalReport) {
        let (plan, group, reducedOutgoing, reducedIncoming) = try prepareShrink(
            layer: layer, to: width, method: method, subspaceMethod: subspaceMethod, reducingIncoming: true)
        let report = try reporting(plan) {
            try keepUnits(plan.keptUnits, of: group, method: method, subspaceMethod: subspaceMethod,
                          reducedIncoming: reducedIncoming, reducedOutgoing: reducedOutgoing)
        }
        return (plan, report)
    }

    /// EigenRemove to `width` units with rank ratio `rankRatio` (kept units get the reduced weights).
    @discardableResult
    public func eigenRemove(layer: Int, to width: Int, rankRatio: Double,
                            keptWeights: ShrinkMethod.KeptWeights = .reduced) throws -> RemovalReport {
        try shrinkUnits(layer: layer, to: width, method: .eigenRemove(rankRatio: rankRatio, keptWeights: keptWeights))
            .report
    }

    /// Minimum Weight Selection to `width` units.
    @discardableResult
    public func minimumWeightSelection(layer: Int, to width: Int) throws -> RemovalReport {
        try shrinkUnits(layer: layer, to: width, method: .minimumWeight).report
    }

    /// Validates and selects on the Dense layer's group; returns the plan, the group and, for
    /// EigenRemove, the reduced outgoing weights the selection used (and with `reducingIncoming`
    /// the reduced incoming weights the kept units receive, computed side by side).
    private func prepareShrink(layer: Int, to width: Int, method: ShrinkMethod, subspaceMethod: SubspaceMethod,
                               reducingIncoming: Bool)
        throws -> (plan: ShrinkPlan, group: UnitGroup, reducedOutgoing: [Tensor]?, reducedIncoming: [Tensor]?) {
        let group = try DenseUnits(network: self, layer: layer).group(in: self)
        try GroupResize.validateShrink(group, width: width, method: method)
        let (kept, reducedOutgoing, reducedIncoming) = try GroupResize.select(
            group, width: width, method: method, subspaceMethod: subspaceMethod, reducingIncoming: reducingIncoming)
        let plan = ShrinkPlan(layer: layer, originalWidth: group.count, targetWidth: width, method: method,
                              subspaceMethod: subspaceMethod, keptUnits: kept)
        return (plan, group, reducedOutgoing, reducedIncoming)
    }

    /// Runs `body` (which keeps `plan.keptUnits`) and reports what it removed.
    private func reporting(_ plan: ShrinkPlan, _ body: () throws -> Void) throws -> RemovalReport {
        let before = parameterCount
        try body()
        let keptSet = Set(plan.keptUnits)
        return RemovalReport(layer: plan.layer, removedUnits: (0..<plan.originalWidth).filter { !keptSet.contains($0) },
            remainingUnits: plan.keptUnits.count, parametersBefore: before, parametersAfter: parameterCount)
    }
}
