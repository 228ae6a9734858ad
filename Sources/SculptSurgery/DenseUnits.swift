import SculptNN

/// The units of one Dense layer consumed by the next Dense layer over activations only: the
/// simplest `UnitGroup` (one producer, no BatchNorm, one consumer with span 1), kept for the
/// painting recipes that address layers by index and expect this shape of network.
///
/// Unit `k` owns row `k` of the producer's weight `[out, in]`, entry `k` of its bias, and
/// column `k` of the consumer's weight: the next Dense layer, reached over elementwise
/// activation layers only. Every unit operation (remove, freeze, reinitialize, score) touches
/// exactly these slices with the same index.
public struct DenseUnits {
    /// Index of the producing Dense layer in `network.layers`.
    public let layerIndex: Int
    /// Index of the consuming Dense layer in `network.layers`.
    public let consumerIndex: Int
    /// The producing layer.
    public let producer: Dense
    /// The consuming layer.
    public let consumer: Dense

    /// Locates the units of the Dense layer at `layer`; throws when it is not a Dense layer or
    /// no Dense layer consumes it.
    public init(network: Network, layer: Int) throws {
        let layers = network.layers
        guard layer >= 0 && layer < layers.count else {
            throw SurgeryError.unknownLayer(path: "layers.\(layer)",
                                            reason: "the network has \(layers.count) layers (0..<\(layers.count))")
        }
        guard let producer = layers[layer] as? Dense else {
            throw SurgeryError.notDense(layer: layer, found: describe(layers[layer]))
        }
        var j = layer + 1
        while j < layers.count, layers[j] is Activation { j += 1 }
        guard j < layers.count, let consumer = layers[j] as? Dense else {
            throw SurgeryError.noConsumingLayer(
                layer: layer, found: j < layers.count ? describe(layers[j]) : "the network's end")
        }
        self.layerIndex = layer
        self.consumerIndex = j
        self.producer = producer
        self.consumer = consumer
    }

    /// The same units as a general group.
    public func group(in network: Network) throws -> UnitGroup { try UnitGroup(network: network, layer: layerIndex) }

    /// Number of units.
    public var count: Int { producer.outputFeatures }

    /// The activation applied to the units (the first activation layer after the producer), or
    /// nil when the producer feeds the consumer directly.
    public func activation(in network: Network) -> ActivationKind? {
        guard layerIndex + 1 < consumerIndex else { return nil }
        return (network.layers[layerIndex + 1] as? Activation)?.kind
    }

    /// Throws unless every index is a distinct unit of this layer.
    public func validate(_ units: [Int]) throws { try validateUnits(units, count: count, path: LayerPath(layerIndex)) }

    /// The Dense layers whose units are ReLU units: a Dense followed by a ReLU activation and
    /// consumed by a later Dense layer (the layers the paper analyses).
    public static func reluLayers(in network: Network) -> [Int] {
        network.layers.indices.filter { i in
            guard let units = try? DenseUnits(network: network, layer: i) else { return false }
            return units.activation(in: network) == .relu
        }
    }
}

/// A short description of a layer for error messages.
func describe(_ layer: Layer) -> String { String(describing: layer.spec) }
