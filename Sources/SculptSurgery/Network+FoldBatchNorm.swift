import SculptCore
import SculptNN

extension Network {
    /// Folds the BatchNorm at `layer` (or the one directly after the Dense/Conv2D at `layer`)
    /// into the Dense/Conv2D right before it: with s = gamma / sqrt(var + eps), W' = s W (per
    /// output row / filter) and b' = s (b - mean) + beta, in Double. Exact in eval mode (up to
    /// float32 rounding); in training mode BatchNorm uses batch statistics, so the network then
    /// trains differently. The folded layer gets fresh parameters (no gradient, mask or optimizer
    /// state). Returns the path of the folded layer. Validates first: on an error nothing changes.
    @discardableResult
    public func foldBatchNorm(at layer: LayerPath) throws -> LayerPath {
        let list = try layers(of: layer.sequence)
        let target = try self.layer(at: layer)
        let bnIndex = target is BatchNorm ? layer.index : layer.index + 1
        let producerPath = LayerPath(layer.sequence, bnIndex - 1)
        guard bnIndex < list.count, let bn = list[bnIndex] as? BatchNorm else {
            throw SurgeryError.notFoldable(path: layer.description, reason: "no BatchNorm follows it directly")
        }
        guard bnIndex > 0, let producer = list[bnIndex - 1] as? UnitLayer else {
            throw SurgeryError.notFoldable(path: LayerPath(layer.sequence, bnIndex).description,
                                           reason: "the BatchNorm does not directly follow a dense or conv2d layer")
        }
        var newList = list
        newList[bnIndex - 1] = folded(producer, bn)
        newList.remove(at: bnIndex)
        try replaceLayers(of: layer.sequence, with: newList)
        return producerPath
    }

    /// Folds every BatchNorm that directly follows a Dense or Conv2D, in every list (residual
    /// bodies and projections included). Returns how many were folded.
    @discardableResult
    public func foldBatchNorms() throws -> Int {
        var count = 0
        while let path = layerPaths.first(where: { entry in
            guard entry.layer is BatchNorm, entry.path.index > 0,
                let previous = try? layer(at: LayerPath(entry.path.sequence, entry.path.index - 1))
            else { return false }
            return previous is UnitLayer
        })?.path {
            try foldBatchNorm(at: path)
            count += 1
        }
        return count
    }
}

/// The layer of `producer`'s kind computing `bn(producer(x))` in eval mode.
private func folded(_ producer: UnitLayer, _ bn: BatchNorm) -> Layer {
    let weight = producer.weight, bias = producer.bias
    // W is (units, rest); every row scales by s[u]
    let units = weight.value.shape[0], rest = weight.value.count / units
    let w = Tensor(zeros: weight.value.shape), b = Tensor(zeros: [units])
    for u in 0..<units {
        let s = Double(bn.weight.value.data[u]) / (Double(bn.runningVariance.data[u]) + Double(bn.epsilon)).squareRoot()
        for i in 0..<rest { w.data[u * rest + i] = Float(s * Double(weight.value.data[u * rest + i])) }
        let b0 = Double(bias?.value.data[u] ?? 0)
        b.data[u] = Float(s * (b0 - Double(bn.runningMean.data[u])) + Double(bn.bias.value.data[u]))
    }
    return producer.rebuilt(weight: w, bias: b)
}
