import SculptCore
import SculptData
import SculptNN

/// Loss-based importance for any group: the loss with a unit's outgoing slices zeroed over the
/// network's loss (generalizes `UnitContributions` from Dense layers to every `UnitGroup`).
public enum UnitAblation {
    /// The loss ratio of each unit in `units` (default: all) of `group`. Each unit's outgoing
    /// slices (every consumer) are zeroed, the loss on `data` measured in eval mode, and the
    /// saved floats written back, so the network ends bit-for-bit as it started. A zero
    /// baseline gives 1 (no change) or `Float.greatestFiniteMagnitude`.
    public static func lossRatios(network: Network, group: UnitGroup, units: [Int]? = nil, data: Dataset, loss: Loss,
        baseline: Float? = nil, batchSize: Int = 4096
    ) throws -> [(unit: Int, loss: Float, ratio: Float)] {
        let chosen = units ?? Array(0..<group.count)
        try group.validate(chosen)
        let base = baseline ?? network.evaluate(on: data, loss: loss, batchSize: batchSize).loss
        let outgoing = group.slices.filter { $0.role == .outgoing }
        var out: [(unit: Int, loss: Float, ratio: Float)] = []
        for u in chosen {
            let saved = outgoing.map { $0.tensor.unitValues(u, axis: $0.axis, span: $0.span) }
            for s in outgoing { s.tensor.fillUnit(u, axis: s.axis, span: s.span, with: 0) }
            let l = network.evaluate(on: data, loss: loss, batchSize: batchSize).loss
            for (s, values) in zip(outgoing, saved) { s.tensor.setUnitValues(u, axis: s.axis, span: s.span, values) }
            let ratio: Float = base > 0 ? l / base : (l > 0 ? .greatestFiniteMagnitude : 1)
            out.append((u, l, ratio))
        }
        return out
    }
}
