import SculptCore
import SculptNN

extension Network {
    /// Freezes `units` of the Dense layer at `layer`: mask 0 on their weight rows, bias entries
    /// and the consumer's matching columns, so the optimizer leaves those entries bit-for-bit
    /// unchanged. Masks are created (all ones) where a parameter has none.
    public func freezeUnits(_ units: [Int], layer: Int) throws {
        let group = try DenseUnits(network: self, layer: layer)
        try group.validate(units)
        let nIn = group.producer.inputFeatures, n = group.count
        let weightMask = group.producer.weight.ensureMask().data
        let biasMask = group.producer.bias?.ensureMask().data
        let outMask = group.consumer.weight.ensureMask().data
        for u in units {
            for c in 0..<nIn { weightMask[u * nIn + c] = 0 }
            biasMask?[u] = 0
            for r in 0..<group.consumer.outputFeatures { outMask[r * n + u] = 0 }
        }
    }

    /// Removes every mask: all parameters become trainable.
    public func unfreezeAll() {
        for p in parameters { p.mask = nil }
    }

    /// Draws fresh incoming weights, bias and outgoing weights for `units` of the Dense layer at
    /// `layer` with `initializer` (fan-in/out of the producing and consuming layers), and zeroes
    /// their optimizer state entries. Draw order: for each unit in the given order, its incoming
    /// row and bias, then its outgoing column.
    public func reinitializeUnits(_ units: [Int], layer: Int, initializer: Initializer, rng: inout RandomSource) throws {
        let group = try DenseUnits(network: self, layer: layer)
        try group.validate(units)
        let producer = group.producer, consumer = group.consumer
        let nIn = producer.inputFeatures, n = group.count, nOut = consumer.outputFeatures
        let row = Tensor(zeros: [1, nIn]), bias = Tensor(zeros: [1])
        let column = Tensor(zeros: [nOut, 1])
        for u in units {
            initializer.initialize(weight: row, bias: producer.bias == nil ? nil : bias,
                                   fanIn: nIn, fanOut: n, using: &rng)
            (producer.weight.value.data + u * nIn).update(from: row.data, count: nIn)
            producer.bias?.value.data[u] = bias.data[0]
            initializer.initialize(weight: column, bias: nil, fanIn: n, fanOut: nOut, using: &rng)
            for r in 0..<nOut { consumer.weight.value.data[r * n + u] = column.data[r] }
            for t in producer.weight.state.values { (t.data + u * nIn).update(repeating: 0, count: nIn) }
            if let b = producer.bias { for t in b.state.values { t.data[u] = 0 } }
            for t in consumer.weight.state.values { for r in 0..<nOut { t.data[r * n + u] = 0 } }
        }
    }
}

extension Parameter {
    /// The mask, created as all ones when absent.
    func ensureMask() -> Tensor {
        if let mask { return mask }
        let m = Tensor(repeating: 1, shape: value.shape)
        mask = m
        return m
    }
}
