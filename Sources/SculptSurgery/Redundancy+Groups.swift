import SculptNN

extension Redundancy {
    /// Unit `u`'s incoming vector in the anchor producer of `group`: its weight row / filter
    /// `[I, k, k]` followed by its bias entry.
    static func incomingVector(_ group: UnitGroup, unit u: Int) -> [Double] {
        let p = group.primary
        var v = p.weight.value.unitValues(u, axis: 0, span: 1).map(Double.init)
        if let b = p.bias { v.append(Double(b.value.data[u])) }
        return v
    }

    /// The largest cosine similarity between unit `a`'s incoming vector and unit `b`'s, or any
    /// circular permutation of `b`'s kernel rows and columns (the same shift on every input
    /// channel; the bias stays) when `circular` is set and the producer is a convolution.
    public static func similarity(_ group: UnitGroup, _ a: Int, _ b: Int, circular: Bool) -> Double {
        let u = incomingVector(group, unit: a), v = incomingVector(group, unit: b)
        let shape = group.primary.weight.value.shape
        guard circular, shape.count == 4, shape[2] > 1 || shape[3] > 1 else { return cosine(u, v) }
        let channels = shape[1], h = shape[2], w = shape[3]
        var shifted = v, best = -Double.infinity
        for dr in 0..<h {
            for dc in 0..<w {
                for c in 0..<channels {
                    for r in 0..<h {
                        for q in 0..<w { shifted[(c * h + r) * w + q] = v[(c * h + (r + dr) % h) * w + (q + dc) % w] }
                    }
                }
                best = Swift.max(best, cosine(u, shifted))
            }
        }
        return best
    }

    /// Cosine of two vectors (0 when either is all zeros).
    static func cosine(_ u: [Double], _ v: [Double]) -> Double {
        var dot = 0.0, nu = 0.0, nv = 0.0
        for i in u.indices { dot += u[i] * v[i]; nu += u[i] * u[i]; nv += v[i] * v[i] }
        guard nu > 0, nv > 0 else { return 0 }
        return dot / (nu.squareRoot() * nv.squareRoot())
    }

    /// The connected components, of two or more units, of the relation similarity >= `threshold`
    /// among the units of `group` (see `similarity`), ordered by smallest member.
    public static func groups(
        in group: UnitGroup, threshold: Float = defaultThreshold, circular: Bool = false
    ) -> [[Int]] {
        let n = group.count
        var parent = Array(0..<n)
        func root(_ i: Int) -> Int {
            var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i
        }
        for a in 0..<n {
            for b in (a + 1)..<n where similarity(group, a, b, circular: circular) >= Double(threshold) {
                let ra = root(a), rb = root(b)
                if ra != rb { parent[Swift.max(ra, rb)] = Swift.min(ra, rb) }
            }
        }
        var members: [Int: [Int]] = [:]
        for i in 0..<n { members[root(i), default: []].append(i) }
        return members.values.filter { $0.count > 1 }.sorted { $0[0] < $1[0] }
    }
}
