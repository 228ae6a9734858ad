import SculptCore
import SculptData
import SculptNN
import SculptSurgery

/// Repeated and removable units (Casper et al. 2019, "Removable and/or repeated units emerge in
/// overparametrized deep neural networks", arXiv:1912.04783), measured on data: the Pearson
/// correlation of unit outputs (conv: each channel's outputs over samples and positions), groups of
/// units whose |correlation| reaches a threshold (*repeated*: connected components), and units
/// whose ablation (outgoing weights zeroed, SculptSurgery's `UnitAblation`) leaves the loss within
/// a tolerance (*removable*).
///
/// These are activation-based; SculptSurgery's `Redundancy` groups are weight-based (cosine of
/// incoming weights): a report keeps both, as `activationGroups` here and `weightCosineGroups`.
public struct ActivationRedundancy: Codable, Equatable, Sendable {
    /// The group's anchor layer (`layers.0`).
    public var layer: String
    public var units: Int
    /// Observations per unit (samples x positions).
    public var observations: Int
    public var correlationThreshold: Double
    /// Units with constant output (dead): no correlation is defined for them.
    public var constantUnits: [Int]
    /// Groups (size >= 2) of units connected by |correlation| >= threshold.
    public var activationGroups: [[Int]]
    /// Units a merge of each group would save: sum of (size - 1).
    public var repeatedCount: Int
    /// Mean over units of the largest |correlation| with another unit.
    public var meanMaxAbsCorrelation: Double
    public var lossTolerance: Double
    /// Units whose ablation keeps loss / baseline <= 1 + tolerance.
    public var removable: [Int]
    /// The weight-cosine groups of SculptSurgery's `Redundancy` (weights, not activations).
    public var weightCosineGroups: [[Int]]

    /// Measures `group` on `data` (eval mode; the network ends as it started).
    public static func measure(
        network: Network, group: UnitGroup, data: Dataset, loss: Loss,
        correlationThreshold: Double = 0.9, lossTolerance: Double = 0.01,
        baseline: Float? = nil
    ) throws -> ActivationRedundancy {
        guard correlationThreshold > 0, correlationThreshold <= 1 else {
            throw AnalysisError.invalidOption(
                name: "--correlation", reason: "must lie in (0, 1], got \(correlationThreshold)")
        }
        guard lossTolerance >= 0 else {
            throw AnalysisError.invalidOption(name: "--tolerance", reason: "must be >= 0, got \(lossTolerance)")
        }
        let (r, observations) = try correlations(network: network, group: group, data: data)
        let n = group.count
        let constant = (0..<n).filter { r[$0 * n + $0] == 0 }
        var maxAbs = [Double](repeating: 0, count: n)
        var edges: [(Int, Int)] = []
        for a in 0..<n {
            for b in 0..<n where b != a {
                let v = Swift.abs(r[a * n + b])
                maxAbs[a] = Swift.max(maxAbs[a], v)
                if b > a && v >= correlationThreshold { edges.append((a, b)) }
            }
        }
        let groups = components(n, edges).filter { $0.count >= 2 }
        let ratios = try UnitAblation.lossRatios(
            network: network, group: group, data: data, loss: loss, baseline: baseline)
        let live = (0..<n).filter { r[$0 * n + $0] != 0 }
        return ActivationRedundancy(
            layer: group.anchor.description, units: n, observations: observations,
            correlationThreshold: correlationThreshold, constantUnits: constant, activationGroups: groups,
            repeatedCount: groups.reduce(0) { $0 + $1.count - 1 },
            meanMaxAbsCorrelation: live.isEmpty ? 0 : live.reduce(0) { $0 + maxAbs[$1] } / Double(live.count),
            lossTolerance: lossTolerance,
            removable: ratios.filter { Double($0.ratio) <= 1 + lossTolerance }.map(\.unit),
            weightCosineGroups: Redundancy.groups(in: group))
    }

    /// The [n, n] Pearson correlation matrix of the group's unit outputs (row-major; the diagonal
    /// is 1, or 0 for a constant unit, whose row and column are 0) and the observation count.
    public static func correlations(network: Network, group: UnitGroup, data: Dataset) throws -> ([Double], Int) {
        let n = group.count
        var sums = [Double](repeating: 0, count: n)
        var products = [Double](repeating: 0, count: n * n)
        var observations = 0
        let gram = Tensor(zeros: [n, n])
        try UnitOutputs.forEachBatch(network: network, group: group, data: data) { a in
            let (b, m) = (a.shape[0], a.shape[2])
            for s in 0..<b {
                let base = a.data + s * n * m  // [n, m]
                BLAS.gemm(
                    transA: false, transB: true, m: n, n: n, k: m, a: base, lda: m, b: base, ldb: m,
                    c: gram.data, ldc: n)
                for i in 0..<(n * n) { products[i] += Double(gram.data[i]) }
                for u in 0..<n { for p in 0..<m { sums[u] += Double(base[u * m + p]) } }
            }
            observations += b * m
        }
        let count = Double(Swift.max(observations, 1))
        let means = sums.map { $0 / count }
        var sd = [Double](repeating: 0, count: n)
        for u in 0..<n { sd[u] = Swift.max(0, products[u * n + u] / count - means[u] * means[u]).squareRoot() }
        var r = [Double](repeating: 0, count: n * n)
        for a in 0..<n where sd[a] > 1e-7 * Swift.max(1, Swift.abs(means[a])) {
            for b in 0..<n where sd[b] > 1e-7 * Swift.max(1, Swift.abs(means[b])) {
                let covariance = products[a * n + b] / count - means[a] * means[b]
                r[a * n + b] = a == b ? 1 : Swift.min(1, Swift.max(-1, covariance / (sd[a] * sd[b])))
            }
        }
        return (r, observations)
    }

    /// Connected components of an undirected graph on 0..<n, each sorted, ordered by first member.
    static func components(_ n: Int, _ edges: [(Int, Int)]) -> [[Int]] {
        var parent = Array(0..<n)
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x {
                parent[x] = parent[parent[x]]
                x = parent[x]
            }
            return x
        }
        for (a, b) in edges {
            let (ra, rb) = (root(a), root(b))
            if ra != rb { parent[Swift.max(ra, rb)] = Swift.min(ra, rb) }
        }
        var byRoot: [Int: [Int]] = [:]
        for u in 0..<n { byRoot[root(u), default: []].append(u) }
        return byRoot.values.sorted { $0[0] < $1[0] }
    }
}
