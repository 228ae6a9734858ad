import SculptNN

/// L1 and L2 norms of one unit's incoming weights (every producer's row / filter, biases
/// excluded) and outgoing weights (every consumer's column(s) / input channel).
public struct UnitWeightNorms: Codable, Equatable, Sendable {
    public var unit: Int
    public var incomingL1: Float
    public var incomingL2: Float
    public var outgoingL1: Float
    public var outgoingL2: Float
}

extension UnitWeightNorms {
    /// The norms of every unit of `group`, computed in Double.
    public static func measure(_ group: UnitGroup) -> [UnitWeightNorms] {
        let slices = group.slices
        return (0..<group.count).map { u in
            var l1 = [0.0, 0.0], l2 = [0.0, 0.0]
            for s in slices where s.role == .incoming || s.role == .outgoing {
                let side = s.role == .incoming ? 0 : 1
                for v in s.tensor.unitValues(u, axis: s.axis, span: s.span) {
                    l1[side] += abs(Double(v)); l2[side] += Double(v) * Double(v)
                }
            }
            return UnitWeightNorms(unit: u, incomingL1: Float(l1[0]), incomingL2: Float(l2[0].squareRoot()),
                                   outgoingL1: Float(l1[1]), outgoingL2: Float(l2[1].squareRoot()))
        }
    }

    /// The `count` units of `group` with the smallest incoming L2 norms (ties to the lower
    /// index), in ascending unit order.
    public static func smallestIncoming(_ count: Int, of group: UnitGroup) -> [Int] {
        measure(group).sorted { ($0.incomingL2, $0.unit) < ($1.incomingL2, $1.unit) }.prefix(count).map(\.unit).sorted()
    }
}
