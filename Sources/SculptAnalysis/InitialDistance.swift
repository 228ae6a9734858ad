import SculptCore

/// How far a weight moved from its initialization (Neyshabur et al. 2018, "Towards understanding
/// the role of over-parametrization in generalization of neural networks", arXiv:1805.12076;
/// Nagarajan & Kolter 2019, "Uniform convergence may be unable to explain generalization in deep
/// learning", arXiv:1902.04742): ‖W − W₀‖_F, relative to ‖W₀‖_F, and the singular values of the
/// update W − W₀ (a conv weight `[O, I, kH, kW]` as the matrix [O, I·kH·kW], filters as rows).
public struct InitialDistance: Codable, Equatable, Sendable {
    /// Share of the update's energy (sum of squared singular values) in its top k directions.
    public struct Energy: Codable, Equatable, Sendable {
        public var k: Int
        public var fraction: Double
    }

    public var name: String
    /// ‖W − W₀‖_F.
    public var frobenius: Double
    /// ‖W₀‖_F.
    public var initialFrobenius: Double
    /// ‖W − W₀‖_F / ‖W₀‖_F (nil when W₀ is zero).
    public var relative: Double?
    /// Singular values of W − W₀, descending (the first 64 are encoded).
    public var updateSingularValues: [Double]
    /// Top-k energy for k = 1, 2, 4, ... up to the rank.
    public var topEnergy: [Energy]

    enum CodingKeys: String, CodingKey {
        case name, frobenius, initialFrobenius, relative, updateSingularValues, topEnergy
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(frobenius, forKey: .frobenius)
        try c.encode(initialFrobenius, forKey: .initialFrobenius)
        try c.encodeIfPresent(relative, forKey: .relative)
        try c.encode(Array(updateSingularValues.prefix(64)), forKey: .updateSingularValues)
        try c.encode(topEnergy, forKey: .topEnergy)
    }

    /// Compares `weight` with `initial`; throws when shapes differ or values are not finite.
    public init(name: String, weight: Tensor, initial: Tensor) throws {
        guard weight.shape == initial.shape else {
            throw AnalysisError.initialShapeMismatch(name: name, trained: weight.shape, initial: initial.shape)
        }
        try AnalysisError.checkFinite(weight, name: name)
        try AnalysisError.checkFinite(initial, name: name + " (initial)")
        let update = try Self.updateMatrix(weight: weight, initial: initial, name: name)
        let s = try update.singularValues()
        let values = (0..<s.count).map { Double(s.data[$0]) }
        var initialSquares = 0.0
        for i in 0..<initial.count { initialSquares += Double(initial.data[i]) * Double(initial.data[i]) }
        let energy = values.reduce(0) { $0 + $1 * $1 }
        self.name = name
        self.frobenius = energy.squareRoot()
        self.initialFrobenius = initialSquares.squareRoot()
        self.relative = initialSquares > 0 ? frobenius / initialFrobenius : nil
        self.updateSingularValues = values
        var energies: [Energy] = []
        for k in ProjectionTest.ranks(upTo: values.count) {
            let top = values.prefix(k).reduce(0) { $0 + $1 * $1 }
            energies.append(Energy(k: k, fraction: energy > 0 ? top / energy : 1))
        }
        self.topEnergy = energies
    }

    /// W − W₀ as a matrix: Dense as is, Conv2D `[O, I, kH, kW]` as [O, I·kH·kW].
    static func updateMatrix(weight: Tensor, initial: Tensor, name: String) throws -> Tensor {
        guard weight.rank == 2 || weight.rank == 4, weight.shape[0] > 0 else {
            throw AnalysisError.unsupportedShape(name: name, shape: weight.shape)
        }
        let update = weight - initial
        return update.reshaped([weight.shape[0], weight.count / weight.shape[0]])
    }
}
