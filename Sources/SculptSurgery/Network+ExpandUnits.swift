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

/// The index-addressed Dense API (`layer: Int`, see `DenseUnits`): a thin adapter over the
/// unit-group path (`expandUnits(of:to:method:memoryLimit:)`), which chooses sources and writes.
extension Network {
    /// Plans growing the Dense layer at `layer` to `width` units; throws (and changes nothing)
    /// for an unknown or non-Dense layer, a width not above the current one, or a width whose
    /// tensors would not fit in `memoryLimit` bytes.
    public func planExpand(layer: Int, to width: Int, method: ExpandMethod,
                           memoryLimit: Double = MemoryBudget.standard.limit) throws -> ExpandPlan {
        let group = try DenseUnits(network: self, layer: layer).group(in: self)
        try GroupResize.validateExpand(group, width: width, method: method, memoryLimit: memoryLimit)
        return ExpandPlan(layer: layer, originalWidth: group.count, targetWidth: width, method: method,
                          sources: GroupResize.expansionSources(group, width: width, method: method))
    }

    /// Applies `plan`: new units are appended after the existing ones, which keep their indices.
    /// New units start with zero gradients and optimizer state; WeakExpand copies inherit their
    /// source's mask entries (a frozen unit's copies stay frozen), ZeroExpand units are trainable.
    /// Validates first: on an error the network is unchanged.
    @discardableResult
    public func applyExpand(_ plan: ExpandPlan,
                            memoryLimit: Double = MemoryBudget.standard.limit) throws -> ExpansionReport {
        let dense = try DenseUnits(network: self, layer: plan.layer)
        let n = dense.count
        guard n == plan.originalWidth else {
            throw SurgeryError.planDoesNotFit(layer: plan.layer, plannedWidth: plan.originalWidth, width: n)
        }
        let group = try dense.group(in: self)
        guard plan.sources.count == plan.targetWidth - n else {
            throw SurgeryError.widthNotLarger(path: group.anchor.description, width: n, target: n + plan.sources.count)
        }
        try GroupResize.validateExpand(group, width: plan.targetWidth, method: plan.method, memoryLimit: memoryLimit)
        try group.validate(plan.sources.compactMap { $0 }.uniqued())
        let before = parameterCount
        try appendUnits(to: group, sources: plan.sources, method: plan.method)
        return ExpansionReport(layer: plan.layer, widthBefore: n, widthAfter: plan.targetWidth, sources: plan.sources,
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

extension Array where Element: Hashable {
    /// The elements without repeats, in first-seen order.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
