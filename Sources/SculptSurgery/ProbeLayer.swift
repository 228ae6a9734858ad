import SculptCore
import SculptNN

/// A stand-in that runs `wrapped` unchanged and remembers its last output and the gradient that
/// came back to that output (references to the layers' own buffers, valid until their next call).
/// Measurements swap it in for one layer and swap the original back.
final class ProbeLayer: Layer {
    let wrapped: Layer
    private(set) var output: Tensor?
    private(set) var gradient: Tensor?

    init(wrapping layer: Layer) { wrapped = layer }

    var spec: LayerSpec { wrapped.spec }
    var namedParameters: [(name: String, parameter: Parameter)] { wrapped.namedParameters }
    var namedBuffers: [(name: String, buffer: Tensor)] { wrapped.namedBuffers }
    func outputShape(for inputShape: [Int]) throws -> [Int] { try wrapped.outputShape(for: inputShape) }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        let y = wrapped.forward(input, training: training)
        output = y
        return y
    }

    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        gradient = gradOutput
        return wrapped.backward(gradOutput, needInputGradient: needInputGradient)
    }
}

extension Network {
    /// Runs `body` with the layer at `path` wrapped in a probe, then puts the layer back.
    func withProbe<T>(at path: LayerPath, _ body: (ProbeLayer) throws -> T) throws -> T {
        var list = try layers(of: path.sequence)
        let original = list[path.index]
        let probe = ProbeLayer(wrapping: original)
        list[path.index] = probe
        try replaceLayers(of: path.sequence, with: list)
        defer {
            list[path.index] = original
            try? replaceLayers(of: path.sequence, with: list)
        }
        return try body(probe)
    }
}
