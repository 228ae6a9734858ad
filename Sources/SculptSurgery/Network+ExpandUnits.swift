import SculptCore
import SculptNN

/// How a growing layer fills its new units. Both keep the network's function (to float32 rounding).
public enum ExpandMethod: Codable, Equatable, Sendable {
    /// WeakExpand (the thesis's Algorithm 3): split the strongest units. A unit split into c
    /// copies (itself plus c - 1 new units) gives each copy its incoming weights and bias and
    /// 1/c of its outgoing weights, so the copies together send what it sent. With
    /// `noiseStandardDeviation` > 0 each outgoing weight of a split unit's copies also gets
    /// N(0, std) noise made to sum to zero over the copies (drawn from `seed`): the copies then
    /// receive different gradients and can drift apart, while the sum, and so the function, is
    /// unchanged. 0 (the default) is the thesis's exact split.
    case weak(order: WeakExpandSplit.Order, noiseStandardDeviation: Float, seed: UInt64)
    /// ZeroExpand: new units with incoming weights and bias from `initializer` (seeded with `seed`)
    /// and zero outgoing weights. The thesis's Zero Weight Expansion also zeroes the incoming
    /// weights (`.uniform(low: 0, high: 0)`); the function is kept either way.
    case zero(initializer: Initializer, seed: UInt64)
}

/// An expansion of one Dense layer, decided but not yet applied (Codable, for the history).
public struct ExpandPlan: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// Its width when planned.
    public var originalWidth: Int
    /// The width afterwards.
    public var targetWidth: Int
    /// How new units are filled.
    public var method: ExpandMethod
    /// For each new unit (indices originalWidth..<targetWidth, appended at the end), the unit it
    /// copies (WeakExpand), or nil (ZeroExpand).
    public var sources: [Int?]
}

/// What an expansion did.
public struct ExpansionReport: Codable, Equatable, Sendable {
    /// The producing Dense layer.
    public var layer: Int
    /// Units before and after.
    public var widthBefore: Int
    public var widthAfter: Int
    /// For each new unit, the unit it copies (nil for ZeroExpand).
    public var sources: [Int?]
    /// Scalar parameters before and after.
    public var parametersBefore: Int
    public var parametersAfter: Int
}

extension Network {
    /// Plans growing the Dense layer at `layer` to `width` units; throws (and changes nothing)
    /// for an unknown or non-Dense layer or a width not above the current one.
    public func planExpand(layer: Int, to width: Int, method: ExpandMethod) throws -> ExpandPlan {
        let group = try DenseUnits(network: self, layer: layer)
        let n = group.count
        guard width > n else { throw SurgeryError.widthNotLarger(layer: layer, width: n, target: width) }
        let sources: [Int?]
        switch method {
        case .weak(let order, _, _):
            sources = WeakExpandSplit.sources(outgoingWeight: group.consumer.weight.value, newWidth: width, order: order)
        case .zero:
            sources = Array(repeating: nil, count: width - n)
        }
        return ExpandPlan(layer: layer, originalWidth: n, targetWidth: width, method: method, sources: sources)
    }

    /// Applies `plan`: new units are appended after the existing ones, which keep their indices.
    /// New units start with zero gradients and optimizer state; WeakExpand copies inherit their
    /// source's mask entries (a frozen unit's copies stay frozen), ZeroExpand units are trainable.
    /// Validates first: on an error the network is unchanged.
    @discardableResult
    public func applyExpand(_ plan: ExpandPlan) throws -> ExpansionReport {
        let group = try DenseUnits(network: self, layer: plan.layer)
        let n = group.count
        guard n == plan.originalWidth else {
            throw SurgeryError.planDoesNotFit(layer: plan.layer, plannedWidth: plan.originalWidth, width: n)
        }
        guard plan.targetWidth > n, plan.sources.count == plan.targetWidth - n else {
            throw SurgeryError.widthNotLarger(layer: plan.layer, width: n, target: plan.targetWidth)
        }
        try group.validate(plan.sources.compactMap { $0 }.uniqued())
        let before = parameterCount
        let width = plan.targetWidth
        let sources: [Int?] = (0..<n).map { $0 } + plan.sources
        let stateSources: [Int?] = (0..<n).map { $0 } + Array(repeating: nil, count: width - n)
        let producer = group.producer, consumer = group.consumer

        // Compute every new tensor first, then write.
        let incoming = producer.weight.value.gathered(axis: 0, sources: sources)
        let bias = producer.bias?.value.gathered(axis: 0, sources: sources)
        let outgoing: Tensor
        switch plan.method {
        case .weak(_, let std, let seed):
            var copies = [Int](repeating: 1, count: n)
            for s in plan.sources { if let s { copies[s] += 1 } }
            let scales = sources.map { $0.map { 1 / Float(copies[$0]) } ?? 1 }
            outgoing = consumer.weight.value.gathered(axis: 1, sources: sources, scales: scales)
            if std > 0 {
                var rng = RandomSource(seed: seed)
                addZeroSumNoise(outgoing, sources: sources, std: std, rng: &rng)
            }
        case .zero(let initializer, let seed):
            var rng = RandomSource(seed: seed)
            let nIn = producer.inputFeatures
            let row = Tensor(zeros: [1, nIn]), b = Tensor(zeros: [1])
            for u in n..<width {
                initializer.initialize(weight: row, bias: bias == nil ? nil : b, fanIn: nIn, fanOut: width, using: &rng)
                (incoming.data + u * nIn).update(from: row.data, count: nIn)
                bias?.data[u] = b.data[0]
            }
            outgoing = consumer.weight.value.gathered(axis: 1, sources: stateSources)
        }
        // Mask: WeakExpand copies inherit their source's entries; ZeroExpand units (nil) are trainable.
        producer.weight.remapUnits(axis: 0, valueSources: sources, stateSources: stateSources, maskSources: sources, newValue: incoming)
        producer.bias?.remapUnits(axis: 0, valueSources: sources, stateSources: stateSources, maskSources: sources, newValue: bias)
        consumer.weight.remapUnits(axis: 1, valueSources: sources, stateSources: stateSources, maskSources: sources, newValue: outgoing)
        _ = try shapes()
        return ExpansionReport(layer: plan.layer, widthBefore: n, widthAfter: width, sources: plan.sources,
                               parametersBefore: before, parametersAfter: parameterCount)
    }

    /// WeakExpand to `width` units (splitting by mean absolute outgoing weight, no noise).
    @discardableResult
    public func weakExpand(layer: Int, to width: Int, order: WeakExpandSplit.Order = .meanAbsoluteOutgoing,
                           noiseStandardDeviation: Float = 0, seed: UInt64 = 0) throws -> ExpansionReport {
        try applyExpand(planExpand(layer: layer, to: width,
                                   method: .weak(order: order, noiseStandardDeviation: noiseStandardDeviation, seed: seed)))
    }

    /// ZeroExpand to `width` units: incoming weights and bias from `initializer`, zero outgoing weights.
    @discardableResult
    public func zeroExpand(layer: Int, to width: Int, initializer: Initializer = .pytorchDefault,
                           rng: inout RandomSource) throws -> ExpansionReport {
        try applyExpand(planExpand(layer: layer, to: width, method: .zero(initializer: initializer, seed: rng.next())))
    }
}

/// Adds to the outgoing columns of each split unit's copies N(0, std) noise with zero sum over
/// the copies, row by row. outgoing is (out, width); sources[i] is column i's original unit.
private func addZeroSumNoise(_ outgoing: Tensor, sources: [Int?], std: Float, rng: inout RandomSource) {
    var groups: [Int: [Int]] = [:]
    for (i, s) in sources.enumerated() { if let s { groups[s, default: []].append(i) } }
    let rows = outgoing.shape[0], width = outgoing.shape[1]
    for unit in groups.keys.sorted() {
        guard let columns = groups[unit], columns.count > 1 else { continue }
        var noise = [Float](repeating: 0, count: columns.count)
        for r in 0..<rows {
            var mean: Float = 0
            for c in noise.indices { noise[c] = rng.normal(std: std); mean += noise[c] }
            mean /= Float(columns.count)
            for (c, column) in columns.enumerated() { outgoing.data[r * width + column] += noise[c] - mean }
        }
    }
}

extension Array where Element: Hashable {
    /// The elements without repeats, in first-seen order.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
