import SculptCore

/// A network as data: input shape and layers in order.
public struct Architecture: Codable, Equatable, Sendable {
    /// Shape of one input sample, e.g. `[2]` or `[1, 28, 28]`.
    public var inputShape: [Int]
    public var layers: [LayerSpec]

    public init(inputShape: [Int], layers: [LayerSpec]) {
        self.inputShape = inputShape
        self.layers = layers
    }
}

/// A sequence of layers trained end to end.
public final class Network: @unchecked Sendable {
    /// Shape of one input sample.
    public let inputShape: [Int]
    @exclusivity(unchecked) public private(set) var layers: [Layer]

    /// A network from layers; throws if consecutive shapes do not chain.
    public init(inputShape: [Int], layers: [Layer]) throws {
        self.inputShape = inputShape
        self.layers = layers
        _ = try shapes()
    }

    /// Builds the network an architecture describes.
    public convenience init(_ architecture: Architecture, initializer: Initializer = .pytorchDefault,
                            rng: inout RandomSource) throws {
        _ = try architecture.outputShapes()
        var layers: [Layer] = []
        for spec in architecture.layers { layers.append(try spec.makeLayer(initializer: initializer, rng: &rng)) }
        try self.init(inputShape: architecture.inputShape, layers: layers)
    }

    /// The architecture as data (reflects surgery).
    public var architecture: Architecture { Architecture(inputShape: inputShape, layers: layers.map(\.spec)) }

    /// The per-sample shape after each layer (`shapes()[i]` is layer i's output).
    public func shapes() throws -> [[Int]] {
        var s = inputShape
        var out: [[Int]] = []
        for (i, layer) in layers.enumerated() {
            do { s = try layer.outputShape(for: s) } catch let e as ShapeError { throw e.at("layers.\(i)") }
            out.append(s)
        }
        return out
    }

    /// Shape of one output sample.
    public var outputShape: [Int] { (try? shapes().last) ?? inputShape }

    /// Replaces the layer list (surgery); throws and leaves the network unchanged if shapes do not chain.
    public func replaceLayers(_ newLayers: [Layer]) throws {
        let old = layers
        layers = newLayers
        do { _ = try shapes() } catch { layers = old; throw error }
    }

    /// All parameters with PyTorch-style names: `layers.N.weight`.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var out: [(name: String, parameter: Parameter)] = []
        for (i, layer) in layers.enumerated() {
            for (n, p) in layer.namedParameters { out.append(("layers.\(i).\(n)", p)) }
        }
        return out
    }

    /// All non-trainable buffers with PyTorch-style names: `layers.N.running_mean`.
    public var namedBuffers: [(name: String, buffer: Tensor)] {
        var out: [(name: String, buffer: Tensor)] = []
        for (i, layer) in layers.enumerated() {
            for (n, b) in layer.namedBuffers { out.append(("layers.\(i).\(n)", b)) }
        }
        return out
    }

    /// All parameters in order (as `namedParameters`, without building the names).
    public var parameters: [Parameter] { layers.flatMap { $0.parameters } }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Number of trainable (unmasked) scalar parameters.
    public var trainableParameterCount: Int { parameters.reduce(0) { $0 + $1.trainableCount } }

    /// Whether small fully connected networks (every layer a `Dense` of at most 16 inputs and
    /// outputs, each followed by at most one `Activation`) run through the fused `SmallDenseStack`
    /// pass instead of layer by layer; true by default (tests turn it off to compare both paths).
    @exclusivity(unchecked) public var fusesSmallDenseLayers = true
    @exclusivity(unchecked) private var smallStack: SmallDenseStack?
    @exclusivity(unchecked) private var lastForwardFused = false
    @exclusivity(unchecked) private var lastStages: [Stage] = []  // the last layer-by-layer forward's steps

    /// Whether a ReLU followed by a `MaxPool2D` runs as one pass (`MaxPool2D.forward(_:rectifying:)`:
    /// the same numbers bit for bit, without writing the ReLU's output or reading it back); true by
    /// default (tests turn it off to compare both paths). The ReLU layer itself is then not run:
    /// code that needs its output runs the layers one by one.
    @exclusivity(unchecked) public var fusesReluPooling = true

    /// Whether a `Flatten` followed by a `Dense` runs as the dense layer alone, on the unflattened
    /// input: `Dense` reads each sample as one row whatever its shape, and its input gradient takes
    /// the input's shape, so the copy in and the copy back out are skipped (the same numbers bit for
    /// bit); true by default (tests turn it off to compare both paths). The `Flatten` layer itself
    /// is then not run.
    @exclusivity(unchecked) public var fusesFlattenDense = true

    /// Whether a `BatchNorm` followed by a ReLU runs as one pass (`BatchNorm.forward(_:training:rectifying:)`:
    /// the same numbers bit for bit, without writing the normalized output or reading it back, in
    /// backward too); true by default (tests turn it off to compare both paths). The ReLU layer
    /// itself is then not run: code that needs its output runs the layers one by one. A max pooling
    /// after the ReLU joins them (`fusesBatchNormReluPooling`), or, with that off, pools the rectified
    /// output as it stands.
    @exclusivity(unchecked) public var fusesBatchNormRelu = true

    /// Whether a `BatchNorm`, the ReLU after it and a `MaxPool2D` after that run as one stage
    /// (`BatchNorm.forward(_:training:pooling:)`: the same numbers bit for bit, the forward without
    /// writing the rectified output or reading it back; the backward is the pooling's, then the
    /// pair's); true by default, with `fusesBatchNormRelu` (tests turn it off to compare both paths).
    /// The ReLU's output is then never written: code that needs it runs the layers one by one.
    @exclusivity(unchecked) public var fusesBatchNormReluPooling = true

    /// The batch normalization that runs layer `index` (itself) and the ReLU after it as one pass,
    /// or nil when layer `index` is not such a pair's first.
    public func fusedBatchNormRelu(at index: Int) -> BatchNorm? {
        guard fusesBatchNormRelu, index + 1 < layers.count, let norm = layers[index] as? BatchNorm,
              let relu = layers[index + 1] as? Activation, case .relu = relu.kind else { return nil }
        return norm
    }

    /// The batch normalization (layer `index`) and the max pooling (layer `index + 2`) that run
    /// with the ReLU between them as one pass, or nil.
    public func fusedBatchNormReluPooling(at index: Int) -> (norm: BatchNorm, pool: MaxPool2D)? {
        guard fusesBatchNormReluPooling, index + 2 < layers.count, let norm = fusedBatchNormRelu(at: index),
              let pool = layers[index + 2] as? MaxPool2D else { return nil }
        return (norm, pool)
    }

    /// The dense layer that runs layer `index` (a `Flatten`) and itself as one pass, or nil.
    public func fusedFlattenDense(at index: Int) -> Dense? {
        guard fusesFlattenDense, index + 1 < layers.count, layers[index] is Flatten else { return nil }
        return layers[index + 1] as? Dense
    }

    /// The pooling layer that runs layer `index` (a ReLU) and itself as one pass, or nil when
    /// layer `index` runs alone (or with the batch normalization before it).
    public func fusedReluPooling(at index: Int) -> MaxPool2D? {
        guard fusesReluPooling, index + 1 < layers.count, index == 0 || fusedBatchNormRelu(at: index - 1) == nil,
              let relu = layers[index] as? Activation, case .relu = relu.kind,
              let pool = layers[index + 1] as? MaxPool2D else { return nil }
        return pool
    }

    /// One step of the layer-by-layer pass: a layer, a batch normalization and the ReLU after it
    /// run as one pass (`fusedBatchNormRelu(at:)`), with the max pooling after them too
    /// (`fusedBatchNormReluPooling(at:)`), a ReLU and the max pooling after it
    /// (`fusedReluPooling(at:)`), or a flatten and the dense layer after it run as the dense layer
    /// (`fusedFlattenDense(at:)`).
    public struct Stage: Equatable, Sendable {
        /// The layers the stage runs, by index.
        public let layers: ClosedRange<Int>
        /// "layers.3", or "layers.1-2" for a fused pair ("layers.4-6" for three layers).
        public var name: String {
            layers.count == 1 ? "layers.\(layers.lowerBound)" : "layers.\(layers.lowerBound)-\(layers.upperBound)"
        }
    }

    /// The steps `forward` and `backward` take, in order.
    public var stages: [Stage] {
        var out: [Stage] = [], index = 0
        while index < layers.count {
            let fused = fusedBatchNormRelu(at: index) != nil || fusedReluPooling(at: index) != nil
                || fusedFlattenDense(at: index) != nil
            let end = fusedBatchNormReluPooling(at: index) != nil ? index + 2 : fused ? index + 1 : index
            out.append(Stage(layers: index...end))
            index = end + 1
        }
        return out
    }

    /// Runs one stage of the forward pass (`forward` runs them all).
    public func forward(_ stage: Stage, _ x: Tensor, training: Bool) -> Tensor {
        if stage.layers.count == 3, let norm = layers[stage.layers.lowerBound] as? BatchNorm,
           let pool = layers[stage.layers.upperBound] as? MaxPool2D {
            return norm.forward(x, training: training, pooling: pool)
        }
        if stage.layers.count == 2 {
            if let norm = layers[stage.layers.lowerBound] as? BatchNorm {
                return norm.forward(x, training: training, rectifying: true)
            }
            if let pool = layers[stage.layers.upperBound] as? MaxPool2D { return pool.forward(x, rectifying: true) }
            return layers[stage.layers.upperBound].forward(x, training: training)  // Flatten + Dense: Dense alone
        }
        return layers[stage.layers.lowerBound].forward(x, training: training)
    }

    /// Runs one stage of the backward pass (`backward` runs them all): the gradient with respect
    /// to the stage's input, or nil when the stage starts at or before `firstLayerWithParameters`
    /// (`first`), whose input needs none.
    public func backward(_ stage: Stage, _ gradOutput: Tensor, first: Int) -> Tensor? {
        let needInputGradient = stage.layers.lowerBound > first
        if stage.layers.count == 3, let norm = layers[stage.layers.lowerBound] as? BatchNorm,
           let pool = layers[stage.layers.upperBound] as? MaxPool2D {
            return norm.backward(pooledGradient: gradOutput, pooling: pool, needInputGradient: needInputGradient)
        }
        // a fused pair runs as one of its layers: the batch normalization (first) or the pooling or dense layer (second)
        let runner = layers[stage.layers.lowerBound] is BatchNorm ? stage.layers.lowerBound : stage.layers.upperBound
        return layers[runner].backward(gradOutput, needInputGradient: needInputGradient)
    }

    /// The fused pass for the current layers, rebuilt when they changed; nil when they do not qualify.
    private func currentSmallStack() -> SmallDenseStack? {
        if let stack = smallStack, stack.matches(layers) { return stack }
        smallStack = SmallDenseStack(layers: layers)
        return smallStack
    }

    /// Runs the batch `[B] + inputShape` through every layer. The result is owned by the last
    /// layer (or the fused pass): copy it if you need it after the next call.
    public func forward(_ x: Tensor, training: Bool = false) -> Tensor {
        if fusesSmallDenseLayers, x.rank == 2, let stack = currentSmallStack() {
            lastForwardFused = true
            return stack.forward(x)
        }
        lastForwardFused = false
        lastStages = stages
        var h = x
        for stage in lastStages { h = forward(stage, h, training: training) }
        return h
    }

    /// Backpropagates dLoss/dOutput of the last forward, accumulating parameter gradients. The
    /// pass stops at the first layer with parameters: layers before it hold nothing to train and
    /// the input needs no gradient (as a PyTorch input without `requires_grad`), so for the MLP
    /// (Flatten, Dense 784 -> 512, ...) the 128x512x784 product of dx is skipped.
    public func backward(_ gradOutput: Tensor) {
        if lastForwardFused, let stack = smallStack { stack.backward(gradOutput); return }
        guard let first = firstLayerWithParameters else { return }
        var g = gradOutput
        // before any forward there are no recorded steps: the layers' own checks then refuse the call
        for stage in (lastStages.isEmpty ? stages : lastStages).reversed() where stage.layers.upperBound >= first {
            guard let gi = backward(stage, g, first: first) else { break }
            g = gi
        }
    }

    /// The index of the first layer holding parameters, where `backward` stops; nil when no layer has any.
    public var firstLayerWithParameters: Int? { layers.firstIndex { !$0.namedParameters.isEmpty } }

    /// Zeroes every gradient.
    public func zeroGradients() { for p in parameters { p.zeroGrad() } }

    /// Outputs for all of `inputs` `[N] + inputShape`, in eval mode, computed in batches (a new tensor).
    public func predict(_ inputs: Tensor, batchSize: Int = 1024) -> Tensor {
        let n = inputs.shape[0]
        let rowIn = inputs.rowStride
        let out = Tensor(zeros: [n] + outputShape)
        let rowOut = out.rowStride
        let batch = Tensor(zeros: [0])
        var start = 0
        while start < n {
            let b = Swift.min(batchSize, n - start)
            batch.resize([b] + inputShape)
            batch.data.update(from: inputs.data + start * rowIn, count: b * rowIn)
            let y = forward(batch, training: false)
            (out.data + start * rowOut).update(from: y.data, count: b * rowOut)
            start += b
        }
        return out
    }

    /// A deep copy of the values of all parameters, then of all buffers (BatchNorm running
    /// statistics), for restoring best weights or reverting.
    public func snapshot() -> [Tensor] { parameters.map { $0.value.copy() } + namedBuffers.map { $0.buffer.copy() } }

    /// An independent network equal to this one: its architecture, parameter values and buffers,
    /// and with `masks` its freeze masks. (Built with a fixed seed, then overwritten, so nothing is
    /// drawn from a caller's generator.)
    public func copied(masks: Bool = false) throws -> Network {
        var rng = RandomSource(seed: 0)
        let copy = try Network(architecture, rng: &rng)
        copy.restore(parameters.map(\.value) + namedBuffers.map(\.buffer))  // copies: no snapshot in between
        if masks { for (source, target) in zip(parameters, copy.parameters) { target.mask = source.mask?.copy() } }
        return copy
    }

    /// Restores values from `snapshot()` (same structure).
    public func restore(_ snapshot: [Tensor]) {
        let targets = parameters.map(\.value) + namedBuffers.map(\.buffer)
        precondition(
            targets.count == snapshot.count,
            "snapshot of \(snapshot.count) tensors for \(targets.count) parameters and buffers")
        for (t, v) in zip(targets, snapshot) {
            precondition(t.shape == v.shape, "snapshot shape \(v.shape) for tensor \(t.shape)")
            t.assign(v)
        }
    }
}
