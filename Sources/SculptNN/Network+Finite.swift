extension Network {
    /// The name of the first parameter or buffer (`layers.0.weight`, `layers.1.running_var`)
    /// holding a NaN or an infinity, in network order, parameters before buffers; nil when every
    /// value is finite.
    public var firstNonFiniteTensor: String? {
        let tensors = namedParameters.map { ($0.name, $0.parameter.value) } + namedBuffers.map { ($0.name, $0.buffer) }
        for (name, t) in tensors {
            for i in 0..<t.count where !t.data[i].isFinite { return name }
        }
        return nil
    }
}
