import SculptCore

/// Which units to keep when a layer shrinks, computed from weight tensors alone (Dense or conv).
///
/// **The outgoing weights select.** Both EigenRemove and Minimum Weight Selection rank a unit by
/// the L2 norm of its outgoing weights, the consumer's slice along axis 1 (Dense column, conv
/// input channel), as the thesis's minimum weight selection ("the L2 norm of a neuron's
/// vectorized outgoing weights") and its code (column norms of the next layer's weight) do.
/// Why: removing unit j changes the next layer's pre-activations by h_j * W_next[:, j], whose
/// size is |h_j| ||W_next[:, j]|| (|h_j| <= 1 for tanh), so the outgoing norm bounds the damage
/// to the output, which is what Fig. 4.1 measures; the incoming norm does not.
public enum UnitSelection {
    /// Minimum Weight Selection (Molchanov et al. 2016, as the thesis applies it): the `keep`
    /// units whose outgoing weights (`consumerWeight`'s slices along axis 1) have the largest L2
    /// norm, ascending.
    public static func minimumWeight(consumerWeight: Tensor, keep: Int) -> [Int] {
        largestIndices(consumerWeight.sliceNorms(axis: 1), count: keep)
    }

    /// EigenRemove's selection (the thesis's Algorithm 2): Minimum Weight Selection applied to
    /// the rank-reduced consumer weight (`EigenRemove.reduced`).
    public static func eigenRemove(reducedConsumerWeight: Tensor, keep: Int) -> [Int] {
        minimumWeight(consumerWeight: reducedConsumerWeight, keep: keep)
    }

    /// `keep` units drawn uniformly without replacement, ascending (the random baseline).
    public static func random(unitCount: Int, keep: Int, rng: inout RandomSource) -> [Int] {
        Array(rng.permutation(unitCount).prefix(keep)).sorted()
    }
}

/// EigenRemove's rank reduction of a weight over its two channel modes.
public enum EigenRemove {
    /// The weight rank-reduced with `rankRatio`: a Dense weight [out, in] by the truncated SVD at
    /// rank floor(ratio * min(out, in)); a conv weight [O, I, kH, kW] by the truncated HOSVD over
    /// modes 0 and 1 (`Tucker.ranks`). Ratio 1 returns an exact copy.
    public static func reduced(_ weight: Tensor, rankRatio: Double, method: SubspaceMethod = .gram) throws -> Tensor {
        precondition(rankRatio > 0 && rankRatio <= 1, "rank ratio \(rankRatio) outside (0, 1]")
        precondition(weight.rank >= 2, "EigenRemove needs a weight of rank >= 2, got \(weight.shape)")
        let ranks = Tucker.ranks(ratio: rankRatio, shape: weight.shape, modes: [0, 1])
        return try Tucker.lowRankApproximation(weight, modes: [0, 1], ranks: ranks, method: method)
    }
}

/// WeakExpand's choice of which units to split (the thesis's Algorithm 3).
public enum WeakExpandSplit {
    /// How "strongest" is measured.
    public enum Order: String, Codable, Sendable, CaseIterable {
        /// Mean absolute outgoing weight (the default: a large negative weight is a strong unit).
        case meanAbsoluteOutgoing
        /// Mean signed outgoing weight (the thesis's Algorithm 3 and code, literally).
        case meanOutgoing
    }

    /// The source unit of each of the `newWidth - unitCount` new units: units in decreasing
    /// strength, cycling (so every unit is split once before any is split twice), as Algorithm 3's
    /// `repeat(argsort(means))` cut to the new size. Strength ties go to the lower index.
    public static func sources(outgoingWeight: Tensor, newWidth: Int, order: Order) -> [Int] {
        sources(
            strength: outgoingWeight.sliceMeans(axis: 1, absolute: order == .meanAbsoluteOutgoing), newWidth: newWidth)
    }
}
