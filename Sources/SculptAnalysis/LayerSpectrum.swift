import SculptCore

/// The spectrum of one weight tensor (Martin & Mahoney 2018, "Implicit self-regularization in
/// deep neural networks", arXiv:1810.01075): the empirical spectral density of X = W Wᵀ / N,
/// its power-law tail, norms and the Marchenko-Pastur bulk edge.
///
/// A Dense weight `[out, in]` is one matrix. A Conv2D weight `[O, I, kH, kW]` is, as in
/// WeightWatcher, kH·kW matrices `W[:, :, i, j]` of shape [O, I] whose eigenvalues are pooled
/// into one density (a 3x3 conv with O = I = 512 gives 9 x 512 eigenvalues).
public struct LayerSpectrum: Codable, Equatable, Sendable {
    /// The parameter's name (`layers.0.weight`).
    public var name: String
    /// The weight's shape.
    public var shape: [Int]
    /// The matrices analysed: 1 for Dense, kH·kW for Conv2D.
    public var matrixCount: Int
    /// Each matrix's [rows, columns].
    public var matrixShape: [Int]
    /// N, the larger side: X = W Wᵀ / N.
    public var normalization: Int
    /// The pooled eigenvalues of X, ascending (not encoded: `sculpt analyze` plots them).
    public var eigenvalues: [Double]
    /// The power-law fit of the eigenvalues' tail.
    public var powerLaw: PowerLawFit
    /// The largest singular value of W (of any slice, for conv).
    public var spectralNorm: Double
    /// sum of eigenvalues / largest eigenvalue (= ‖W‖_F² / ‖W‖₂² for one matrix).
    public var stableRank: Double
    /// The variance of W's entries, the σ² of the random matrix with the same shape.
    public var entryVariance: Double
    /// Marchenko-Pastur upper edge σ²(1 + √(M/N))² of X for a random W of this shape and variance.
    public var marchenkoPasturEdge: Double
    /// Eigenvalues above the edge.
    public var spikes: Int

    enum CodingKeys: String, CodingKey {
        case name, shape, matrixCount, matrixShape, normalization, powerLaw, spectralNorm, stableRank
        case entryVariance, marchenkoPasturEdge, spikes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        shape = try c.decode([Int].self, forKey: .shape)
        matrixCount = try c.decode(Int.self, forKey: .matrixCount)
        matrixShape = try c.decode([Int].self, forKey: .matrixShape)
        normalization = try c.decode(Int.self, forKey: .normalization)
        eigenvalues = []
        powerLaw = try c.decode(PowerLawFit.self, forKey: .powerLaw)
        spectralNorm = try c.decode(Double.self, forKey: .spectralNorm)
        stableRank = try c.decode(Double.self, forKey: .stableRank)
        entryVariance = try c.decode(Double.self, forKey: .entryVariance)
        marchenkoPasturEdge = try c.decode(Double.self, forKey: .marchenkoPasturEdge)
        spikes = try c.decode(Int.self, forKey: .spikes)
    }

    /// The spectrum of a Dense `[out, in]` or Conv2D `[O, I, kH, kW]` weight. Throws
    /// `AnalysisError.nonFinite` for NaN or Inf entries, `.unsupportedShape` for other ranks.
    public init(name: String, weight: Tensor) throws {
        try AnalysisError.checkFinite(weight, name: name)
        let matrices = try Self.matrices(of: weight, name: name)
        let (rows, columns) = (matrices[0].shape[0], matrices[0].shape[1])
        let n = Swift.max(rows, columns), m = Swift.min(rows, columns)
        var eigenvalues: [Double] = []
        eigenvalues.reserveCapacity(matrices.count * m)
        var largestSingular = 0.0
        for matrix in matrices {
            let s = try matrix.singularValues()
            for i in 0..<s.count {
                let sigma = Double(s.data[i])
                largestSingular = Swift.max(largestSingular, sigma)
                eigenvalues.append(sigma * sigma / Double(n))
            }
        }
        eigenvalues.sort()
        let variance = Self.variance(weight)
        let edge = variance * Self.square(1 + (Double(m) / Double(n)).squareRoot())
        let largest = eigenvalues.last ?? 0
        self.name = name
        self.shape = weight.shape
        self.matrixCount = matrices.count
        self.matrixShape = [rows, columns]
        self.normalization = n
        self.eigenvalues = eigenvalues
        // WeightWatcher fits the squared singular values above 1e-5 (EVALS_THRESH), unnormalized.
        self.powerLaw = PowerLawFit.fit(eigenvalues.filter { $0 * Double(n) > Self.fitThreshold })
        self.spectralNorm = largestSingular
        self.stableRank = largest > 0 ? eigenvalues.reduce(0, +) / largest : 0
        self.entryVariance = variance
        self.marchenkoPasturEdge = edge
        self.spikes = eigenvalues.filter { $0 > edge }.count
    }

    /// The matrices a weight is analysed as: itself (Dense) or its kH·kW [O, I] slices (Conv2D).
    public static func matrices(of weight: Tensor, name: String) throws -> [Tensor] {
        switch weight.rank {
        case 2:
            return [weight]
        case 4:
            let (o, i, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
            let positions = kh * kw
            return (0..<positions).map { p in
                let slice = Tensor(zeros: [o, i])
                for a in 0..<o {
                    for b in 0..<i { slice.data[a * i + b] = weight.data[(a * i + b) * positions + p] }
                }
                return slice
            }
        default:
            throw AnalysisError.unsupportedShape(name: name, shape: weight.shape)
        }
    }

    /// The variance of the entries (about their mean), in Double.
    static func variance(_ t: Tensor) -> Double {
        guard t.count > 0 else { return 0 }
        var sum = 0.0, squares = 0.0
        for i in 0..<t.count {
            let v = Double(t.data[i])
            sum += v
            squares += v * v
        }
        let mean = sum / Double(t.count)
        return Swift.max(0, squares / Double(t.count) - mean * mean)
    }

    static func square(_ x: Double) -> Double { x * x }

    /// Squared singular values at or below this are left out of the power-law fit (as WeightWatcher).
    public static let fitThreshold = 1e-5
}
