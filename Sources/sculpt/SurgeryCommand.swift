import ArgumentParser
import Foundation
import SculptCore
import SculptIO
import SculptNN
import SculptSurgery

/// `sculpt surgery`: one surgery operation on a saved network, recorded in its history.
struct Surgery: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply one surgery operation to a saved network and save the result with the operation in its history.",
        discussion: """
        Operations: remove (physically remove units), reinit (fresh weights for units; --init, --zero-outgoing),
        freeze / unfreeze (units with --units or --fraction, a whole layer without them, or --parameters),
        fold-bn (fold BatchNorm into the preceding conv/dense; all of them without --layer), collapse (fold the
        identity-activation dense or 1x1 conv at --layer into the next layer; all of them without --layer).
        Layers are paths such as layers.3 or layers.5.body.0 (a bare 3 means layers.3). A unit's slices are
        found across BatchNorms, Flatten and residual additions. --fraction picks the units with the smallest
        L2 norms of incoming weights for remove/reinit/freeze; for eigenremove and minweight it is the fraction of units
        to keep, for expand (WeakExpand) and zero-expand the fraction of units to add (or give --to N, the width afterwards).
        eigenremove needs --rank-ratio; both shrinks select by the L2 norm of the units' outgoing weights over every
        consumer of the group. The output difference is measured on a probe batch of uniform(-1, 1) inputs.
        """
    )

    @Argument(help: "A checkpoint folder.")
    var modelDirectory: String
    @Option(help: "remove, reinit, freeze, unfreeze, fold-bn, collapse, expand, zero-expand, eigenremove or minweight.")
    var op: String
    @Option(help: "The layer, e.g. layers.3 or layers.5.body.0.")
    var layer: String?
    @Option(help: "Comma-separated unit indices, e.g. 0,4,7.")
    var units: String?
    @Option(help: "A fraction in (0, 1) of the units: those with the smallest incoming L2 norms.")
    var fraction: Double?
    @Option(help: "expand, zero-expand, eigenremove, minweight: the layer's width afterwards.")
    var to: Int?
    @Option(help: "eigenremove: the rank ratio in (0, 1].")
    var rankRatio: Double?
    @Option(help: "Comma-separated parameter names for freeze/unfreeze, e.g. layers.0.weight.")
    var parameters: String?
    @Option(name: .customLong("init"), help: "reinit scheme: uniform (U(-0.05, 0.05)), he, glorot, layer-range, fitted-normal, uniform:A:B, ...")
    var initialization: String = "uniform"
    @Flag(help: "reinit: zero the units' outgoing weights (a function-preserving restart).")
    var zeroOutgoing = false
    @Option(help: "Seed of the reinit draws and the probe batch.")
    var seed: UInt64 = 0
    @Option(help: "Samples in the probe batch.")
    var probe: Int = 16
    @Option(help: "Where to save the changed checkpoint.")
    var out: String
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        guard probe > 0 else { throw UsageError("--probe \(probe): must be positive") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): \(error)") }
        let network = checkpoint.network
        let plan = try makePlan(network)
        var rng = RandomSource(seed: seed)
        let probeBatch = Tensor.uniform([probe] + network.inputShape, -1, 1, using: &rng)
        let outputsBefore = network.predict(probeBatch)
        let before = Dictionary(network.namedParameters.map { ($0.name, $0.parameter.value.copy()) }, uniquingKeysWith: { a, _ in a })
        let parametersBefore = network.parameterCount
        var history = checkpoint.history
        var initialWeights = checkpoint.initialWeights
        do { try plan.apply(to: network, history: &history, initialWeights: &initialWeights) } catch { throw UsageError("--op \(op)\(layer.map { " --layer \($0)" } ?? ""): \(error)") }
        let outputsAfter = network.predict(probeBatch)
        var changed: [String] = []
        for (name, p) in network.namedParameters where before[name] != p.value {
            changed.append(before[name].map { "\(name) \($0.shape) -> \(p.value.shape)" } ?? "\(name) (new) \(p.value.shape)")
        }
        let after = Set(network.namedParameters.map(\.name))
        changed += before.keys.filter { !after.contains($0) }.sorted().map { "\($0) (removed)" }
        var saved = checkpoint
        saved.history = history
        saved.initialWeights = initialWeights
        do { try saved.save(to: out) } catch { throw UsageError("--out \(out): \(error)") }
        let result = SurgeryResult(operation: plan.operation, plan: plan, changed: changed, parametersBefore: parametersBefore,
                                   parametersAfter: network.parameterCount, probeSamples: probe,
                                   outputMaxAbsDifference: outputsBefore.maxAbsDifference(outputsAfter), out: out)
        if json { try Output.printJSON(result); return }
        print("\(plan.operation): parameters \(parametersBefore) -> \(result.parametersAfter); "
              + "output max |difference| on \(probe) probe samples: \(result.outputMaxAbsDifference)")
        for line in changed { print("  changed \(line)") }
        print("saved \(out) (history: \(history.count) operations)")
    }

    /// The plan the flags describe. Adding an operation is one case here.
    private func makePlan(_ network: Network) throws -> SurgeryPlan {
        let path = try layer.map { text -> LayerPath in
            do { return try LayerPath(parsing: text) } catch { throw UsageError("--layer \(text): \(error)") }
        }
        func requiredLayer() throws -> LayerPath {
            guard let path else { throw UsageError("--op \(op) needs --layer") }
            return path
        }
        switch op {
        case "remove": return .remove(layer: try requiredLayer(), units: try selectedUnits(network, try requiredLayer()))
        case "reinit":
            guard let scheme = ReinitializationScheme(parsing: initialization) else {
                throw UsageError("--init \(initialization): expected uniform, he, glorot, layer-range, fitted-normal, uniform:A:B or normal:M:S")
            }
            return .reinitialize(layer: try requiredLayer(), units: try selectedUnits(network, try requiredLayer()),
                                 scheme: scheme, zeroOutgoing: zeroOutgoing, seed: seed)
        case "freeze": return .freeze(try freezeTarget(network, path))
        case "unfreeze": return .unfreeze(try freezeTarget(network, path))
        case "fold-bn": return .foldBatchNorm(layer: path)
        case "collapse": return .collapse(layer: path)
        case "expand", "zero-expand":
            let layer = try requiredLayer()
            let width = try targetWidth(network, layer, shrinking: false)
            return .expand(layer: layer, to: width, method: op == "expand"
                           ? .weak(order: .meanAbsoluteOutgoing, noiseStandardDeviation: 0, seed: seed)
                           : .zero(initializer: .pytorchDefault, seed: seed))
        case "eigenremove", "minweight":
            let layer = try requiredLayer()
            let width = try targetWidth(network, layer, shrinking: true)
            if op == "minweight" {
                guard rankRatio == nil else { throw UsageError("--rank-ratio: only for --op eigenremove") }
                return .shrink(layer: layer, to: width, method: .minimumWeight)
            }
            guard let rankRatio else { throw UsageError("--op eigenremove needs --rank-ratio (in (0, 1])") }
            guard rankRatio > 0, rankRatio <= 1 else { throw UsageError("--rank-ratio \(rankRatio): must lie in (0, 1]") }
            return .shrink(layer: layer, to: width, method: .eigenRemove(rankRatio: rankRatio, keptWeights: .reduced))
        default:
            throw UsageError("--op \(op): expected remove, reinit, freeze, unfreeze, fold-bn, collapse, expand, zero-expand, eigenremove or minweight")
        }
    }

    /// `--to N`, or from `--fraction f`: the fraction of the current units to keep (shrinks,
    /// f in (0, 1)) or to add (expansions, f > 0), at least one unit either way.
    private func targetWidth(_ network: Network, _ path: LayerPath, shrinking: Bool) throws -> Int {
        if units != nil { throw UsageError("--units: --op \(op) takes --to or --fraction") }
        switch (to, fraction) {
        case (let n?, nil): return n
        case (nil, let f?):
            let group: UnitGroup
            do { group = try UnitGroup(network: network, layer: path) } catch { throw UsageError("--layer \(path): \(error)") }
            if shrinking {
                guard f > 0, f < 1 else { throw UsageError("--fraction \(f): the fraction of units to keep must lie in (0, 1)") }
                return Swift.max(1, Int((f * Double(group.count)).rounded(.down)))
            }
            guard f > 0, f.isFinite else { throw UsageError("--fraction \(f): the fraction of units to add must be positive") }
            return group.count + Swift.max(1, Int((f * Double(group.count)).rounded(.down)))
        case (nil, nil): throw UsageError("--op \(op) needs --to or --fraction")
        case (_?, _?): throw UsageError("--to and --fraction: give one of them")
        }
    }

    private func freezeTarget(_ network: Network, _ path: LayerPath?) throws -> FreezeTarget {
        if let parameters { return .parameters(parameters.split(separator: ",").map { String($0) }) }
        let layer = try path ?? { throw UsageError("--op \(op) needs --layer or --parameters") }()
        if units == nil && fraction == nil { return .layers([layer]) }
        return .units(layer: layer, units: try selectedUnits(network, layer))
    }

    /// `--units` as given, or the `--fraction` of units with the smallest incoming L2 norms.
    private func selectedUnits(_ network: Network, _ path: LayerPath) throws -> [Int] {
        switch (units, fraction) {
        case (let text?, nil):
            return try text.split(separator: ",").map { part in
                guard let u = Int(part.trimmingCharacters(in: .whitespaces)) else { throw UsageError("--units \(text): '\(part)' is not an integer") }
                return u
            }
        case (nil, let f?):
            guard f > 0, f < 1 else { throw UsageError("--fraction \(f): must lie in (0, 1)") }
            let group: UnitGroup
            do { group = try UnitGroup(network: network, layer: path) } catch { throw UsageError("--layer \(path): \(error)") }
            let count = Swift.max(1, Int((f * Double(group.count)).rounded(.down)))
            return UnitWeightNorms.smallestIncoming(count, of: group)
        case (nil, nil): throw UsageError("--op \(op) needs --units or --fraction")
        case (_?, _?): throw UsageError("--units and --fraction: give one of them")
        }
    }
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
    var out: String
}
