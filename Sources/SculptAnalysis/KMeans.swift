import SculptCore

/// K-means with k-means++ seeding (Arthur & Vassilvitskii 2007), seeded and deterministic.
///
/// The points are put in lexicographic order before seeding, so the clustering does not depend on
/// the order in which they are given: permuting the rows of the input permutes `assignments` the
/// same way and leaves the centres unchanged.
public struct KMeans: Sendable, Equatable {
    /// The centres, [k, dimension] as rows.
    public var centres: [[Double]]
    /// The centre of each point, in the input's order.
    public var assignments: [Int]
    /// Lloyd iterations run.
    public var iterations: Int

    /// Clusters `points` (each of the same dimension) into `k` (at most the number of distinct
    /// points) clusters; Lloyd's iterations stop when no assignment changes or after `maxIterations`.
    public init(points: [[Double]], k: Int, seed: UInt64, maxIterations: Int = 100) {
        precondition(k > 0 && !points.isEmpty, "k-means needs k > 0 and points")
        let order = points.indices.sorted { Self.lexicographicallyPrecedes(points[$0], points[$1]) }
        let sorted = order.map { points[$0] }
        var rng = RandomSource(seed: seed)
        var centres = Self.plusPlusSeeds(sorted, k: k, rng: &rng)
        var assignment = sorted.map { Self.nearest($0, centres).index }
        var iterations = 0
        while iterations < maxIterations {
            iterations += 1
            centres = Self.means(sorted, assignment, previous: centres)
            let next = sorted.map { Self.nearest($0, centres).index }
            if next == assignment { break }
            assignment = next
        }
        var inputOrder = [Int](repeating: 0, count: points.count)
        for (position, index) in order.enumerated() { inputOrder[index] = assignment[position] }
        self.centres = centres
        self.assignments = inputOrder
        self.iterations = iterations
    }

    /// k-means++: the first centre uniformly, each next one with probability proportional to the
    /// squared distance to the nearest centre so far; stops early when every point is a centre.
    static func plusPlusSeeds(_ points: [[Double]], k: Int, rng: inout RandomSource) -> [[Double]] {
        var centres = [points[Int(rng.next() % UInt64(points.count))]]
        var distances = points.map { squaredDistance($0, centres[0]) }
        while centres.count < k {
            let total = distances.reduce(0, +)
            guard total > 0 else { break }
            let target = Double(rng.next() >> 11) / Double(1 << 53) * total
            var cumulative = 0.0
            var chosen = points.count - 1
            for (i, d) in distances.enumerated() {
                cumulative += d
                if cumulative > target && d > 0 {
                    chosen = i
                    break
                }
            }
            centres.append(points[chosen])
            for i in points.indices {
                distances[i] = Swift.min(distances[i], squaredDistance(points[i], points[chosen]))
            }
        }
        return centres
    }

    /// Means of the clusters; an empty cluster keeps its previous centre.
    static func means(_ points: [[Double]], _ assignment: [Int], previous: [[Double]]) -> [[Double]] {
        let dimension = points[0].count
        var sums = [[Double]](repeating: [Double](repeating: 0, count: dimension), count: previous.count)
        var counts = [Int](repeating: 0, count: previous.count)
        for (p, c) in zip(points, assignment) {
            counts[c] += 1
            for j in 0..<dimension { sums[c][j] += p[j] }
        }
        return sums.indices.map { c in counts[c] == 0 ? previous[c] : sums[c].map { $0 / Double(counts[c]) } }
    }

    /// The nearest centre (lowest index on ties) and its squared distance.
    static func nearest(_ p: [Double], _ centres: [[Double]]) -> (index: Int, distance: Double) {
        var best = (index: 0, distance: Double.infinity)
        for (i, c) in centres.enumerated() {
            let d = squaredDistance(p, c)
            if d < best.distance { best = (i, d) }
        }
        return best
    }

    static func squaredDistance(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in a.indices { s += (a[i] - b[i]) * (a[i] - b[i]) }
        return s
    }

    static func lexicographicallyPrecedes(_ a: [Double], _ b: [Double]) -> Bool {
        for i in a.indices where a[i] != b[i] { return a[i] < b[i] }
        return false
    }
}
