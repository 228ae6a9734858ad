import SculptCore
import SculptNN

/// The units (neurons or filters) that one or more layers share, and every tensor slice each
/// unit owns.
///
/// Unit `u` owns, with the same index everywhere:
/// - in each producer (a Dense or Conv2D whose output is the units): weight row / filter `u`
///   (axis 0) and bias entry `u`;
/// - in each BatchNorm on the way: entries `u*span ..< (u+1)*span` of its scale, shift, running
///   mean and running variance (span 1, or H*W for a BatchNorm after a Flatten);
/// - in each consumer: input columns `u*span ..< (u+1)*span` of a Dense (span H*W after
///   Conv -> (pool) -> Flatten), or input channel `u` of a Conv2D (weight axis 1).
///
/// Elementwise layers, dropout and pooling pass units through unchanged. In a residual network
/// every layer whose output is added into the same stream produces the same units, so a group
/// may have several producers (the last conv of each block's body, a projection's conv, the
/// layer before a run of identity-shortcut blocks) and consumers (each block's first conv).
/// Build one with `UnitGroup(network:layer:)`; every surgery operation and measurement takes a
/// group and unit indices.
public struct UnitGroup {
    /// A layer whose outputs are the units (weight axis 0).
    public struct Producer {
        public var path: LayerPath
        public var layer: Layer
        /// The weight (`[units, in]` or `[units, I, k, k]`).
        public var weight: Parameter
        public var bias: Parameter?
    }

    /// A BatchNorm normalizing the units.
    public struct Normalization {
        public var path: LayerPath
        public var layer: BatchNorm
        /// Entries per unit (1, or H*W after a Flatten).
        public var span: Int
    }

    /// A layer reading the units (weight axis 1).
    public struct Consumer {
        public var path: LayerPath
        public var layer: Layer
        /// The weight (`[out, units*span]` or `[O, units, k, k]`).
        public var weight: Parameter
        /// Columns per unit (1 for Dense -> Dense and for Conv2D consumers; H*W after a Flatten).
        public var span: Int
    }

    /// The layer the group was asked for.
    public let anchor: LayerPath
    /// Producers in network order; the anchor's producer is among them.
    public let producers: [Producer]
    public let normalizations: [Normalization]
    public let consumers: [Consumer]
    /// Where the units' activations are measured: the anchor's input-side list position after
    /// the anchor and the BatchNorm / activation layers directly following it (see `UnitActivity`).
    public let measurementPoint: LayerPath

    init(anchor: LayerPath, producers: [Producer], normalizations: [Normalization], consumers: [Consumer],
         measurementPoint: LayerPath) {
        self.anchor = anchor
        self.producers = producers
        self.normalizations = normalizations
        self.consumers = consumers
        self.measurementPoint = measurementPoint
    }

    /// Number of units.
    public var count: Int { producers[0].weight.value.shape[0] }

    /// The anchor's producer.
    public var primary: Producer { producers.first { $0.path == anchor } ?? producers[0] }

    /// Whether several layers add into the units' stream (a residual group).
    public var isCoupled: Bool { producers.count > 1 }

    /// Every tensor slice the units own, producers first, then BatchNorms, then consumers.
    public var slices: [UnitSlice] {
        var out: [UnitSlice] = []
        for p in producers {
            out.append(
                UnitSlice(
                    layer: p.path, name: "weight", role: .incoming, storage: .parameter(p.weight), axis: 0, span: 1))
            if let b = p.bias {
                out.append(
                    UnitSlice(layer: p.path, name: "bias", role: .bias, storage: .parameter(b), axis: 0, span: 1))
            }
        }
        for n in normalizations {
            let bn = n.layer
            out.append(
                UnitSlice(
                    layer: n.path, name: "weight", role: .normalization, storage: .parameter(bn.weight), axis: 0,
                    span: n.span))
            out.append(
                UnitSlice(
                    layer: n.path, name: "bias", role: .normalization, storage: .parameter(bn.bias), axis: 0,
                    span: n.span))
            out.append(
                UnitSlice(
                    layer: n.path, name: "running_mean", role: .normalization, storage: .buffer(bn.runningMean),
                    axis: 0, span: n.span))
            out.append(
                UnitSlice(
                    layer: n.path, name: "running_var", role: .normalization, storage: .buffer(bn.runningVariance),
                    axis: 0, span: n.span))
        }
        for c in consumers {
            out.append(
                UnitSlice(
                    layer: c.path, name: "weight", role: .outgoing, storage: .parameter(c.weight), axis: 1, span: c.span
                ))
        }
        return out
    }

    /// Throws unless every index is a distinct unit of the group.
    public func validate(_ units: [Int]) throws { try validateUnits(units, count: count, path: anchor) }

    /// The paths of every layer the group touches, in network order.
    public var layerPaths: [LayerPath] {
        Array(Set(producers.map(\.path) + normalizations.map(\.path) + consumers.map(\.path))).sorted()
    }
}

/// Throws unless every index is a distinct unit among `count` units of the layer at `path`.
func validateUnits(_ units: [Int], count: Int, path: LayerPath) throws {
    var seen = Set<Int>()
    for u in units {
        guard u >= 0 && u < count else {
            throw SurgeryError.unitOutOfRange(path: path.description, unit: u, unitCount: count)
        }
        guard seen.insert(u).inserted else { throw SurgeryError.duplicateUnit(path: path.description, unit: u) }
    }
}

/// One tensor slice a group's units own: along `axis`, unit `u` owns indices
/// `u*span ..< (u+1)*span`.
public struct UnitSlice {
    /// What the slice is to the units.
    public enum Role: Sendable {
        /// A producer's weight row / filter.
        case incoming
        /// A producer's bias entry.
        case bias
        /// A BatchNorm's scale, shift, running mean or running variance.
        case normalization
        /// A consumer's input column(s) / channel.
        case outgoing
    }

    /// A trainable parameter (value, gradient, mask, optimizer state move together) or a buffer.
    public enum Storage {
        case parameter(Parameter)
        case buffer(Tensor)
    }

    public var layer: LayerPath
    /// The tensor's name within its layer ("weight", "bias", "running_mean", "running_var").
    public var name: String
    public var role: Role
    public var storage: Storage
    public var axis: Int
    public var span: Int

    /// The current values.
    public var tensor: Tensor {
        switch storage {
        case .parameter(let p): return p.value
        case .buffer(let t): return t
        }
    }

    /// The parameter, when the slice is in one.
    public var parameter: Parameter? {
        if case .parameter(let p) = storage { return p }
        return nil
    }
}
