/// Which weights learn in partial training (Rosenfeld & Tsotsos 2018, Section 3.1).
///
/// "Hidden weight layers" are every Conv2D and Dense layer except the classifier (the last
/// weight layer), residual bodies and projections included; a filter is an output channel of a
/// convolution or a unit (output row) of a Dense layer.
public enum PartialTrainingMode: Equatable, Sendable, CustomStringConvertible {
    /// Every weight learns (the baseline).
    case all
    /// A fraction p in (0, 1] of the filters of each hidden weight layer: floor(p x width), at least 1.
    case filters(fraction: Double)
    /// k filters of each hidden weight layer.
    case count(Int)
    /// A fraction of the coefficients along dimension 1...4 of each conv weight
    /// `[out, in, kernel row, kernel column]` (1 is the same as `filters`).
    case slice(dimension: Int, fraction: Double)
    /// Only the weight layers of one block: `layers.N` (a residual block or any layer),
    /// `layers.A-B` (top-level layers A to B), a nested path `layers.N.body.M`, `conv1` or `fc`.
    case block(String)
    /// Only BatchNorm scales and shifts.
    case batchNorm
    /// Only the classifier (the last weight layer).
    case classifier

    /// Parses `all`, `filters:P`, `count:K`, `slice:DIM:P`, `block:NAME`, `batchnorm`, `classifier`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func number(_ s: String) throws -> Double {
            guard let x = Double(s), x.isFinite else { throw PartialTrainingError.invalidMode(text,
                reason: "'\(s)' is not a number") }
            return x
        }
        switch (parts[0].lowercased(), parts.count) {
        case ("all", 1): self = .all
        case ("filters", 2): self = .filters(fraction: try number(parts[1]))
        case ("count", 2):
            guard let k = Int(parts[1]) else { throw PartialTrainingError.invalidMode(text, reason: "'\(parts[1])' " +
                "is not an integer") }
            self = .count(k)
        case ("slice", 3):
            guard let d = Int(parts[1]) else { throw PartialTrainingError.invalidMode(text, reason: "'\(parts[1])' " +
                "is not a dimension 1...4") }
            self = .slice(dimension: d, fraction: try number(parts[2]))
        case ("block", 2): self = .block(parts[1])
        case ("batchnorm", 1), ("bn", 1): self = .batchNorm
        case ("classifier", 1), ("fc", 1): self = .classifier
        default:
            throw PartialTrainingError.invalidMode(
                text, reason: "expected all, filters:P, count:K, slice:DIM:P, block:NAME, batchnorm or classifier")
        }
    }

    /// The text `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .all: return "all"
        case .filters(let p): return "filters:\(p)"
        case .count(let k): return "count:\(k)"
        case .slice(let d, let p): return "slice:\(d):\(p)"
        case .block(let name): return "block:\(name)"
        case .batchNorm: return "batchnorm"
        case .classifier: return "classifier"
        }
    }

    /// Checks the numbers alone (fraction in (0, 1], k >= 1, dimension 1...4).
    public func validate() throws {
        switch self {
        case .filters(let p), .slice(_, let p):
            guard p > 0, p <= 1, p.isFinite else { throw PartialTrainingError.fractionOutOfRange(p) }
            if case .slice(let d, _) = self, !(1...4).contains(d) { throw PartialTrainingError.invalidDimension(d) }
        case .count(let k):
            guard k >= 1 else { throw PartialTrainingError.countNotPositive(k) }
        case .block(let name):
            guard !name.isEmpty else { throw PartialTrainingError.invalidMode("block:", reason: "the block needs a " +
                "name") }
        case .all, .batchNorm, .classifier: break
        }
    }
}

/// What happens to the weights that do not learn.
public enum RestPolicy: String, Codable, Sendable, CaseIterable {
    /// Kept at their random initial values (frozen).
    case fixed
    /// Set to zero and frozen (BatchNorm parameters are never zeroed).
    case zeroed
}

/// How the learned filters (or slice coefficients) of a layer are chosen.
public enum SelectionOrder: String, Codable, Sendable, CaseIterable {
    /// The first n indices, as in the paper.
    case leading
    /// n indices drawn without replacement, seeded per layer from the plan's seed.
    case random
}

/// How hidden fully connected (Dense) layers take part in the filter, count and slice modes.
public enum DenseRule: String, Codable, Sendable, CaseIterable {
    /// Learned whole, as the paper does ("we keep fully-connected layers intact - we either learn
    /// them entirely or not at all"): fractions of filters apply to the convolutions only.
    case whole
    /// Split like convolutions: a fraction of their units (dimension 1) or inputs (dimension 2)
    /// learns. The only partial choice on a network without convolutions (an MLP).
    case split
}

/// A complete partial-training choice: what learns, what the rest becomes, and how indices are picked.
public struct PartialTrainingPlan: Equatable, Sendable {
    public var mode: PartialTrainingMode
    public var rest: RestPolicy
    /// Whether BatchNorm scales and shifts learn in every mode (the paper always learns them:
    /// its Table 1 parameter counts include them); forced on by `.batchNorm`.
    public var learnBatchNorm: Bool
    public var selection: SelectionOrder
    /// Seeds `.random` selection.
    public var seed: UInt64
    /// Hidden Dense layers in the filter, count and slice modes: whole (the paper) or split.
    public var denseLayers: DenseRule

    public init(mode: PartialTrainingMode, rest: RestPolicy = .fixed, learnBatchNorm: Bool = true,
                selection: SelectionOrder = .leading, seed: UInt64 = 0, denseLayers: DenseRule = .whole) {
        self.mode = mode
        self.rest = rest
        self.learnBatchNorm = learnBatchNorm
        self.selection = selection
        self.seed = seed
        self.denseLayers = denseLayers
    }
}

extension PartialTrainingPlan {
    /// The plan that the words of `sculpt partial --mode/--rest/--selection/--dense-layers` and the
    /// partial trial kinds' `mode`/`rest`/`selection`/`denseLayers` keys describe (rest and selection case-insensitive):
    /// their one reader.
    public init(mode: String, rest: String = "fixed", selection: String = "leading", learnBatchNorm: Bool = true,
                seed: UInt64 = 0, denseLayers: String = DenseRule.whole.rawValue) throws {
        let parsed = try PartialTrainingMode(parsing: mode)
        try parsed.validate()
        guard let restPolicy = RestPolicy(rawValue: rest.lowercased()) else {
            throw PartialTrainingError.unknownChoice(what: "rest", value: rest,
                                                     allowed: RestPolicy.allCases.map(\.rawValue))
        }
        guard let order = SelectionOrder(rawValue: selection.lowercased()) else {
            throw PartialTrainingError.unknownChoice(what: "selection", value: selection,
                                                     allowed: SelectionOrder.allCases.map(\.rawValue))
        }
        guard let dense = DenseRule(rawValue: denseLayers.lowercased()) else {
            throw PartialTrainingError.unknownChoice(what: "dense layers", value: denseLayers,
                                                     allowed: DenseRule.allCases.map(\.rawValue))
        }
        self.init(mode: parsed, rest: restPolicy, learnBatchNorm: learnBatchNorm, selection: order, seed: seed,
                  denseLayers: dense)
    }
}
