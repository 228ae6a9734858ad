import SculptCore
import SculptNN

/// What one layer learns under a plan.
public struct LayerSelection: Codable, Equatable, Sendable {
    /// The layer's path (`layers.3`, `layers.5.body.0`).
    public var layer: String
    public var kind: WeightLayer.Kind
    /// The weight's shape (`[features]` for BatchNorm).
    public var shape: [Int]
    /// 0 = everything, 1...4 = indices along that weight dimension, nil = nothing learns.
    public var dimension: Int?
    /// The learned indices along `dimension` (empty when `dimension` is 0 or nil).
    public var indices: [Int]
    public var learnedParameters: Int
    public var parameters: Int
}

/// The outcome of choosing what learns: per layer and in total.
public struct PartialTrainingSummary: Codable, Equatable, Sendable {
    /// The mode as text (`filters:0.1`).
    public var mode: String
    public var rest: RestPolicy
    public var totalParameters: Int
    /// Scalars the optimizer may change.
    public var learnedParameters: Int
    /// learned / total.
    public var learnedFraction: Double
    public var layers: [LayerSelection]
}

/// Partial training (Rosenfeld & Tsotsos 2018): only a chosen subset of the weights learns, the
/// rest stays at its random initial value (`fixed`) or is set to zero (`zeroed`), frozen by
/// parameter masks (the optimizers leave masked entries bit-for-bit unchanged).
///
/// Biases are split only along the output dimension (the paper's rule): a learned filter's bias
/// learns, and slices along dimensions 2-4 learn no bias. Hidden Dense layers learn whole in the
/// filter, count and slice modes (the paper keeps fully connected layers intact), unless the plan's
/// `denseLayers` is `.split`: then they are sliced by units along dimension 1 and by inputs along 2
/// (a slice along 3 or 4 learns them whole). The classifier learns whole in these modes.
public enum PartialTraining {
    /// The masks `plan` gives `network` (1 = learns; nil = everything learns), without changing it;
    /// throws a `PartialTrainingError` for an impossible plan.
    public static func masks(for plan: PartialTrainingPlan, in network: Network) throws
        -> (summary: PartialTrainingSummary, masks: [(parameter: Parameter, mask: Tensor?)]) {
        try plan.mode.validate()
        let layers = WeightLayer.all(in: network)
        let weighted = layers.filter { $0.kind != .batchNorm }
        guard let classifier = weighted.last else { throw PartialTrainingError.nothingToLearn("the network has no " +
            "convolution or Dense layer") }
        try checkDenseRule(plan, hasConvolutions: weighted.contains { $0.kind == .convolution })
        let inBlock = try blockMembership(plan.mode, layers: layers, classifier: classifier.path,
                                          topLevelCount: network.layers.count)
        var rng = RandomSource(seed: plan.seed)
        var selections: [LayerSelection] = []
        var masks: [(parameter: Parameter, mask: Tensor?)] = []
        for (i, entry) in layers.enumerated() {
            let layerRNG = entry.kind == .batchNorm ? nil : rng.split()
            if entry.kind == .batchNorm {
                let learns = plan.learnBatchNorm || plan.mode == .batchNorm || inBlock[i]
                let parameters = entry.layer.parameters
                for p in parameters { masks.append((p, learns ? nil : Tensor(zeros: p.value.shape))) }
                let count = parameters.reduce(0) { $0 + $1.count }
                selections.append(LayerSelection(layer: entry.path, kind: .batchNorm, shape: [entry.width],
                                                 dimension: learns ? 0 : nil,
                                                 indices: [], learnedParameters: learns ? count : 0, parameters: count))
                continue
            }
            guard let weight = entry.weight, var generator = layerRNG else { continue }
            let shape = weight.value.shape
            let rule = try self.rule(plan, entry: entry, isClassifier: entry.path == classifier.path,
                                     inBlock: inBlock[i])
            var indices: [Int] = []
            if let (dimension, n) = rule, dimension > 0 {
                indices = plan.selection == .leading
                    ? Array(0..<n) : Array(generator.permutation(shape[dimension - 1]).prefix(n)).sorted()
            }
            let weightMask = mask(shape: shape, dimension: rule?.dimension, indices: indices)
            masks.append((weight, weightMask))
            var learned = weightMask.map(count(ones:)) ?? (rule == nil ? 0 : weight.count)
            var total = weight.count
            if let bias = entry.bias {
                // The bias follows the output dimension only.
                let biasMask: Tensor?
                switch rule?.dimension {
                case 0?: biasMask = nil
                case 1?: biasMask = self.mask(shape: bias.value.shape, dimension: 1, indices: indices)
                default: biasMask = Tensor(zeros: bias.value.shape)
                }
                masks.append((bias, biasMask))
                learned += biasMask.map(count(ones:)) ?? bias.count
                total += bias.count
            }
            selections.append(LayerSelection(layer: entry.path, kind: entry.kind, shape: shape,
                                             dimension: rule?.dimension,
                                             indices: indices, learnedParameters: learned, parameters: total))
        }
        let learned = selections.reduce(0) { $0 + $1.learnedParameters }
        guard learned > 0 else { throw PartialTrainingError.nothingToLearn("mode \(plan.mode) selects no parameter " +
            "of this network") }
        let total = network.parameterCount
        let summary = PartialTrainingSummary(mode: plan.mode.description, rest: plan.rest, totalParameters: total,
                                             learnedParameters: learned,
                                             learnedFraction: Double(learned) / Double(max(total, 1)),
                                             layers: selections)
        return (summary, masks)
    }

    /// Sets the masks of `plan` on `network` and, for `zeroed`, sets every frozen convolution and
    /// Dense entry to zero. Validates first: on error the network is unchanged.
    @discardableResult
    public static func apply(_ plan: PartialTrainingPlan, to network: Network) throws -> PartialTrainingSummary {
        let (summary, masks) = try self.masks(for: plan, in: network)
        let batchNormParameters = Set(WeightLayer.all(in: network).filter { $0.kind == .batchNorm }
            .flatMap { $0.layer.parameters.map(ObjectIdentifier.init) })
        for (parameter, mask) in masks {
            parameter.mask = mask
            guard plan.rest == .zeroed, let mask, !batchNormParameters.contains(ObjectIdentifier(parameter)) else {
                continue
            }
            let w = parameter.value.data, m = mask.data
            for i in 0..<parameter.count where m[i] == 0 { w[i] = 0 }
        }
        return summary
    }

    /// Refuses a filter, count or slice mode that would learn everything: a network without
    /// convolutions whose Dense layers learn whole.
    private static func checkDenseRule(_ plan: PartialTrainingPlan, hasConvolutions: Bool) throws {
        guard !hasConvolutions, plan.denseLayers == .whole else { return }
        switch plan.mode {
        case .filters, .count, .slice:
            throw PartialTrainingError.invalidMode(plan.mode.description, reason:
                "the network has no convolution and its Dense layers learn whole (the paper's rule), so every "
                + "weight would learn; split the Dense layers (denseLayers split, --dense-layers split) to learn a "
                + "fraction of their units")
        case .all, .block, .batchNorm, .classifier: return
        }
    }

    /// (dimension, count) learned for a convolution or Dense layer: dimension 0 = all; nil = nothing.
    private static func rule(_ plan: PartialTrainingPlan, entry: WeightLayer, isClassifier: Bool, inBlock: Bool) throws
        -> (dimension: Int, count: Int)? {
        let width = entry.width
        let wholeDense = entry.kind == .dense && plan.denseLayers == .whole
        switch plan.mode {
        case .filters, .count, .slice: if isClassifier || wholeDense { return (0, 0) }
        case .all, .block, .batchNorm, .classifier: break
        }
        // floor(p * n), guarded against 0.29 * 100 = 28.999..., and at least 1.
        func leading(_ p: Double, of n: Int) -> Int { max(1, Int((p * Double(n) + 1e-9).rounded(.down))) }
        switch plan.mode {
        case .all: return (0, 0)
        case .filters(let p): return isClassifier ? (0, 0) : (1, leading(p, of: width))
        case .count(let k):
            if isClassifier { return (0, 0) }
            guard k <= width else { throw PartialTrainingError.countExceedsWidth(layer: entry.path, count: k,
                width: width) }
            return (1, k)
        case .slice(let d, let p):
            if isClassifier { return (0, 0) }
            let shape = entry.weight?.value.shape ?? []
            if d > shape.count { return (0, 0) }  // Dense layers along kernel dimensions: learned whole
            return (d, leading(p, of: shape[d - 1]))
        case .block: return inBlock ? (0, 0) : nil
        case .batchNorm: return nil
        case .classifier: return isClassifier ? (0, 0) : nil
        }
    }

    /// For `.block`, which of `layers` lie in the named block (all false for other modes).
    private static func blockMembership(_ mode: PartialTrainingMode, layers: [WeightLayer], classifier: String,
                                        topLevelCount: Int) throws -> [Bool] {
        guard case .block(let name) = mode else { return Array(repeating: false, count: layers.count) }
        let lower = name.lowercased()
        let member: [Bool]
        if lower == "fc" || lower == "classifier" {
            member = layers.map { $0.path == classifier }
        } else if lower == "conv1" {
            let first = layers.first { $0.kind == .convolution }?.path
            member = layers.map { $0.path == first }
        } else if lower.hasPrefix("layers."), let range = topLevelRange(String(lower.dropFirst(7))) {
            member = layers.map { range.contains($0.topLevel) }
        } else {
            member = layers.map { $0.path == lower || $0.path.hasPrefix(lower + ".") }
        }
        guard member.contains(true) else {
            let paths = layers.filter { $0.kind != .batchNorm }.map(\.path).joined(separator: ", ")
            throw PartialTrainingError.unknownLayer(
                name, known: "expected conv1, fc, layers.A-B with 0 <= A <= B < \(topLevelCount), or a layer holding " +
                             "weights: \(paths)")
        }
        return member
    }

    /// `N` or `A-B` as a range of top-level indices.
    private static func topLevelRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 1, let n = Int(parts[0]) { return n...n }
        if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), a <= b { return a...b }
        return nil
    }

    /// A 0/1 mask of `shape` with ones where the index along `dimension` (1-based) is in
    /// `indices`; nil (all learn) for dimension 0, all zeros for nil.
    static func mask(shape: [Int], dimension: Int?, indices: [Int]) -> Tensor? {
        guard let dimension else { return Tensor(zeros: shape) }
        if dimension == 0 { return nil }
        let m = Tensor(zeros: shape)
        // Row-major: the index along `dimension` is (flat / inner) % size.
        let inner = shape.dropFirst(dimension).reduce(1, *), size = shape[dimension - 1]
        var chosen = [Bool](repeating: false, count: size)
        for i in indices { chosen[i] = true }
        let d = m.data
        for i in 0..<m.count where chosen[(i / inner) % size] { d[i] = 1 }
        return m
    }

    private static func count(ones mask: Tensor) -> Int {
        var n = 0
        for i in 0..<mask.count where mask.data[i] != 0 { n += 1 }
        return n
    }
}
