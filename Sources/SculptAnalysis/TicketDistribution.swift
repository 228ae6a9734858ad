/// How a lottery ticket's surviving weights spread over a layer's units (the thesis question:
/// do winning-ticket weights concentrate on a few neurons or filters?). A unit's weights are its
/// incoming row (Dense `[out, in]`) or filter (Conv2D `[O, I, kH, kW]`).
///
/// Under the null hypothesis the survivors are a uniform random subset of the layer's weights:
/// every unit expects S/n of them (chi-square test against equal counts, Gini coefficient 0 up to
/// sampling noise), and a weight's survival tells nothing about another's in the same unit, so
/// P(survives | another weight of its unit survives) = (S − 1)/(n·m − 1).
public struct TicketDistribution: Codable, Equatable, Sendable {
    public var name: String
    public var units: Int
    /// Weights per unit (m).
    public var weightsPerUnit: Int
    /// Surviving weights (S).
    public var survivors: Int
    /// Survivors of each unit.
    public var perUnit: [Int]
    /// Chi-square test of `perUnit` against the uniform expectation (nil without survivors).
    public var chiSquare: ChiSquareTest?
    public var gini: Double
    /// Units holding no survivor, and the number expected under the null, n·C(nm−m, S)/C(nm, S).
    public var emptyUnits: Int
    public var expectedEmptyUnits: Double
    /// P(a weight survives | another weight of its unit survives) = Σ s(s−1) / Σ s(m−1).
    public var conditionalSurvival: Double?
    /// The same under the null, (S − 1)/(n·m − 1).
    public var uniformConditionalSurvival: Double?
    /// conditionalSurvival / uniformConditionalSurvival: > 1 means survivors cluster in units.
    public var lift: Double?

    /// The distribution of `mask` (1 kept, 0 pruned; flattened like a weight of `shape`) over units.
    public init(name: String, mask: [Float], shape: [Int]) throws {
        guard shape.count == 2 || shape.count == 4, shape[0] > 0 else {
            throw AnalysisError.unsupportedShape(name: name, shape: shape)
        }
        let total = shape.reduce(1, *)
        guard mask.count == total else {
            throw AnalysisError.maskMismatch(name: name, expected: total, actual: mask.count)
        }
        let n = shape[0]
        let m = total / n
        let perUnit = (0..<n).map { u in (0..<m).reduce(0) { $0 + (mask[u * m + $1] != 0 ? 1 : 0) } }
        let s = perUnit.reduce(0, +)
        self.name = name
        self.units = n
        self.weightsPerUnit = m
        self.survivors = s
        self.perUnit = perUnit
        self.chiSquare = ChiSquareTest.uniform(perUnit.map(Double.init))
        self.gini = giniCoefficient(perUnit.map(Double.init))
        self.emptyUnits = perUnit.filter { $0 == 0 }.count
        self.expectedEmptyUnits = Self.expectedEmpty(units: n, perUnit: m, survivors: s)
        let pairs = perUnit.reduce(0.0) { $0 + Double($1) * Double($1 - 1) }
        let opportunities = Double(s) * Double(m - 1)
        if opportunities > 0, s > 1, n * m > 1 {
            let conditional = pairs / opportunities
            let uniform = Double(s - 1) / Double(n * m - 1)
            self.conditionalSurvival = conditional
            self.uniformConditionalSurvival = uniform
            self.lift = uniform > 0 ? conditional / uniform : nil
        }
    }

    /// n · C(nm − m, S) / C(nm, S) = n · Π_{i<m} (nm − S − i)/(nm − i).
    static func expectedEmpty(units n: Int, perUnit m: Int, survivors s: Int) -> Double {
        let total = n * m
        var p = 1.0
        for i in 0..<m {
            let numerator = Double(total - s - i)
            if numerator <= 0 { return 0 }
            p *= numerator / Double(total - i)
        }
        return Double(n) * p
    }
}
