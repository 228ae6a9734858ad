import SculptCore
import SculptNN

extension Network {
    /// Folds the linear layer at `layer` into the next layer of the same kind, over Identity
    /// activations only: a Dense into the next Dense (W = W2 W1, b = W2 b1 + b2), or a 1x1,
    /// stride-1, unpadded Conv2D into the next Conv2D (each k x k tap of W2 times W1; b = b2 +
    /// sum over taps of W2 b1). The network computes the same function afterwards (up to float32
    /// rounding; products in Double). A 1x1 conv with a nonzero bias before a padded conv is
    /// refused: the padding would meet zeros where the 1x1 conv gives its bias. The merged layer
    /// gets fresh parameters. Returns the merged layer's path. Validates first.
    @discardableResult
    public func collapse(at layer: LayerPath) throws -> LayerPath {
        let list = try layers(of: layer.sequence)
        let first = try self.layer(at: layer)
        guard first is UnitLayer else {
            throw SurgeryError.notFoldable(
                path: layer.description, reason: "it is \(first.spec.summary), not a dense or conv2d layer")
        }
        var j = layer.index + 1
        while j < list.count, let a = list[j] as? Activation, a.kind == .identity { j += 1 }
        let merged: Layer
        switch (first, j < list.count ? list[j] : nil) {
        case (let a as Dense, let b as Dense):
            merged = fold(a, into: b)
        case (let a as Conv2D, let b as Conv2D):
            guard a.kernelSize == 1, a.stride == 1, a.padding == 0 else {
                throw SurgeryError.notFoldable(
                    path: layer.description,
                    reason:
                        "only a 1x1 convolution with stride 1 and no padding folds into the next (this is \(a.spec.summary))"
                )
            }
            let biased = a.bias.map { p in (0..<p.count).contains { p.value.data[$0] != 0 } } ?? false
            guard b.padding == 0 || !biased else {
                throw SurgeryError.notFoldable(path: layer.description,
                    reason: "its bias would meet the next convolution's zero padding (padding \(b.padding)); not exact")
            }
            merged = fold(a, into: b)
        default:
            let found = j < list.count ? list[j].spec.summary : "the end of \(layer.sequence)"
            throw SurgeryError.notFoldable(path: layer.description,
                reason: "it must be followed, over identity activations only, by a layer of its kind; found \(found)")
        }
        var newList = list
        newList.replaceSubrange(layer.index...j, with: [merged])
        try replaceLayers(of: layer.sequence, with: newList)
        return layer
    }

    /// Collapses every linear Dense (see `collapseLinearLayers`) and every foldable 1x1 Conv2D
    /// with Identity activation, in every list. Returns how many layers were folded.
    @discardableResult
    public func collapseAllLinearLayers() throws -> Int {
        var count = try collapseLinearLayers().layersFolded
        while let path = layerPaths.first(where: { entry in
            guard let conv = entry.layer as? Conv2D, conv.kernelSize == 1, conv.stride == 1, conv.padding == 0 else {
                return false
            }
            return (try? Network.canCollapse(self, at: entry.path)) == true
        })?.path {
            try collapse(at: path)
            count += 1
        }
        return count
    }

    /// Whether `collapse(at:)` would succeed (checked on the layer list alone).
    static func canCollapse(_ network: Network, at path: LayerPath) throws -> Bool {
        let list = try network.layers(of: path.sequence)
        guard let a = list[path.index] as? Conv2D else { return false }
        var j = path.index + 1
        while j < list.count, let act = list[j] as? Activation, act.kind == .identity { j += 1 }
        guard j < list.count, let b = list[j] as? Conv2D else { return false }
        let biased = a.bias.map { p in (0..<p.count).contains { p.value.data[$0] != 0 } } ?? false
        return b.padding == 0 || !biased
    }
}

/// The Conv2D computing `second(first(x))` for a 1x1, stride-1, unpadded `first`, in Double.
func fold(_ first: Conv2D, into second: Conv2D) -> Conv2D {
    // W1 is (m, n, 1, 1), W2 is (p, m, k, k); W is (p, n, k, k): W[o, c, t] = sum_j W2[o, j, t] W1[j, c]
    let n = first.inputChannels, m = first.outputChannels, p = second.outputChannels,
        area = second.kernelSize * second.kernelSize
    precondition(second.inputChannels == m && first.kernelSize == 1, "fold: \(first.spec) into \(second.spec)")
    let w1 = first.weight.value.data, w2 = second.weight.value.data
    let w = Tensor(zeros: [p, n, second.kernelSize, second.kernelSize])
    let hasBias = first.bias != nil || second.bias != nil
    let b = Tensor(zeros: [p])
    var acc = [Double](repeating: 0, count: n * area)
    for o in 0..<p {
        for i in acc.indices { acc[i] = 0 }
        var bo = Double(second.bias?.value.data[o] ?? 0)
        for j in 0..<m {
            let b1 = Double(first.bias?.value.data[j] ?? 0)
            for t in 0..<area {
                let a = Double(w2[(o * m + j) * area + t])
                if a == 0 { continue }
                bo += a * b1
                for c in 0..<n { acc[c * area + t] += a * Double(w1[j * n + c]) }
            }
        }
        for i in acc.indices { w.data[o * n * area + i] = Float(acc[i]) }
        b.data[o] = Float(bo)
    }
    return Conv2D(weight: w, bias: hasBias ? b : nil, stride: second.stride, padding: second.padding)
}
