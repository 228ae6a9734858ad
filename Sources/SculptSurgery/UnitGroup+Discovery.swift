import SculptNN

extension UnitGroup {
    /// The group of units produced by the Dense or Conv2D layer at `layer`: follows the units
    /// forward and backward through BatchNorm, elementwise, dropout and pooling layers, into
    /// and out of residual blocks, up to the layers that consume them. Throws `SurgeryError`
    /// naming the layer when there is no such layer, it has no units, the units are the
    /// network's outputs or inputs, or they pass through a layer surgery cannot follow.
    public init(network: Network, layer: LayerPath) throws {
        let anchorLayer = try network.layer(at: layer)
        guard let anchorUnits = anchorLayer as? UnitLayer else {
            throw SurgeryError.notUnitLayer(path: layer.description, found: anchorLayer.spec.summary)
        }
        var search = GroupSearch(network: network, anchor: layer)
        search.addProducer(layer, anchorUnits)
        try search.visit(Point(sequence: layer.sequence, index: layer.index + 1))
        try search.run()
        if search.reachesInput { throw SurgeryError.unitsAreInputs(path: layer.description) }
        if search.reachesOutput || search.consumers.isEmpty {
            throw SurgeryError.unitsAreOutputs(path: layer.description)
        }
        // The activations: after the anchor and the BatchNorm / activation layers right behind it.
        let list = try network.layers(of: layer.sequence)
        var last = layer.index
        while last + 1 < list.count, list[last + 1] is BatchNorm || list[last + 1] is Activation { last += 1 }
        self.init(anchor: layer,
                  producers: search.producers.sorted { $0.path < $1.path },
                  normalizations: search.normalizations.sorted { $0.path < $1.path },
                  consumers: search.consumers.sorted { $0.path < $1.path },
                  measurementPoint: LayerPath(layer.sequence, last))
    }

    /// The group of the top-level layer `layer`.
    public init(network: Network, layer: Int) throws { try self.init(network: network, layer: LayerPath(layer)) }

    /// One group per unit-producing layer that has one (a coupled group once, under its first
    /// producer), in network order.
    public static func all(in network: Network) -> [UnitGroup] {
        var seen = Set<LayerPath>()
        var out: [UnitGroup] = []
        for (path, layer) in network.layerPaths where layer is UnitLayer && !seen.contains(path) {
            guard let group = try? UnitGroup(network: network, layer: path) else { continue }
            for p in group.producers { seen.insert(p.path) }
            out.append(group)
        }
        return out
    }
}

/// A point between two layers of one list: `index` is the input of layer `index` (the list's
/// output when `index` equals its count).
private struct Point: Hashable {
    var sequence: LayerSequence
    var index: Int
}

/// Breadth-first search over the points that carry the same units.
private struct GroupSearch {
    let network: Network
    let anchor: LayerPath
    var queue: [Point] = []
    var visited = Set<Point>()
    var producers: [UnitGroup.Producer] = []
    var normalizations: [UnitGroup.Normalization] = []
    var consumers: [UnitGroup.Consumer] = []
    var reachesInput = false
    var reachesOutput = false

    init(network: Network, anchor: LayerPath) {
        self.network = network
        self.anchor = anchor
    }

    mutating func visit(_ point: Point) throws {
        if visited.insert(point).inserted { queue.append(point) }
    }

    mutating func run() throws {
        while !queue.isEmpty {
            let point = queue.removeFirst()
            try forward(point)
            try backward(point)
        }
    }

    mutating func addProducer(_ path: LayerPath, _ layer: UnitLayer) {
        guard !producers.contains(where: { $0.path == path }) else { return }
        producers.append(.init(path: path, layer: layer, weight: layer.weight, bias: layer.bias))
    }

    mutating func addNormalization(_ path: LayerPath, _ layer: BatchNorm, span: Int) {
        guard !normalizations.contains(where: { $0.path == path }) else { return }
        normalizations.append(.init(path: path, layer: layer, span: span))
    }

    mutating func addConsumer(_ path: LayerPath, _ layer: UnitLayer, span: Int) {
        guard !consumers.contains(where: { $0.path == path }) else { return }
        consumers.append(.init(path: path, layer: layer, weight: layer.weight, span: span))
    }

    /// The layers after `point`, up to the consumers.
    mutating func forward(_ point: Point) throws {
        let list = try network.layers(of: point.sequence)
        guard point.index < list.count else {
            // The list's end: a block's body or projection ends in the block's output.
            if let owner = point.sequence.owner {
                try visit(Point(sequence: owner.sequence, index: owner.index + 1))
            } else {
                reachesOutput = true
            }
            return
        }
        let path = LayerPath(point.sequence, point.index)
        switch list[point.index] {
        case let layer as UnitLayer: addConsumer(path, layer, span: 1)
        case let bn as BatchNorm:
            addNormalization(path, bn, span: 1)
            try visit(Point(sequence: point.sequence, index: point.index + 1))
        case is UnitPreservingLayer:
            try visit(Point(sequence: point.sequence, index: point.index + 1))
        case is Flatten:
            let shape = try network.pointShapes(of: point.sequence)[point.index]
            try flattened(Point(sequence: point.sequence, index: point.index + 1), span: shape.dropFirst().reduce(1, *))
        case let block as Residual:
            try visit(Point(sequence: LayerSequence(owner: path, branch: .body), index: 0))
            if block.projection != nil {
                try visit(Point(sequence: LayerSequence(owner: path, branch: .projection), index: 0))
            } else {
                try visit(Point(sequence: point.sequence, index: point.index + 1))
            }
        case let other:
            throw SurgeryError.unsupportedLayer(
                path: path.description, found: other.spec.summary, reason: "unit surgery cannot follow units through it"
            )
        }
    }

    /// The layers after a Flatten: each unit is `span` consecutive features up to a Dense.
    mutating func flattened(_ start: Point, span: Int) throws {
        let list = try network.layers(of: start.sequence)
        var i = start.index
        while i < list.count {
            let path = LayerPath(start.sequence, i)
            switch list[i] {
            case let layer as UnitLayer where type(of: layer).readsFlattenedUnits:
                addConsumer(path, layer, span: span)
                return
            case let bn as BatchNorm: addNormalization(path, bn, span: span)
            case let layer as UnitPreservingLayer where type(of: layer).isElementwise: break
            case let other:
                throw SurgeryError.unsupportedLayer(path: path.description, found: other.spec.summary,
                    reason:
                        "after a Flatten, units are followed only through activations, dropout and BatchNorm to a dense layer"
                )
            }
            i += 1
        }
        if start.sequence.owner == nil { reachesOutput = true } else {
            throw SurgeryError.unsupportedLayer(path: start.sequence.description, found: "a flattened residual branch",
                                                reason: "units flattened inside a residual block cannot be followed")
        }
    }

    /// The layers before `point`, back to the producers.
    mutating func backward(_ point: Point) throws {
        guard point.index > 0 else {
            // A list's start: a body or projection starts from the block's input.
            if let owner = point.sequence.owner {
                try visit(Point(sequence: owner.sequence, index: owner.index))
            } else {
                reachesInput = true
            }
            return
        }
        let list = try network.layers(of: point.sequence)
        let path = LayerPath(point.sequence, point.index - 1)
        switch list[point.index - 1] {
        case let layer as UnitLayer: addProducer(path, layer)
        case let bn as BatchNorm:
            addNormalization(path, bn, span: 1)
            try visit(Point(sequence: point.sequence, index: point.index - 1))
        case is UnitPreservingLayer:
            try visit(Point(sequence: point.sequence, index: point.index - 1))
        case let block as Residual:
            try visit(Point(sequence: LayerSequence(owner: path, branch: .body), index: block.body.count))
            if let projection = block.projection {
                try visit(Point(sequence: LayerSequence(owner: path, branch: .projection), index: projection.count))
            } else {
                try visit(Point(sequence: point.sequence, index: point.index - 1))
            }
        case let other:
            throw SurgeryError.unsupportedLayer(
                path: path.description, found: other.spec.summary,
                reason: "unit surgery cannot follow units back through it")
        }
    }
}
