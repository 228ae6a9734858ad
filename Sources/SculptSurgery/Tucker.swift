import SculptCore

/// A (partial) Tucker decomposition X ~= core x_{m1} U_1 x_{m2} U_2 ... over some modes.
public struct TuckerDecomposition {
    /// The core: the original shape with dimension `modes[j]` reduced to `ranks[j]`.
    public var core: Tensor
    /// The decomposed modes, e.g. [0, 1] for the channel modes of a conv weight [O, I, kH, kW].
    public var modes: [Int]
    /// Factor matrices with orthonormal columns: `factors[j]` is [shape[modes[j]], ranks[j]].
    public var factors: [Tensor]

    /// The ranks, one per decomposed mode.
    public var ranks: [Int] { factors.map { $0.shape[1] } }

    /// core x_{modes[j]} factors[j] for every j: the approximation in the original shape.
    public func reconstruct() -> Tensor {
        var x = core
        for (mode, factor) in zip(modes, factors) { x = x.modeProduct(factor, mode: mode) }
        return x
    }
}

/// Truncated HOSVD and HOOI (tensorly's `partial_tucker`) over chosen modes.
public enum Tucker {
    /// The rank of each mode for a rank ratio: floor(ratio * min(I_n, product of the other
    /// dimensions)), at least 1 (`LowRank.rank`). For a matrix both modes get the thesis's
    /// `int(min(m, n) * ratio)`; for a conv weight [O, I, kH, kW] over modes 0 and 1 the bound is
    /// the rank the mode's unfolding can have (min(O, I kH kW) and min(I, O kH kW)), so a ratio of
    /// 1 reconstructs exactly for any O and I (the thesis code used min(O, I) for both modes).
    public static func ranks(ratio: Double, shape: [Int], modes: [Int]) -> [Int] {
        let total = shape.reduce(1, *)
        return modes.map { mode in
            let size = shape[mode]
            return LowRank.rank(ratio: ratio, dimension: Swift.min(size, size == 0 ? 0 : total / size))
        }
    }

    /// The truncated higher-order SVD: factor j = the `ranks[j]` leading left singular vectors of
    /// the mode-`modes[j]` unfolding; core = X x_{m} U_m^T over the modes.
    public static func hosvd(
        _ x: Tensor, modes: [Int], ranks: [Int], method: SubspaceMethod = .gram
    ) throws -> TuckerDecomposition {
        try checkModes(x, modes: modes, ranks: ranks)
        var factors: [Tensor] = []
        for (mode, r) in zip(modes, ranks) {
            factors.append(try LowRank.leadingLeftSingularVectors(x.unfolded(mode: mode), rank: r, method: method))
        }
        return TuckerDecomposition(core: project(x, modes: modes, factors: factors), modes: modes, factors: factors)
    }

    /// Higher-order orthogonal iteration, as tensorly 0.10's `partial_tucker` (init "svd"):
    /// starts from the HOSVD, then per sweep refits each factor to the leading left singular
    /// vectors of X projected by the other factors; stops when the relative reconstruction error
    /// (from the core's norm) changes by less than `tolerance`, checked from the third sweep on,
    /// or after `maxIterations` sweeps. Returns the decomposition and the sweeps done.
    public static func hooi(_ x: Tensor, modes: [Int], ranks: [Int], maxIterations: Int = 100, tolerance: Double = 1e-4,
        method: SubspaceMethod = .gram
    ) throws -> (decomposition: TuckerDecomposition, iterations: Int) {
        var d = try hosvd(x, modes: modes, ranks: ranks, method: method)
        let normSquared = Double(x.squaredNorm())
        var errors: [Double] = []
        for iteration in 0..<maxIterations {
            for j in modes.indices {
                var y = x
                for (k, (mode, factor)) in zip(modes, d.factors).enumerated() where k != j {
                    y = y.modeProduct(factor, mode: mode, transposeMatrix: true)
                }
                d.factors[j] = try LowRank.leadingLeftSingularVectors(
                    y.unfolded(mode: modes[j]), rank: ranks[j], method: method)
            }
            d.core = project(x, modes: modes, factors: d.factors)
            let error = (abs(normSquared - Double(d.core.squaredNorm()))).squareRoot() / normSquared.squareRoot()
            errors.append(error)
            if iteration >= 2, abs(errors[errors.count - 2] - error) < tolerance { return (d, iteration + 1) }
        }
        return (d, maxIterations)
    }

    /// The HOSVD approximation X x_m (U_m U_m^T) over `modes` without forming the core, using
    /// the cheaper of the leading subspace or its complement per mode (`LowRank.project`).
    /// Modes at full rank are left alone, so a full rank everywhere returns an exact copy.
    public static func lowRankApproximation(
        _ x: Tensor, modes: [Int], ranks: [Int], method: SubspaceMethod = .gram
    ) throws -> Tensor {
        try checkModes(x, modes: modes, ranks: ranks)
        if x.rank == 2, modes.sorted() == [0, 1], ranks[0] == ranks[1] {
            // A matrix: P_0 A P_1 = U_k U_k^T A V_k V_k^T = A_k, the truncated SVD, from one side only.
            return try LowRank.approximation(x, rank: ranks[0], method: method)
        }
        // Every mode's factor comes from the original tensor (HOSVD, not sequential truncation).
        var projectors: [(mode: Int, factor: Tensor)] = []
        for (mode, r) in zip(modes, ranks) {
            let unfolding = x.unfolded(mode: mode)
            if r >= Swift.min(unfolding.shape[0], unfolding.shape[1]) { continue }
            projectors.append((mode, try LowRank.leadingLeftSingularVectors(unfolding, rank: r, method: method)))
        }
        var y = x.copy()
        for (mode, u) in projectors {
            y = y.modeProduct(u, mode: mode, transposeMatrix: true).modeProduct(u, mode: mode)
        }
        return y
    }

    /// X x_m U_m^T over the modes (the core).
    static func project(_ x: Tensor, modes: [Int], factors: [Tensor]) -> Tensor {
        var y = x
        for (mode, factor) in zip(modes, factors) { y = y.modeProduct(factor, mode: mode, transposeMatrix: true) }
        return y
    }

    static func checkModes(_ x: Tensor, modes: [Int], ranks: [Int]) throws {
        precondition(modes.count == ranks.count, "\(modes.count) modes with \(ranks.count) ranks")
        precondition(Set(modes).count == modes.count && modes.allSatisfy { $0 >= 0 && $0 < x.rank },
                     "modes \(modes) of a rank-\(x.rank) tensor")
        for (mode, r) in zip(modes, ranks) {
            let size = x.shape[mode], other = x.count / Swift.max(size, 1)
            precondition(r >= 1 && r <= Swift.min(size, other), "rank \(r) for mode \(mode) of \(x.shape)")
        }
    }
}
