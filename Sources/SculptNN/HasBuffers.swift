import SculptCore

/// A layer with non-trainable state saved alongside its parameters (BatchNorm's running
/// statistics). Buffers are owned by the layer; loading a checkpoint assigns into them in place.
public protocol HasBuffers: AnyObject {
    /// Buffers with names relative to the layer, as PyTorch names them ("running_mean", "running_var").
    var namedBuffers: [(name: String, buffer: Tensor)] { get }
}

extension Network {
    /// All buffers with PyTorch-style names: `layers.N.running_mean`.
    public var namedBuffers: [(name: String, buffer: Tensor)] {
        var out: [(name: String, buffer: Tensor)] = []
        for (i, layer) in layers.enumerated() {
            guard let holder = layer as? HasBuffers else { continue }
            for (n, t) in holder.namedBuffers { out.append(("layers.\(i).\(n)", t)) }
        }
        return out
    }
}
