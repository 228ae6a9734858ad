import SculptCore
import SculptNN

/// What surgery asks of a layer whose outputs are units (a Dense's neurons, a Conv2D's filters):
/// the questions Torch-Pruning's per-layer pruners answer, as a conformance the compiler checks.
///
/// - My units: slice `u` of `weight` along axis 0 and entry `u` of `bias` (the `.incoming` and
///   `.bias` slices of a `UnitGroup`); their count is `unitCount`.
/// - The units I read: slices of `weight` along axis 1 (the `.outgoing` slices of the group
///   before me), one per unit, or `span` consecutive columns after a Flatten when
///   `readsFlattenedUnits`.
/// - Slicing, appending and zeroing are written once against these axes (`UnitSlice`,
///   `Tensor.gathered`, `keepingUnits`), so they need nothing more of the layer.
/// - Rebuilding with new tensors (`rebuilt(weight:bias:)`) serves BatchNorm folding.
///
/// Exactness (WeakExpand, ZeroExpand, removal of zero-outgoing units, BatchNorm folding) holds for
/// a layer whose unit `u` computes its weight slice `u` applied to the input plus `bias[u]`, linear
/// in the units it reads, as Dense and Conv2D do.
///
/// What couples to me is answered by the layers in between: `UnitPreservingLayer`s pass units
/// through, a BatchNorm normalizes them, a Flatten spreads them, a Residual couples streams.
/// A new weight layer type is one conformance (see `Dense+Surgery.swift`, `Conv2D+Surgery.swift`).
public protocol UnitLayer: Layer {
    /// The weight: units along axis 0, the units read along axis 1.
    var weight: Parameter { get }
    /// One entry per unit, when the layer has a bias.
    var bias: Parameter? { get }
    /// Whether the layer can read units a Flatten spread over consecutive features.
    static var readsFlattenedUnits: Bool { get }
    /// A layer of the same kind and settings with these tensors (fresh parameters).
    func rebuilt(weight: Tensor, bias: Tensor?) -> Layer
}

extension UnitLayer {
    /// Number of units (outputs).
    public var unitCount: Int { weight.value.shape[0] }
}

/// A layer that passes every unit through on its own, so unit groups follow units across it:
/// elementwise layers, dropout and pooling.
public protocol UnitPreservingLayer: Layer {
    /// Whether each feature maps to itself (activations, dropout), so units spread by a Flatten
    /// also pass; pooling mixes positions and passes only whole channels.
    static var isElementwise: Bool { get }
}
