import SculptNN

/// Where a layer sits in a network, written as its parameters are named: `layers.3`,
/// `layers.5.body.0`, `layers.5.projection.1` (residual blocks nest further the same way).
public struct LayerPath: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// Which layer list a step indexes.
    public enum Branch: String, Codable, Sendable {
        /// The network's top-level layers.
        case layers
        /// A residual block's body.
        case body
        /// A residual block's projection (shortcut).
        case projection
    }

    /// One step: a list and an index in it.
    public struct Step: Hashable, Codable, Sendable {
        public var branch: Branch
        public var index: Int
        public init(_ branch: Branch, _ index: Int) { self.branch = branch; self.index = index }
    }

    /// The steps from the network down to the layer; the first is always `.layers`.
    public var steps: [Step]

    /// The top-level layer `index`.
    public init(_ index: Int) { steps = [Step(.layers, index)] }

    /// A path from steps (the first must index `.layers`).
    public init(steps: [Step]) {
        precondition(steps.first?.branch == .layers && steps.dropFirst().allSatisfy { $0.branch != .layers },
                     "a layer path starts with layers.N and continues with body.N / projection.N")
        self.steps = steps
    }

    /// Parses `layers.3`, `layers.5.body.0`, or a bare top-level index `3`.
    public init(parsing text: String) throws {
        if let index = Int(text), index >= 0 { self.init(index); return }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts.count % 2 == 0 else { throw SurgeryError.invalidLayerPath(text) }
        var steps: [Step] = []
        for k in stride(from: 0, to: parts.count, by: 2) {
            guard let branch = Branch(rawValue: parts[k]), (branch == .layers) == (k == 0),
                  let index = Int(parts[k + 1]), index >= 0 else { throw SurgeryError.invalidLayerPath(text) }
            steps.append(Step(branch, index))
        }
        self.init(steps: steps)
    }

    public var description: String { steps.map { "\($0.branch.rawValue).\($0.index)" }.joined(separator: ".") }

    /// The layer's index in its list.
    public var index: Int { steps[steps.count - 1].index }

    /// The layer list holding this layer.
    public var sequence: LayerSequence {
        LayerSequence(
            owner: steps.count == 1 ? nil : LayerPath(steps: Array(steps.dropLast())), branch: steps.last!.branch)
    }

    /// The path of the layer at `index` in `sequence`.
    public init(_ sequence: LayerSequence, _ index: Int) {
        self.init(steps: (sequence.owner?.steps ?? []) + [Step(sequence.branch, index)])
    }

    /// Network order: a layer before the layers after it, a block before its body, the body before the projection.
    public static func < (a: LayerPath, b: LayerPath) -> Bool {
        for (x, y) in zip(a.steps, b.steps) where x != y {
            if x.index != y.index && x.branch == y.branch { return x.index < y.index }
            return x.branch == .body
        }
        return a.steps.count < b.steps.count
    }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One list of layers: the network's top level, or a residual block's body or projection.
public struct LayerSequence: Hashable, Sendable, CustomStringConvertible {
    /// The residual block holding the list; nil for the network's top level.
    public var owner: LayerPath?
    public var branch: LayerPath.Branch

    /// The network's top-level list.
    public static let top = LayerSequence(owner: nil, branch: .layers)

    public var description: String { owner.map { "\($0).\(branch.rawValue)" } ?? "layers" }
}

extension Network {
    /// The layer at `path`; throws `SurgeryError.unknownLayer` naming the path when there is none.
    public func layer(at path: LayerPath) throws -> Layer {
        let list = try layers(of: path.sequence, asked: path)
        guard path.index < list.count else {
            throw SurgeryError.unknownLayer(
                path: path.description, reason: "\(path.sequence) has \(list.count) layers (0..<\(list.count))")
        }
        return list[path.index]
    }

    /// The layers of `sequence`.
    public func layers(of sequence: LayerSequence) throws -> [Layer] {
        try layers(of: sequence, asked: sequence.owner ?? LayerPath(0))
    }

    private func layers(of sequence: LayerSequence, asked: LayerPath) throws -> [Layer] {
        guard let owner = sequence.owner else { return layers }
        guard let block = try layer(at: owner) as? Residual else {
            throw SurgeryError.unknownLayer(path: asked.description, reason: "\(owner) is not a residual block")
        }
        switch sequence.branch {
        case .body: return block.body
        case .projection:
            guard let projection = block.projection else {
                throw SurgeryError.unknownLayer(
                    path: asked.description, reason: "\(owner) has an identity shortcut, no projection")
            }
            return projection
        case .layers: preconditionFailure("a nested list is a body or a projection")
        }
    }

    /// The per-sample shapes at the points of `sequence`: entry i is layer i's input, the last
    /// entry the list's output.
    public func pointShapes(of sequence: LayerSequence) throws -> [[Int]] {
        let list = try layers(of: sequence)
        var shape: [Int]
        if let owner = sequence.owner {
            shape = try pointShapes(of: owner.sequence)[owner.index]
        } else {
            shape = inputShape
        }
        var out = [shape]
        for layer in list {
            shape = try layer.outputShape(for: shape)
            out.append(shape)
        }
        return out
    }

    /// Replaces the layers of `sequence` with `newLayers`; throws and leaves the network as it
    /// was when the shapes no longer chain.
    public func replaceLayers(of sequence: LayerSequence, with newLayers: [Layer]) throws {
        guard let owner = sequence.owner else { try replaceLayers(newLayers); return }
        guard let block = try layer(at: owner) as? Residual else {
            throw SurgeryError.unknownLayer(path: owner.description, reason: "not a residual block")
        }
        let oldBody = block.body, oldProjection = block.projection
        switch sequence.branch {
        case .body: block.replaceLayers(body: newLayers, projection: oldProjection)
        case .projection: block.replaceLayers(body: oldBody, projection: newLayers)
        case .layers: preconditionFailure("a nested list is a body or a projection")
        }
        do { _ = try shapes() } catch {
            block.replaceLayers(body: oldBody, projection: oldProjection)
            throw error
        }
    }

    /// Every layer with its path, in network order (blocks before their body and projection).
    public var layerPaths: [(path: LayerPath, layer: Layer)] {
        var out: [(path: LayerPath, layer: Layer)] = []
        func walk(_ list: [Layer], _ sequence: LayerSequence) {
            for (i, layer) in list.enumerated() {
                let path = LayerPath(sequence, i)
                out.append((path, layer))
                if let block = layer as? Residual {
                    walk(block.body, LayerSequence(owner: path, branch: .body))
                    if let p = block.projection { walk(p, LayerSequence(owner: path, branch: .projection)) }
                }
            }
        }
        walk(layers, .top)
        return out
    }
}
