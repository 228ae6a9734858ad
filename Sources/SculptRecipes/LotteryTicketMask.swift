import SculptCore
import SculptNN

/// Which entries of a network's parameters a lottery ticket keeps (1) or prunes (0), by
/// parameter name (`layers.2.weight`). Parameters without an entry are kept whole.
///
/// Applying a mask zeroes the pruned entries and sets them as `Parameter.mask`, so SGD and Adam
/// leave them at exactly zero while the rest trains.
public struct LotteryTicketMask: Sendable, Equatable {
    /// Keep (1) or prune (0) flags by parameter name, flattened like the parameter's value.
    public var entries: [String: [Float]]

    /// A mask from explicit entries.
    public init(entries: [String: [Float]] = [:]) {
        self.entries = entries
    }

    /// The all-ones mask over the prunable weights of `network` (every Dense and Conv2D weight,
    /// nested ones included; biases and BatchNorm parameters start unmasked).
    public static func full(for network: Network) -> LotteryTicketMask {
        var entries: [String: [Float]] = [:]
        for (name, p) in LotteryTicketMask.prunableWeights(of: network) {
            entries[name] = [Float](repeating: 1, count: p.count)
        }
        return LotteryTicketMask(entries: entries)
    }

    /// The weights pruning acts on, in network order: every parameter of rank 2 (Dense `[out, in]`)
    /// or rank 4 (Conv2D `[O, I, kH, kW]`). The last one is the output layer's.
    public static func prunableWeights(of network: Network) -> [(name: String, parameter: Parameter)] {
        network.namedParameters.filter {
            $0.name.hasSuffix("weight") && ($0.parameter.value.rank == 2 || $0.parameter.value.rank == 4)
        }
    }

    /// Sets every masked parameter's `mask` and zeroes its pruned entries; parameters without an
    /// entry lose any mask they had. Throws (changing nothing) when an entry does not fit.
    public func apply(to network: Network) throws {
        let named = network.namedParameters
        for (name, p) in named {
            if let m = entries[name], m.count != p.count {
                throw LotteryTicketError.maskMismatch(parameter: name, expected: p.value.shape, actual: m.count)
            }
        }
        for (name, p) in named {
            guard let m = entries[name] else { p.mask = nil; continue }
            let mask = Tensor(m, shape: p.value.shape)
            let w = p.value.data
            for i in 0..<m.count where m[i] == 0 { w[i] = 0 }
            p.mask = mask
        }
    }

    /// Number of kept entries of one parameter's mask (nil when it has no entry).
    public func keptCount(_ name: String) -> Int? {
        entries[name].map { m in m.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
    }

    /// Fraction of the prunable weights of `network` this mask keeps (1 for the dense network).
    public func weightFraction(in network: Network) -> Double {
        var kept = 0, total = 0
        for (name, p) in LotteryTicketMask.prunableWeights(of: network) {
            total += p.count
            kept += keptCount(name) ?? p.count
        }
        return total == 0 ? 1 : Double(kept) / Double(total)
    }

    /// Fraction of the pruned layers' units (rows/filters of every prunable weight but the
    /// output layer's) that keep at least one incoming weight.
    public func unitFraction(in network: Network) -> Double {
        var alive = 0, total = 0
        for (name, p) in LotteryTicketMask.prunableWeights(of: network).dropLast() {
            let units = p.value.shape[0], row = p.count / units
            total += units
            guard let m = entries[name] else { alive += units; continue }
            for u in 0..<units where m[(u * row)..<((u + 1) * row)].contains(where: { $0 != 0 }) { alive += 1 }
        }
        return total == 0 ? 1 : Double(alive) / Double(total)
    }
}
