import SculptCore
import SculptNN

/// A group of trivially redundant units: each has an incoming vector (weights and bias) within
/// the cosine threshold of at least one other member.
public struct RedundantGroup: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// Member units, ascending.
    public var units: [Int]
}

/// Trivially redundant units (Hyatt & Lee 2018, Section 4.1 step 5b).
public enum Redundancy {
    /// The paper's threshold on the normalized dot product.
    public static let defaultThreshold: Float = 0.99

    /// Unit `k`'s incoming vector: weight row `k` followed by bias entry `k`.
    static func incomingVector(_ dense: Dense, unit k: Int) -> [Double] {
        let n = dense.inputFeatures
        var v = (0..<n).map { Double(dense.weight.value.data[k * n + $0]) }
        if let b = dense.bias { v.append(Double(b.value.data[k])) }
        return v
    }

    /// Cosine similarity of two units' incoming vectors (0 when either is all zeros).
    public static func cosine(_ dense: Dense, _ a: Int, _ b: Int) -> Double {
        let u = incomingVector(dense, unit: a), v = incomingVector(dense, unit: b)
        var dot = 0.0, nu = 0.0, nv = 0.0
        for i in u.indices { dot += u[i] * v[i]; nu += u[i] * u[i]; nv += v[i] * v[i] }
        guard nu > 0, nv > 0 else { return 0 }
        return dot / (nu.squareRoot() * nv.squareRoot())
    }

    /// The connected components, of two or more units, of the relation cosine >= `threshold`
    /// among the units of the Dense layer at `layer`; ordered by smallest member.
    public static func groups(
        network: Network, layer: Int, threshold: Float = defaultThreshold
    ) throws -> [RedundantGroup] {
        _ = try DenseUnits(network: network, layer: layer)
        return groups(in: try UnitGroup(network: network, layer: layer), threshold: threshold).map {
            RedundantGroup(layer: layer, units: $0)
        }
    }

    /// The positive scale s with unit `duplicate`'s incoming vector ~= s times unit `kept`'s
    /// (ratio of norms), used to merge a redundant unit exactly.
    public static func scale(_ dense: Dense, duplicate: Int, kept: Int) -> Float {
        let u = incomingVector(dense, unit: duplicate), v = incomingVector(dense, unit: kept)
        let nu = u.reduce(0) { $0 + $1 * $1 }.squareRoot(), nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return nv > 0 ? Float(nu / nv) : 0
    }
}
