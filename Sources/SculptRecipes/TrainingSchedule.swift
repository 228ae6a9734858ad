#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptNN
import SculptSurgery

/// What a schedule entry does to its layer (Graham 2019, section 4.1.2: operations applied to
/// layers at given epochs while the network trains).
public enum ScheduleOperationKind: String, Codable, Sendable, CaseIterable {
    /// EigenRemove: rank-reduce, then keep the units with the largest reduced outgoing weights.
    case eigenremove
    /// Minimum Weight Selection: keep the units with the largest outgoing weights.
    case minweight
    /// Keep a random subset of the units.
    case randomRemove = "random-remove"
    /// WeakExpand: split the strongest units (function-preserving).
    case expand
    /// ZeroExpand: new units with zero outgoing weights (function-preserving).
    case zeroExpand = "zero-expand"
    /// Physically remove units.
    case remove
    /// Restart units with fresh weights.
    case reinit
    /// Mask units (or a whole layer) out of training.
    case freeze
    /// Make units (or a whole layer) trainable again.
    case unfreeze
    /// Fold a BatchNorm into the layer before it (the layer list gets shorter).
    case foldBatchNorm = "fold-bn"
    /// Fold an identity-activation Dense / 1x1 Conv2D into the next layer (the list gets shorter).
    case collapse

    /// Whether the operation makes its layer narrower to a width (`to` or `fraction` kept).
    public var shrinks: Bool { self == .eigenremove || self == .minweight || self == .randomRemove }
    /// Whether the operation makes its layer wider (`to` or `fraction` added).
    public var expands: Bool { self == .expand || self == .zeroExpand }
    /// Whether the operation acts on chosen units (`units` or the `fraction` with the smallest incoming L2 norms).
    public var selectsUnits: Bool { self == .remove || self == .reinit || self == .freeze || self == .unfreeze }
}

/// One operation of a schedule, resolved against the network as it is when the operation runs.
///
/// Layers are paths (`layers.3`, `layers.5.body.0`) or counted names: `convK` / `cK` is the K-th
/// Conv2D and `fcK` / `fK` / `denseK` the K-th Dense layer of the network at that moment (1-based,
/// forward order, residual bodies included), so the thesis's `c10, c7, c2, f2, ...` read as written.
/// Amounts: `fraction` is the share of units kept (shrinks, in (0, 1)), added (expansions, > 0) or
/// chosen by smallest incoming L2 norm (remove, reinit, freeze, unfreeze, in (0, 1)); `to` is the
/// width afterwards; `units` lists unit indices.
public struct ScheduleOperation: Codable, Equatable, Sendable, CustomStringConvertible {
    public var operation: ScheduleOperationKind
    public var layer: String?
    public var fraction: Double?
    public var to: Int?
    public var units: [Int]?
    /// EigenRemove's rank ratio delta in (0, 1] (required for eigenremove).
    public var rankRatio: Double?
    /// Reinit scheme (`uniform`, `he`, `glorot`, `layer-range`, `fitted-normal`, ...; default uniform).
    public var initialization: String?
    /// Reinit: zero the units' outgoing weights (a function-preserving restart).
    public var zeroOutgoing: Bool?
    /// Seed of random choices (random-remove, reinit, expand); the run derives one when absent.
    public var seed: UInt64?
    /// Freeze / unfreeze: parameters by name (`layers.0.weight`) instead of a layer or units.
    public var parameters: [String]?

    public init(operation: ScheduleOperationKind, layer: String? = nil, fraction: Double? = nil, to: Int? = nil,
                units: [Int]? = nil, rankRatio: Double? = nil, initialization: String? = nil,
                zeroOutgoing: Bool? = nil, seed: UInt64? = nil, parameters: [String]? = nil) {
        self.operation = operation
        self.layer = layer
        self.fraction = fraction
        self.to = to
        self.units = units
        self.rankRatio = rankRatio
        self.initialization = initialization
        self.zeroOutgoing = zeroOutgoing
        self.seed = seed
        self.parameters = parameters
    }

    /// Parses `OP[:LAYER][:AMOUNT][:KEY=VALUE]...`: `eigenremove:conv10:0.75:rank=0.125`,
    /// `expand:fc2:to=300`, `remove:layers.3:units=1,4`, `reinit:conv2:0.1:init=he:zero-outgoing`,
    /// `freeze:conv1`, `fold-bn`. A bare number is the `fraction`; keys: `fraction`, `to`, `units`,
    /// `rank`, `init`, `seed`, `parameters`; the flag `zero-outgoing`.
    public init(parsing text: String) throws {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false).map { String($0).trimmed }
        guard let name = fields.first, !name.isEmpty else {
            throw ScheduleError.invalidText(text, reason: "expected OP[:LAYER][:AMOUNT][:KEY=VALUE]...")
        }
        guard let kind = ScheduleOperationKind(rawValue: name.lowercased()) else {
            let known = ScheduleOperationKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw ScheduleError.invalidText(text, reason: "unknown operation '\(name)' (expected one of: \(known))")
        }
        self.init(operation: kind)
        for (i, field) in fields.enumerated().dropFirst() {
            guard !field.isEmpty else { throw ScheduleError.invalidText(text, reason: "field \(i + 1) is empty") }
            func number<T: LosslessStringConvertible>(_ value: String, _ what: String) throws -> T {
                guard let x = T(value) else { throw ScheduleError.invalidText(text, reason: "\(what) '\(value)' is " +
                    "not a number") }
                return x
            }
            if let eq = field.firstIndex(of: "=") {
                let key = String(field[..<eq]).lowercased(), value = String(field[field.index(after: eq)...])
                switch key {
                case "fraction": fraction = try number(value, "fraction")
                case "to": to = try number(value, "to")
                case "units": units = try value.split(separator: ",").map { try number(String($0).trimmed, "unit") }
                case "rank", "rank-ratio": rankRatio = try number(value, "rank")
                case "init": initialization = value
                case "seed": seed = try number(value, "seed")
                case "parameters": parameters = value.split(separator: ",").map { String($0).trimmed }
                default:
                    throw ScheduleError.invalidText(
                        text, reason: "unknown key '\(key)' (expected fraction, to, units, rank, init, seed, " +
                                      "parameters)")
                }
            } else if field.lowercased() == "zero-outgoing" {
                zeroOutgoing = true
            } else if let x = Double(field) {
                guard fraction == nil else { throw ScheduleError.invalidText(text, reason: "two fractions") }
                fraction = x
            } else {
                guard i == 1 else { throw ScheduleError.invalidText(text, reason: "'\(field)' is not a number or " +
                    "KEY=VALUE (the layer comes right after the operation)") }
                layer = field
            }
        }
    }

    /// The operation in the text form `init(parsing:)` reads.
    public var description: String {
        var parts = [operation.rawValue]
        if let layer { parts.append(layer) }
        if let fraction { parts.append(JSONValue.numberText(fraction)) }
        if let to { parts.append("to=\(to)") }
        if let units { parts.append("units=" + units.map(String.init).joined(separator: ",")) }
        if let rankRatio { parts.append("rank=" + JSONValue.numberText(rankRatio)) }
        if let initialization { parts.append("init=" + initialization) }
        if zeroOutgoing == true { parts.append("zero-outgoing") }
        if let seed { parts.append("seed=\(seed)") }
        if let parameters { parts.append("parameters=" + parameters.joined(separator: ",")) }
        return parts.joined(separator: ":")
    }

    // MARK: - Resolution against a network

    /// The path the operation's layer names in `network` as it is now (nil when none is given).
    public func layerPath(in network: Network) throws -> LayerPath? {
        guard let layer else { return nil }
        if let path = try? LayerPath(parsing: layer) {
            do { _ = try network.layer(at: path) } catch { throw ScheduleError.unknownLayer(layer, reason: "\(error)") }
            return path
        }
        let lower = layer.lowercased()
        let counted: [(prefix: String, kind: WeightLayer.Kind, name: String)] = [
            ("conv", .convolution, "Conv2D"), ("dense", .dense, "Dense"), ("fc", .dense, "Dense"),
            ("c", .convolution, "Conv2D"), ("f", .dense, "Dense"),
        ]
        for (prefix, kind, name) in counted where lower.hasPrefix(prefix) {
            guard let k = Int(lower.dropFirst(prefix.count)) else { continue }
            let layers = WeightLayer.all(in: network).filter { $0.kind == kind }
            guard k >= 1, k <= layers.count else {
                throw ScheduleError.unknownLayer(layer, reason: "the network has \(layers.count) \(name) layers now " +
                                                                "(counted from 1)")
            }
            return try LayerPath(parsing: layers[k - 1].path)
        }
        throw ScheduleError.unknownLayer(layer, reason: "expected a path such as layers.3 or a counted name such as " +
                                                        "conv10 / fc2")
    }

    /// The parts of an operation an error can name. Each front end spells them its own way:
    /// a schedule as keys (`to=N`), `sculpt surgery` as flags (`--to`).
    public enum Field: String, Codable, Sendable, CaseIterable {
        case operation, layer, fraction, to, units, rankRatio, initialization, zeroOutgoing, seed, parameters

        /// The field as a schedule entry writes it (`to=N`, `rank=D`, `a fraction`).
        public var scheduleName: String {
            switch self {
            case .operation: return "the operation"
            case .layer: return "a layer"
            case .fraction: return "a fraction"
            case .to: return "to=N"
            case .units: return "units=..."
            case .rankRatio: return "rank=D"
            case .initialization: return "init=..."
            case .zeroOutgoing: return "zero-outgoing"
            case .seed: return "seed=N"
            case .parameters: return "parameters=..."
            }
        }
    }

    /// The validated surgery plan this operation is on `network` now: the one plan builder of
    /// schedules, `sculpt surgery` and the dashboard. `defaultSeed` serves when `seed` is nil; an
    /// expansion whose tensors would exceed `memoryLimit` bytes is refused. Throws `ScheduleError`
    /// naming what does not fit (`.invalidField` names the field); the network is not touched.
    ///
    /// Fractions round down with a tolerance of 1e-3 unit (`UnitCount.share`), at least one unit.
    public func plan(for network: Network, defaultSeed: UInt64 = 0,
                     memoryLimit: Double = MemoryBudget.standard.limit) throws -> SurgeryPlan {
        try checkFields()
        let plan = try unvalidatedPlan(for: network, seed: seed ?? defaultSeed)
        do { try plan.validate(on: network, memoryLimit: memoryLimit) } catch let e as SurgeryError {
            if case .tooLarge = e {
                throw ScheduleError.invalidField(description, field: to == nil ? .fraction : .to, reason: "\(e)")
            }
            throw ScheduleError.invalidOperation(description, reason: "\(e)")
        }
        return plan
    }

    /// ZeroExpand's incoming weights and bias: `zero` (the default) is the thesis's Zero Weight
    /// Expansion (Graham 2019, section 3.1.3: zero incoming and outgoing weights, so the new units
    /// get no gradient and stay dead); any initializer name (`pytorch`, `he`, ...) gives random
    /// incoming weights with zero outgoing weights, units that can learn.
    func zeroExpandInitializer() throws -> Initializer {
        let name = initialization ?? "zero"
        if ["zero", "zeros"].contains(name.lowercased()) { return .uniform(low: 0, high: 0) }
        do { return try Initializer.parse(name) } catch {
            throw ScheduleError.invalidField(description, field: .initialization, reason: "\(error)")
        }
    }

    /// Throws for a field the operation does not take.
    func checkFields() throws {
        func bad(_ field: Field, _ reason: String) -> ScheduleError {
            .invalidField(description, field: field, reason: reason)
        }
        if !operation.selectsUnits, units != nil {
            throw bad(.units, "{units} applies to remove, reinit, freeze and unfreeze")
        }
        if !(operation.shrinks || operation.expands), to != nil {
            throw bad(.to, "{to} applies to eigenremove, minweight, random-remove, expand and zero-expand")
        }
        if operation != .eigenremove, rankRatio != nil { throw bad(.rankRatio, "{rankRatio} applies to eigenremove " +
            "only") }
        if operation != .reinit, operation != .zeroExpand, initialization != nil {
            throw bad(.initialization, "{initialization} applies to reinit and zero-expand only")
        }
        if operation != .reinit, zeroOutgoing != nil { throw bad(.zeroOutgoing, "{zeroOutgoing} applies to reinit " +
            "only") }
        if parameters != nil {
            guard operation == .freeze || operation == .unfreeze else {
                throw bad(.parameters, "{parameters} applies to freeze and unfreeze")
            }
            guard layer == nil, units == nil, fraction == nil else {
                throw bad(.parameters, "give {parameters} or {layer} with {units} / {fraction}, not both")
            }
        }
    }

    /// The plan before validation against the network.
    private func unvalidatedPlan(for network: Network, seed: UInt64) throws -> SurgeryPlan {
        let path = try layerPath(in: network)
        func required() throws -> LayerPath {
            guard let path else {
                throw ScheduleError.invalidField(description, field: .layer, reason: "\(operation.rawValue) needs " +
                    "{layer}")
            }
            return path
        }
        func group(_ path: LayerPath) throws -> UnitGroup {
            do { return try UnitGroup(network: network, layer: path) } catch {
                throw ScheduleError.invalidField(description, field: .layer, reason: "\(error)")
            }
        }
        switch operation {
        case .eigenremove, .minweight, .randomRemove:
            let layer = try required()
            let width = try targetWidth(of: try group(layer), shrinking: true)
            switch operation {
            case .eigenremove: return .shrink(layer: layer, to: width, method: try eigenRemoveMethod())
            case .minweight: return .shrink(layer: layer, to: width, method: .minimumWeight)
            default: return .shrink(layer: layer, to: width, method: .random(seed: seed))
            }
        case .expand, .zeroExpand:
            let layer = try required()
            let width = try targetWidth(of: try group(layer), shrinking: false)
            return .expand(layer: layer, to: width, method: operation == .expand
                           ? .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: seed)
                           : .zero(initializer: try zeroExpandInitializer(), seed: seed))
        case .remove:
            let layer = try required()
            return .remove(layer: layer, units: try selectedUnits(of: try group(layer)))
        case .reinit:
            let layer = try required()
            let name = initialization ?? "uniform"
            guard let scheme = ReinitializationScheme(parsing: name) else {
                throw ScheduleError.invalidField(description, field: .initialization, reason:
                    "'\(name)': expected uniform, he, glorot, layer-range, fitted-normal, uniform:A:B or normal:M:S")
            }
            return .reinitialize(layer: layer, units: try selectedUnits(of: try group(layer)), scheme: scheme,
                                 zeroOutgoing: zeroOutgoing ?? false, seed: seed)
        case .freeze, .unfreeze:
            let target: FreezeTarget
            if let parameters { target = .parameters(parameters) } else {
                let layer = try required()
                target = units == nil && fraction == nil
                    ? .layers([layer]) : .units(layer: layer, units: try selectedUnits(of: try group(layer)))
            }
            return operation == .freeze ? .freeze(target) : .unfreeze(target)
        case .foldBatchNorm, .collapse:
            if fraction != nil {
                throw ScheduleError.invalidField(description, field: .fraction, reason: "\(operation.rawValue) takes " +
                    "no amount")
            }
            return operation == .foldBatchNorm ? .foldBatchNorm(layer: path) : .collapse(layer: path)
        }
    }

    /// EigenRemove with the operation's rank ratio (required, in (0, 1]).
    private func eigenRemoveMethod() throws -> ShrinkMethod {
        guard let rankRatio else {
            throw ScheduleError.invalidField(
                description, field: .rankRatio,
                reason: "eigenremove needs {rankRatio}, the rank ratio in (0, 1] (the thesis used 1/8 while training)")
        }
        guard rankRatio > 0, rankRatio <= 1 else {
            throw ScheduleError.invalidField(description, field: .rankRatio,
                                             reason: "\(JSONValue.numberText(rankRatio)) must lie in (0, 1]")
        }
        return .eigenRemove(rankRatio: rankRatio, keptWeights: .reduced)
    }

    /// The width after a shrink (`to`, or `fraction` of the units kept) or an expansion (`to`,
    /// or `fraction` of the units added); at least one unit kept or added.
    func targetWidth(of group: UnitGroup, shrinking: Bool) throws -> Int {
        func bad(_ field: Field, _ reason: String) -> ScheduleError {
            .invalidField(description, field: field, reason: reason)
        }
        switch (to, fraction) {
        case (let n?, nil):
            guard n <= SizeLimits.maxDimension else {
                throw bad(.to, "{to} \(n) exceeds the largest layer width, \(SizeLimits.maxDimension)")
            }
            return n
        case (nil, let f?):
            let text = JSONValue.numberText(f)
            if shrinking {
                guard f > 0, f < 1 else { throw bad(.fraction, "the fraction of units to keep must lie in (0, 1), " +
                                                               "got \(text)") }
                return Swift.max(1, UnitCount.share(f, of: group.count))
            }
            guard f > 0, f.isFinite else { throw bad(.fraction, "the fraction of units to add must be positive, got " +
                                                                "\(text)") }
            guard f * Double(group.count) <= Double(SizeLimits.maxDimension) else {
                throw bad(.fraction, "adding \(text) of \(group.count) units exceeds the largest layer width, "
                          + "\(SizeLimits.maxDimension)")
            }
            return group.count + Swift.max(1, UnitCount.share(f, of: group.count))
        case (nil, nil): throw bad(.to, "\(operation.rawValue) needs {to} or {fraction}")
        case (_?, _?): throw bad(.to, "give {to} or {fraction}, not both")
        }
    }

    /// `units` as given, or the `fraction` of units with the smallest incoming L2 norms (at least one).
    func selectedUnits(of group: UnitGroup) throws -> [Int] {
        func bad(_ field: Field, _ reason: String) -> ScheduleError {
            .invalidField(description, field: field, reason: reason)
        }
        switch (units, fraction) {
        case (let list?, nil): return list
        case (nil, let f?):
            guard f > 0, f < 1 else {
                throw bad(.fraction, "the fraction of units must lie in (0, 1), got \(JSONValue.numberText(f))")
            }
            let count = Swift.max(1, UnitCount.share(f, of: group.count))
            return UnitWeightNorms.smallestIncoming(count, of: group)
        case (nil, nil): throw bad(.units, "\(operation.rawValue) needs {units} or {fraction}")
        case (_?, _?): throw bad(.units, "give {units} or {fraction}, not both")
        }
    }
}

/// Unit counts from fractions.
public enum UnitCount {
    /// floor(fraction x width), tolerant of a fraction written with few digits (2/3 as 0.6667
    /// of 24 gives 16, not 15).
    public static func share(_ fraction: Double, of width: Int) -> Int {
        Int((fraction * Double(width) + 1e-3).rounded(.down))
    }
}

/// One scheduled operation: applied after `epoch` epochs have finished (0 = before training).
public struct ScheduleEntry: Codable, Equatable, Sendable, CustomStringConvertible {
    public var epoch: Int
    public var operation: ScheduleOperation

    public init(epoch: Int, operation: ScheduleOperation) {
        self.epoch = epoch
        self.operation = operation
    }

    /// Parses `EPOCH:OP[:LAYER][:AMOUNT][:KEY=VALUE]...` (see `ScheduleOperation(parsing:)`).
    public init(parsing text: String) throws {
        guard let colon = text.firstIndex(of: ":"), let epoch = Int(text[..<colon].trimmed), epoch >= 0 else {
            throw ScheduleError.invalidText(text, reason: "expected EPOCH:OP[:LAYER][:AMOUNT][:KEY=VALUE]... with " +
                                                          "EPOCH an integer >= 0, e.g. " +
                                                          "5:eigenremove:conv10:0.75:rank=0.125")
        }
        self.init(epoch: epoch, operation: try ScheduleOperation(parsing: String(text[text.index(after: colon)...])))
    }

    public var description: String { "\(epoch):\(operation)" }

    private enum CodingKeys: String, CodingKey { case epoch }

    /// Reads `{"epoch": 5, "operation": "eigenremove", "layer": "conv10", "fraction": 0.75, "rankRatio": 0.125}`.
    public init(from decoder: Decoder) throws {
        epoch = try decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .epoch)
        operation = try ScheduleOperation(from: decoder)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try operation.encode(to: encoder)
    }
}

/// Operations applied to layers at given epochs while a network trains.
public struct TrainingSchedule: Codable, Equatable, Sendable {
    /// The entries, in the order they were given; entries of one epoch run in this order.
    public var entries: [ScheduleEntry]

    public init(_ entries: [ScheduleEntry] = []) { self.entries = entries }

    /// Entry indices in the order they run: by epoch, then as given.
    public var executionOrder: [Int] {
        entries.indices.sorted { (entries[$0].epoch, $0) < (entries[$1].epoch, $1) }
    }

    /// Reads a schedule file: a JSON object `{"entries": [...]}` or a bare array of entries, each
    /// an object with `epoch`, `operation` and the `ScheduleOperation` keys, or a text line as
    /// `ScheduleEntry(parsing:)` reads. Unknown keys are errors.
    public init(json bytes: [UInt8], file: String) throws {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch { throw ScheduleError.invalidFile(file,
            reason: "not valid JSON: \(error)") }
        var items: [JSONValue]
        switch document {
        case .array(let a): items = a
        case .object(let o):
            guard Set(o.keys).isSubset(of: ["entries", "description"]), case .array(let a)? = o["entries"] else {
                throw ScheduleError.invalidFile(file, reason: "expected {\"entries\": [...]} (and optionally " +
                                                              "\"description\") or an array of entries")
            }
            items = a
        default: throw ScheduleError.invalidFile(file, reason: "expected an object or an array, found " +
                                                               "\(document.typeName)")
        }
        let known: Set<String> = ["epoch", "operation", "layer", "fraction", "to", "units", "rankRatio",
                                  "initialization",
                                  "zeroOutgoing", "seed", "parameters"]
        entries = try items.enumerated().map { i, item in
            if case .string(let text) = item {
                do { return try ScheduleEntry(parsing: text) } catch { throw ScheduleError.invalidFile(file,
                    reason: "entries[\(i)]: \(error)") }
            }
            guard case .object(let o) = item else { throw ScheduleError.invalidFile(file, reason: "entries[\(i)]: " +
                "expected an object or a text entry, found \(item.typeName)") }
            if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
                throw ScheduleError.invalidFile(file,
                                                reason: "entries[\(i)].\(unknown): unknown key (expected one of: "
                                                    + known.sorted().joined(separator: ", ") + ")")
            }
            do {
                return try JSONDecoder().decode(ScheduleEntry.self, from: try JSONEncoder().encode(item))
            } catch {
                throw ScheduleError.invalidFile(file, reason: "entries[\(i)]: \(Self.decodingReason(error)) (needs " +
                                                              "epoch, operation, and the operation's keys)")
            }
        }
    }

    private static func decodingReason(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key \(key.stringValue)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return (c.codingPath.last.map { "\($0.stringValue): " } ?? "") + c.debugDescription
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        default: return "\(error)"
        }
    }

    /// Checks the whole schedule against the network as it will evolve: every entry is resolved
    /// and applied, in execution order, to a structural copy of `network` (the operations that
    /// remove layers shift later paths, so a later entry may name a layer that no longer exists).
    /// Entries at epochs `<= appliedThrough` are taken as done; an epoch past `epochs` is an
    /// error. Throws `ScheduleError.invalidEntry` for the first entry that does not fit; `network`
    /// is never changed.
    @discardableResult
    public func validate(against network: Network, epochs: Int,
                         appliedThrough: Int = -1) throws -> [SchedulePreviewStep] {
        let copy = try network.copied()
        var steps: [SchedulePreviewStep] = []
        for i in executionOrder where entries[i].epoch > appliedThrough {
            let entry = entries[i]
            func fail(_ reason: String) -> ScheduleError { .invalidEntry(index: i, text: entry.description,
                reason: reason) }
            guard entry.epoch <= epochs else {
                throw fail("epoch \(entry.epoch) comes after the run's last epoch \(epochs)")
            }
            do {
                let path = try entry.operation.layerPath(in: copy)
                func width() -> Int? { path.flatMap { try? UnitGroup(network: copy, layer: $0).count } }
                let before = width(), parameters = copy.parameterCount
                let plan = try entry.operation.plan(for: copy, defaultSeed: 0)
                try plan.apply(to: copy)
                steps.append(SchedulePreviewStep(entry: i, epoch: entry.epoch, text: entry.operation.description,
                                                 plan: plan,
                                                 widthBefore: before, widthAfter: width(),
                                                 parametersBefore: parameters, parametersAfter: copy.parameterCount))
            } catch let e as ScheduleError {
                throw fail(e.reason)
            } catch {
                throw fail("\(error)")
            }
        }
        return steps
    }
}

/// One entry as validation resolved it on the network as it will be at that point.
public struct SchedulePreviewStep: Codable, Equatable, Sendable {
    public var entry: Int
    public var epoch: Int
    public var text: String
    /// The plan on the validation copy (unit choices that depend on weights may differ in the run).
    public var plan: SurgeryPlan
    public var widthBefore: Int?
    public var widthAfter: Int?
    public var parametersBefore: Int
    public var parametersAfter: Int
}

/// A typed error of schedules: the entry, the text and the reason.
public enum ScheduleError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidText(String, reason: String)
    case invalidFile(String, reason: String)
    case unknownLayer(String, reason: String)
    case invalidOperation(String, reason: String)
    /// One field of the operation `text` is wrong; `reason` names fields as `{field}` placeholders
    /// (`{to}`, `{fraction}`), spelled by `reason(naming:)` (a schedule's `to=N`, a CLI's `--to`).
    case invalidField(String, field: ScheduleOperation.Field, reason: String)
    case invalidEntry(index: Int, text: String, reason: String)
    case cannotResume(String)
    case invalidConfiguration(String)

    /// The reason alone, with fields spelled as a schedule writes them.
    public var reason: String { reason(naming: \.scheduleName) }

    /// The reason with each `{field}` placeholder spelled by `name` (a CLI passes its flags).
    public func reason(naming name: (ScheduleOperation.Field) -> String) -> String {
        switch self {
        case .invalidField(_, _, let r):
            var text = r
            for field in ScheduleOperation.Field.allCases {
                text = text.replacing("{\(field.rawValue)}", with: name(field))
            }
            return text
        case .invalidText(_, let r), .invalidFile(_, let r), .invalidOperation(_, let r), .invalidEntry(_, _,
            let r): return r
        case .unknownLayer(let layer, let r): return "layer \(layer): \(r)"
        case .cannotResume(let r), .invalidConfiguration(let r): return r
        }
    }

    public var description: String {
        switch self {
        case .invalidText(let text, let r): return "'\(text)': \(r)"
        case .invalidFile(let file, let r): return "\(file): \(r)"
        case .unknownLayer(let layer, let r): return "layer \(layer): \(r)"
        case .invalidOperation(let text, let r): return "\(text): \(r)"
        case .invalidField(let text, _, _): return "\(text): \(reason)"
        case .invalidEntry(let i, let text, let r): return "schedule entry \(i + 1) (\(text)): \(r)"
        case .cannotResume(let r): return "cannot resume: \(r)"
        case .invalidConfiguration(let r): return r
        }
    }

    public var errorDescription: String? { description }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return String(s)
    }
}

extension Substring {
    var trimmed: String { String(self).trimmed }
}
