import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptSurgery

/// `sculpt surgery`: one surgery operation on a saved network, recorded in its history.
struct Surgery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply one surgery operation to a saved network and save the result with the operation in its "
            + "history.",
        discussion: """
        Operations: remove (physically remove units), reinit (fresh weights for units; --init, --zero-outgoing), \
        freeze / unfreeze (units with --units or --fraction, a whole layer without them, or --parameters), \
        fold-bn (fold BatchNorm into the preceding conv/dense; all of them without --layer), collapse (fold the \
        identity-activation dense or 1x1 conv at --layer into the next layer; all of them without --layer), \
        eigenremove / minweight / random-remove (shrink to --to N units or keep --fraction of them), expand \
        (WeakExpand) / zero-expand (grow to --to N units or add --fraction of them).

        Layers are paths such as layers.3 or layers.5.body.0 (a bare 3 means layers.3) or counted names such as \
        conv2 / fc1, as in `sculpt schedule`: the plan is built by the same library function as a schedule's. \
        A unit's slices are found across BatchNorms, Flatten and residual additions. --fraction picks the units with \
        the smallest L2 norms of incoming weights for remove/reinit/freeze/unfreeze. Fractions round down with a \
        tolerance of 1e-3 unit, at least one unit. eigenremove needs --rank-ratio; the shrinks select by the L2 norm \
        of the units' outgoing weights over every consumer of the group. The output difference is measured on a \
        probe batch of uniform(-1, 1) inputs. Sizes are bounded by the machine's memory.
        """
    )

    @Argument(help: "A checkpoint folder.")
    var modelDirectory: String
    @Option(help: """
        remove, reinit, freeze, unfreeze, fold-bn, collapse, expand, zero-expand, eigenremove, minweight or \
        random-remove.
        """)
    var op: String
    @Option(help: "The layer, e.g. layers.3, layers.5.body.0 or conv2.")
    var layer: String?
    @Option(help: "Comma-separated unit indices, e.g. 0,4,7.")
    var units: String?
    @Option(help: ArgumentHelp("A fraction of the units: kept (shrinks), added (expansions), or chosen by smallest "
                               + "incoming L2 norm."))
    var fraction: Double?
    @Option(help: "expand, zero-expand, eigenremove, minweight, random-remove: the layer's width afterwards.")
    var to: WholeNumber?
    @Option(help: "eigenremove: the rank ratio in (0, 1].")
    var rankRatio: Double?
    @Option(help: "Comma-separated parameter names for freeze/unfreeze, e.g. layers.0.weight.")
    var parameters: String?
    @Option(name: .customLong("init"),
            help: ArgumentHelp("reinit scheme: uniform (U(-0.05, 0.05), the default), he, glorot, layer-range, "
                               + "fitted-normal, uniform:A:B, ...; zero-expand: zero (the thesis's Zero Weight "
                + "Expansion, the default) or an initializer (pytorch, he, ...) for random incoming weights"))
    var initialization: String?
    @Flag(help: "reinit: zero the units' outgoing weights (a function-preserving restart).")
    var zeroOutgoing = false
    @Option(help: "Seed of the random choices (reinit, random-remove, expand) and of the probe batch.")
    var seed: UInt64 = 0
    @Option(help: "Samples in the probe batch.")
    var probe = WholeNumber(16)
    @Option(help: "Where to save the changed checkpoint.")
    var out: String
    @Flag(help: "Replace a checkpoint already at --out.")
    var overwrite = false
    @Flag(help: "Operate on a checkpoint whose weights hold NaN or infinite values (refused without it).")
    var allowNonfinite = false
    @OptionGroup var memory: MemoryOptions
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): " +
            "\(error)") }
        let network = checkpoint.network
        let nonFinite = network.firstNonFiniteTensor
        if let nonFinite, !allowNonfinite {
            throw UsageError("\(modelDirectory): \(nonFinite) holds NaN or infinite values; "
                             + "pass --allow-nonfinite to operate on it anyway")
        }
        let memoryLimit = try memory.budget().limit
        let plan: SurgeryPlan
        do { plan = try operation().plan(for: network, defaultSeed: seed, memoryLimit: memoryLimit) } catch {
            throw usageError(error)
        }
        try Output.checkCheckpointTarget(out, overwrite: overwrite)
        let probeBatch: SurgeryProbe
        do { probeBatch = try SurgeryProbe(network: network, samples: probe.value, seed: seed,
                                                     memoryLimit: memoryLimit) } catch {
            throw UsageError("--probe \(probe): \(error)")
        }
        let before = Dictionary(network.namedParameters.map { ($0.name, $0.parameter.value.copy()) },
                                uniquingKeysWith: { a, _ in a })
        let parametersBefore = network.parameterCount
        var history = checkpoint.history
        var initialWeights = checkpoint.initialWeights
        do { try plan.apply(to: network, history: &history, initialWeights: &initialWeights) } catch {
            throw UsageError("\(opAndLayer): \(error)")
        }
        let difference = probeBatch.maxAbsDifference(network)
        var changed: [String] = []
        for (name, p) in network.namedParameters where before[name] != p.value {
            changed.append(before[name].map { "\(name) \($0.shape) -> " +
                                              "\(p.value.shape)" } ?? "\(name) (new) \(p.value.shape)")
        }
        let after = Set(network.namedParameters.map(\.name))
        changed += before.keys.filter { !after.contains($0) }.sorted().map { "\($0) (removed)" }
        var saved = checkpoint
        saved.history = history
        saved.initialWeights = initialWeights
        do { try saved.save(to: out) } catch { throw UsageError("--out \(out): \(error)") }
        let result = SurgeryResult(operation: plan.operation, plan: plan, changed: changed,
                                   parametersBefore: parametersBefore,
                                   parametersAfter: network.parameterCount, probeSamples: probe.value,
                                   outputMaxAbsDifference: difference, nonFiniteTensor: nonFinite, out: out)
        if json { try Output.printJSON(result); return }
        if let nonFinite { print("note: \(nonFinite) of \(modelDirectory) holds NaN or infinite values") }
        print("\(plan.operation): parameters \(parametersBefore) -> \(result.parametersAfter); "
              + "output max |difference| on \(probe) probe samples: \(result.outputMaxAbsDifference)")
        for line in changed { print("  changed \(line)") }
        if changed.isEmpty, let nothing = Self.nothingDone(plan) { print("note: \(nothing)") }
        print("saved \(out) (history: \(history.count) operation\(history.count == 1 ? "" : "s"))")
    }

    /// What a whole-network fold that changed no parameter found nothing of (nil for other plans).
    static func nothingDone(_ plan: SurgeryPlan) -> String? {
        switch plan {
        case .foldBatchNorm(nil): return "nothing to fold: no BatchNorm follows a dense or conv2d layer directly"
        case .collapse(nil):
            return "nothing to collapse: no dense layer (or 1x1 conv2d) is followed, over identity activations, "
                + "by a layer it folds into"
        default: return nil
        }
    }

    /// The flags as the operation a schedule entry would hold.
    private func operation() throws -> ScheduleOperation {
        guard let kind = ScheduleOperationKind(rawValue: op) else {
            let names = ScheduleOperationKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw UsageError("--op \(op): expected \(names)")
        }
        let unitList = try units.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let u = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw UsageError("--units \(text): '\(part)' is not an integer")
                }
                return u
            }
        }
        return ScheduleOperation(operation: kind, layer: layer, fraction: fraction, to: to?.value, units: unitList,
                                 rankRatio: rankRatio, initialization: initialization,
                                 zeroOutgoing: zeroOutgoing ? true : nil, seed: nil,
                                 parameters: parameters.map { $0.split(separator: ",").map { String($0) } })
    }

    /// `--op X --layer Y`, the prefix of errors no single flag explains.
    private var opAndLayer: String { "--op \(op)" + (layer.map { " --layer \($0)" } ?? "") }

    /// The plan builder's error as one line naming the flag.
    private func usageError(_ error: Error) -> Error {
        guard let e = error as? ScheduleError else {
            return error is UsageError ? error : UsageError("\(opAndLayer): \(error)")
        }
        switch e {
        case .invalidField(_, let field, _):
            return UsageError("\(flagWithValue(field)): \(e.reason(naming: Self.flag))")
        case .unknownLayer(let name, let reason): return UsageError("--layer \(name): \(reason)")
        default: return UsageError("\(opAndLayer): \(e.reason)")
        }
    }

    /// The flag of each field of an operation.
    static func flag(_ field: ScheduleOperation.Field) -> String {
        switch field {
        case .operation: return "--op"
        case .layer: return "--layer"
        case .fraction: return "--fraction"
        case .to: return "--to"
        case .units: return "--units"
        case .rankRatio: return "--rank-ratio"
        case .initialization: return "--init"
        case .zeroOutgoing: return "--zero-outgoing"
        case .seed: return "--seed"
        case .parameters: return "--parameters"
        }
    }

    /// The field's flag followed by the value given, when there is one.
    private func flagWithValue(_ field: ScheduleOperation.Field) -> String {
        let value: String?
        switch field {
        case .operation: value = op
        case .layer: value = layer
        case .fraction: value = fraction.map { "\($0)" }
        case .to: value = to.map { "\($0)" }
        case .units: value = units
        case .rankRatio: value = rankRatio.map { "\($0)" }
        case .initialization: value = initialization
        case .zeroOutgoing: value = nil
        case .seed: value = "\(seed)"
        case .parameters: value = parameters
        }
        return Self.flag(field) + (value.map { " \($0)" } ?? "")
    }
}

/// A count flag that also takes scientific notation (`1e9`) when it names a whole number, so a
/// huge value reaches the size checks (and their message) instead of failing to parse.
struct WholeNumber: ExpressibleByArgument, CustomStringConvertible {
    var value: Int
    init(_ value: Int) { self.value = value }
    init?(argument: String) {
        if let n = Int(argument) { value = n; return }
        guard let x = Double(argument), x.isFinite, x == x.rounded(), abs(x) < 9.2e18 else { return nil }
        value = Int(x)
    }
    var description: String { "\(value)" }
    var defaultValueDescription: String { description }
}

/// What `sculpt surgery --json` prints.
struct SurgeryResult: Encodable {
    var operation: String
    var plan: SurgeryPlan
    /// Parameters whose values or shapes changed, with shapes before -> after.
    var changed: [String]
    var parametersBefore: Int
    var parametersAfter: Int
    var probeSamples: Int
    var outputMaxAbsDifference: Float
    /// The first tensor of the source checkpoint holding NaN or infinite values (--allow-nonfinite).
    var nonFiniteTensor: String?
    var out: String
}
