import SculptCore
import SculptNN

/// The thesis's isolation setup (Graham 2019, Section 4.1.1): a three-layer tanh network
/// inputs -> hidden -> outputs with PyTorch's default uniform initialization, fed `samples`
/// inputs drawn from U(0, 1); an operation changes the hidden layer, and the squared Frobenius
/// norm of the change of the output activations measures it.
struct IsolationSetup {
    var inputs: Int
    var hidden: Int
    var outputs: Int
    var samples: Int
    var bias: Bool

    /// Reads the shared keys (defaults: the thesis's 2048 / 2048 / 2048, 2048 samples, no bias
    /// as in its code).
    init(_ r: ConfigReader) throws {
        inputs = try r.int("inputs", default: 2048, minimum: 1)
        hidden = try r.int("hidden", default: 2048, minimum: 2)
        outputs = try r.int("outputs", default: 2048, minimum: 1)
        samples = try r.int("samples", default: 2048, minimum: 1)
        bias = try r.bool("bias", default: false)
    }

    /// The weights and biases of a fresh network (PyTorch default init), then the inputs.
    func draw(seed: UInt64) -> (tensors: [Tensor?], x: Tensor) {
        var rng = RandomSource(seed: seed)
        let w1 = Tensor(zeros: [hidden, inputs]), b1 = bias ? Tensor(zeros: [hidden]) : nil
        let w2 = Tensor(zeros: [outputs, hidden]), b2 = bias ? Tensor(zeros: [outputs]) : nil
        Initializer.pytorchDefault.initialize(weight: w1, bias: b1, fanIn: inputs, fanOut: hidden, using: &rng)
        Initializer.pytorchDefault.initialize(weight: w2, bias: b2, fanIn: hidden, fanOut: outputs, using: &rng)
        let x = Tensor.uniform([samples, inputs], 0, 1, using: &rng)
        return ([w1, b1, w2, b2], x)
    }

    /// A network holding copies of `tensors` (w1, b1, w2, b2): Dense, tanh, Dense, tanh.
    static func network(_ tensors: [Tensor?]) throws -> Network {
        let first = Dense(weight: tensors[0]!.copy(), bias: tensors[1]?.copy())
        let second = Dense(weight: tensors[2]!.copy(), bias: tensors[3]?.copy())
        return try Network(
            inputShape: [first.inputFeatures], layers: [first, Activation(.tanh), second, Activation(.tanh)])
    }

    /// A freshly initialized network with `width` hidden units (the thesis's random replacement).
    func randomNetwork(width: Int, rng: inout RandomSource) throws -> Network {
        try Network(Architecture(inputShape: [inputs], layers: [
            .dense(inputs: inputs, outputs: width, bias: bias), .activation(.tanh),
            .dense(inputs: width, outputs: outputs, bias: bias), .activation(.tanh),
        ]), rng: &rng)
    }

    /// ||a - b||_F^2, accumulated in Double.
    static func squaredDistance(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.count == b.count, "compare \(a.shape) with \(b.shape)")
        var s = 0.0
        for i in 0..<a.count { let d = Double(a.data[i]) - Double(b.data[i]); s += d * d }
        return s
    }

    /// max |a - b| / max(1, max |a|).
    static func relativeMaxDifference(_ a: Tensor, _ b: Tensor) -> Double {
        Double(a.maxAbsDifference(b)) / Double(Swift.max(1, a.map(abs).max()))
    }
}
