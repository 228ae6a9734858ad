import SculptNN

/// A Conv2D, Dense or BatchNorm layer of a network, found by walking residual blocks too.
public struct WeightLayer {
    /// What the layer is.
    public enum Kind: String, Codable, Sendable {
        case convolution, dense, batchNorm
    }

    /// Position as in parameter names: `layers.3`, `layers.5.body.0`, `layers.5.projection.0`.
    public var path: String
    /// Index of the top-level layer that holds it.
    public var topLevel: Int
    public var kind: Kind
    public var layer: Layer

    /// The weight-bearing layers of `network` in forward order (a residual block's body, then its projection).
    public static func all(in network: Network) -> [WeightLayer] {
        var out: [WeightLayer] = []
        func visit(_ layer: Layer, path: String, topLevel: Int) {
            switch layer {
            case is Conv2D: out.append(WeightLayer(path: path, topLevel: topLevel, kind: .convolution, layer: layer))
            case is Dense: out.append(WeightLayer(path: path, topLevel: topLevel, kind: .dense, layer: layer))
            case is BatchNorm: out.append(WeightLayer(path: path, topLevel: topLevel, kind: .batchNorm, layer: layer))
            case let block as Residual:
                for (i, inner) in block.body.enumerated() { visit(inner, path: "\(path).body.\(i)",
                                                                  topLevel: topLevel) }
                for (i, inner) in (block.projection ?? []).enumerated() {
                    visit(inner, path: "\(path).projection.\(i)", topLevel: topLevel)
                }
            default: break
            }
        }
        for (i, layer) in network.layers.enumerated() { visit(layer, path: "layers.\(i)", topLevel: i) }
        return out
    }

    /// The weight tensor's parameter (nil for BatchNorm, whose scale and shift are `parameters`).
    public var weight: Parameter? {
        switch layer {
        case let conv as Conv2D: return conv.weight
        case let dense as Dense: return dense.weight
        default: return nil
        }
    }

    /// The bias of a convolution or Dense layer, if it has one.
    public var bias: Parameter? {
        switch layer {
        case let conv as Conv2D: return conv.bias
        case let dense as Dense: return dense.bias
        default: return nil
        }
    }

    /// Output channels (filters or units) of a convolution or Dense layer; features of BatchNorm.
    public var width: Int {
        if let weight { return weight.value.shape[0] }
        return (layer as? BatchNorm)?.features ?? 0
    }
}
