import SculptCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Clustering of a layer's incoming weight vectors (Brutzkus & Globerson 2019, "Why do larger
/// models generalize better? A theoretical perspective via the XOR problem", arXiv:1810.03037):
/// k-means on the units' normalized incoming vectors (conv filters flattened), and the angles
/// between each vector and its nearest centre, trained against initialization, compared with a
/// two-sample Kolmogorov-Smirnov test.
public struct WeightClustering: Codable, Equatable, Sendable {
    /// The angles of one set of vectors to their nearest centre, in degrees.
    public struct Angles: Codable, Equatable, Sendable {
        public var mean: Double
        public var median: Double
        /// Units per cluster, largest first.
        public var clusterSizes: [Int]
        /// Every unit's angle (not encoded; figures use it).
        public var values: [Double]

        enum CodingKeys: String, CodingKey { case mean, median, clusterSizes }

        public init(mean: Double, median: Double, clusterSizes: [Int], values: [Double]) {
            self.mean = mean
            self.median = median
            self.clusterSizes = clusterSizes
            self.values = values
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                mean: try c.decode(Double.self, forKey: .mean), median: try c.decode(Double.self, forKey: .median),
                clusterSizes: try c.decode([Int].self, forKey: .clusterSizes), values: [])
        }
    }

    public var name: String
    public var k: Int
    public var units: Int
    /// Units whose incoming vector is zero (no direction; left out).
    public var zeroVectors: Int
    public var trained: Angles
    /// The same at initialization, when initial weights were given.
    public var initial: Angles?
    /// KS test of trained against initial angles.
    public var test: KolmogorovSmirnovTest?
    /// Whether the trained median angle is smaller than the initial one and the test rejects
    /// equality at 0.05 (nil without initial weights).
    public var trainedCloser: Bool?

    /// Clusters the rows of `weight` (`[units, ...]`) and, given `initial`, those of the initial weight.
    public init(name: String, weight: Tensor, initial: Tensor? = nil, k: Int = 4, seed: UInt64 = 0) throws {
        guard k > 0 else { throw AnalysisError.invalidOption(name: "k", reason: "must be positive, got \(k)") }
        try AnalysisError.checkFinite(weight, name: name)
        let trainedVectors = Self.normalizedRows(weight)
        self.name = name
        self.k = k
        self.units = weight.shape.first ?? 0
        self.zeroVectors = units - trainedVectors.count
        self.trained = Self.angles(trainedVectors, k: k, seed: seed)
        if let initial {
            try AnalysisError.checkFinite(initial, name: name + " (initial)")
            let a = Self.angles(Self.normalizedRows(initial), k: k, seed: seed)
            self.initial = a
            self.test = KolmogorovSmirnovTest.test(trained.values, a.values)
            if let test { self.trainedCloser = trained.median < a.median && test.pValue < 0.05 }
        }
    }

    /// The unit-length rows of `t` viewed as [shape[0], rest]; zero rows are dropped.
    static func normalizedRows(_ t: Tensor) -> [[Double]] {
        guard let rows = t.shape.first, rows > 0 else { return [] }
        let width = t.count / rows
        var out: [[Double]] = []
        for r in 0..<rows {
            let row = (0..<width).map { Double(t.data[r * width + $0]) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { out.append(row.map { $0 / norm }) }
        }
        return out
    }

    /// K-means on `vectors` and the angle of each to its centre's direction.
    static func angles(_ vectors: [[Double]], k: Int, seed: UInt64) -> Angles {
        guard !vectors.isEmpty else { return Angles(mean: 0, median: 0, clusterSizes: [], values: []) }
        let clustering = KMeans(points: vectors, k: Swift.min(k, vectors.count), seed: seed)
        var sizes = [Int](repeating: 0, count: clustering.centres.count)
        let values = zip(vectors, clustering.assignments).map { v, c -> Double in
            sizes[c] += 1
            let centre = clustering.centres[c]
            let norm = centre.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return 90 }
            let cosine = zip(v, centre).reduce(0) { $0 + $1.0 * $1.1 } / norm
            return acos(Swift.min(1, Swift.max(-1, cosine))) * 180 / Double.pi
        }
        return Angles(
            mean: values.reduce(0, +) / Double(values.count), median: median(values) ?? 0,
            clusterSizes: sizes.sorted(by: >), values: values)
    }
}
