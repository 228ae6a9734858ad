import Foundation
import Testing
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery
import TestSupport
@testable import SculptRecipes

/// conv(1->4, 3x3, pad 1) - ReLU - pool 2 - conv(4->6) - ReLU - pool 2 - flatten - dense(24 -> 3) on 1x8x8 images.
private let tinyCNN = Architecture(inputShape: [1, 8, 8], layers: [
    .conv2d(inputs: 1, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
    .maxPool2d(kernel: 2, stride: 2, padding: 0),
    .conv2d(inputs: 4, outputs: 6, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
    .maxPool2d(kernel: 2, stride: 2, padding: 0),
    .flatten, .dense(inputs: 24, outputs: 3, bias: true),
])

private func tinyConfiguration() -> PartialRestartConfiguration {
    var c = PartialRestartConfiguration()
    c.restarts = 2
    c.useless = .count(1)
    c.epochsHigh = 1
    c.epochsLow = 1
    c.restartEpochsHigh = 1
    c.restartEpochsLow = 1
    c.learningRate = 0.05
    c.lowLearningRate = 0.01
    c.batchSize = 16
    c.measureSamples = 32
    c.stopWhenUnchanged = false
    return c
}

@Test("the useless filters are each layer's lowest Taylor scores; silent filters first, ties to the lower index")
func uselessFiltersAreTheLowestScores() throws {
    var rng = RandomSource(seed: 3)
    let network = try Network(tinyCNN, rng: &rng)
    let conv = network.layers[0] as! Conv2D
    for f in [0, 2] {  // filters 0 and 2 output nothing: Taylor score 0
        for j in 0..<9 { conv.weight.value.data[f * 9 + j] = 0 }
        conv.bias!.value.data[f] = 0
    }
    let data = brightThirdImages(40, seed: 1)
    var c = tinyConfiguration()
    let recipe = PartialRestart(configuration: c)
    let layers = try recipe.check(network)
    #expect(layers == [LayerPath(0), LayerPath(3)])
    let one = try recipe.uselessFilters(of: network, layers: layers, data: data)
    #expect(one[0].filters == [0] && one[0].scores == [0])
    c.useless = .count(2)
    let two = try PartialRestart(configuration: c).uselessFilters(of: network, layers: layers, data: data)
    #expect(two[0].filters == [0, 2])
    // The second layer: exactly the two lowest of the measured scores.
    let group = try UnitGroup(network: network, layer: 3)
    let scores = try UnitActivity.measure(network: network, group: group, data: data,
                                          loss: SoftmaxCrossEntropy()).map(\.taylorNormalized)
    let expected = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
        .prefix(2).sorted()
    #expect(two[1].filters == Array(expected) && two[1].layer == "layers.3")
    #expect(UselessFilterRule.fraction(0.1).selectedCount(width: 4) == 1)
    #expect(UselessFilterRule.fraction(0.5).selectedCount(width: 6) == 3)
    #expect(UselessFilterRule.fraction(1).selectedCount(width: 6) == 6)
}

@Test("a reset changes only the selected filters (and, by mode, their outgoing weights)")
func resetTouchesOnlySelectedFilters() throws {
    for outgoing in PartialRestartOutgoing.allCases {
        var rng = RandomSource(seed: 5)
        let network = try Network(tinyCNN, rng: &rng)
        let before = network.namedParameters.map { ($0.name, $0.parameter.value.scalars) }
        var c = tinyConfiguration()
        c.outgoing = outgoing
        c.reset = .uniform
        let useless = [UselessFilters(layer: "layers.3", filters: [1, 4], scores: [0, 0], layerMeanScore: 0)]
        var draws = RandomSource(seed: 9)
        try PartialRestart(configuration: c).reset(useless, of: network, rng: &draws)
        let after = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.name,
            $0.parameter.value.scalars) })
        for (name, old) in before {
            let new = after[name]!
            switch name {
            case "layers.3.weight":  // [6, 4, 3, 3]: filters 1 and 4 redrawn in U(-0.05, 0.05)
                for f in 0..<6 {
                    let changed = (0..<36).contains { old[f * 36 + $0] != new[f * 36 + $0] }
                    #expect(changed == (f == 1 || f == 4), "filter \(f)")
                    if f == 1 || f == 4 { #expect((0..<36).allSatisfy { abs(new[f * 36 + $0]) <= 0.05 }) }
                }
            case "layers.3.bias":
                #expect((0..<6).filter { old[$0] != new[$0] }.allSatisfy { $0 == 1 || $0 == 4 })
            case "layers.7.weight":  // [3, 24]: filter u owns columns 4u ..< 4u + 4
                let touched = (0..<24).filter { col in (0..<3).contains { old[$0 * 24 + col] != new[$0 * 24 + col] } }
                switch outgoing {
                case .keep: #expect(touched.isEmpty)
                case .zero, .redraw: #expect(Set(touched).isSubset(of: Set(4..<8).union(16..<20)) && !touched.isEmpty)
                }
                if outgoing == .zero {
                    #expect((0..<3).allSatisfy { r in (4..<8).allSatisfy { new[r * 24 + $0] == 0 } })
                }
            default:
                #expect(old == new, "\(name) changed")
            }
        }
    }
}

@Test("a run resumed after round 1 ends with the same numbers and weights as an uninterrupted run")
func resumeEqualsUninterrupted() throws {
    let folder = TemporaryDirectory("partial-restart")
    defer { folder.remove() }
    let train = brightThirdImages(96, seed: 2), test = brightThirdImages(48, seed: 3)
    let c = tinyConfiguration()
    var whole = PartialRestart(configuration: c)
    let copy = folder.file("interrupted")
    whole.roundProgress = { round in
        guard round.round == 1 else { return }  // "crash" after round 1: keep a copy of the folder as it is now
        try? copyTree(folder.file("whole"), to: copy)
    }
    let full = try whole.run(architecture: tinyCNN, train: train, test: test, seed: 11,
                             store: PartialRestartStore(directory: folder.file("whole")))
    #expect(full.result.rounds.count == 3 && full.result.stop == .restarts)
    #expect(PartialRestartStore(directory: folder.file("whole")).finishedRounds() == [2])
    #expect(PartialRestartStore(directory: copy).finishedRounds() == [1])

    var epochs = 0
    var resumer = PartialRestart(configuration: c)
    resumer.epochProgress = { _, _, _ in epochs += 1 }
    let resumed = try resumer.run(architecture: tinyCNN, train: train, test: test, seed: 11,
                                  store: PartialRestartStore(directory: copy), resume: true)
    #expect(resumed.resumedAfterRound == 1)
    #expect(epochs == 4)  // round 2 only: 2 epochs, and 2 for the control
    func numbers(_ r: PartialRestartResult) -> [[Double]] {
        r.rounds.map { [$0.testAccuracy, $0.testLoss, $0.trainingLoss, $0.controlAccuracy ?? -1, $0.controlLoss ?? -1] }
    }
    #expect(numbers(resumed.result) == numbers(full.result))
    #expect(resumed.result.rounds.map(\.useless) == full.result.rounds.map(\.useless))
    #expect(resumed.network.snapshot().map(\.scalars) == full.network.snapshot().map(\.scalars))
    #expect(resumed.control!.snapshot().map(\.scalars) == full.control!.snapshot().map(\.scalars))

    // Every round folder keeps the weights before the base training (a resumed run carries them on).
    let initial = try #require(full.initialWeights)
    for round in [folder.file("whole") + "/round-2", folder.file("whole") + "/round-2-control", copy + "/round-2"] {
        let kept = try #require(try Checkpoint.load(from: round).initialWeights, "\(round)")
        #expect(kept.tensors.map(\.tensor.scalars) == initial.tensors.map(\.tensor.scalars))
    }

    // A finished folder is not silently overwritten, and other flags cannot resume it.
    #expect(throws: PartialRestartError.self) {
        _ = try PartialRestart(configuration: c).run(architecture: tinyCNN, train: train, test: test, seed: 11,
                                                     store: PartialRestartStore(directory: copy))
    }
    #expect(throws: PartialRestartError.self) {
        _ = try PartialRestart(configuration: c).run(architecture: tinyCNN, train: train, test: test, seed: 12,
                                                     store: PartialRestartStore(directory: copy), resume: true)
    }
}

@Test("bad fractions, counts and layers are errors before any training")
func badInputFailsBeforeTraining() throws {
    let train = brightThirdImages(16, seed: 2)
    func attempt(_ change: (inout PartialRestartConfiguration) -> Void) -> PartialRestartError? {
        var c = tinyConfiguration()
        change(&c)
        var recipe = PartialRestart(configuration: c)
        var trained = false
        recipe.epochProgress = { _, _, _ in trained = true }
        do {
            _ = try recipe.run(architecture: tinyCNN, train: train, test: train, seed: 1)
            return nil
        } catch let e as PartialRestartError {
            #expect(!trained)
            return e
        } catch { return nil }
    }
    for f in [0, -0.5, 1.5, .nan] {
        guard case .invalidConfiguration(let why)? = attempt({ $0.useless = .fraction(f) }) else {
            Issue.record("fraction \(f)")
            continue
        }
        #expect(why.contains("(0, 1]"))
    }
    #expect(attempt { $0.useless = .count(5) } == .countTooLarge(layer: "layers.0", count: 5, width: 4))
    #expect(attempt { $0.useless = .count(0) } != nil)
    guard case .unknownLayer? = attempt({ $0.layers = ["layers.12"] }) else { Issue.record("unknown layer"); return }
    // The classifier is a Dense layer.
    guard case .unknownLayer? = attempt({ $0.layers = ["layers.7"] }) else { Issue.record("dense layer"); return }
    guard case .unknownLayer? = attempt({ $0.layers = ["conv1"] }) else { Issue.record("bad path"); return }
    guard case .invalidConfiguration? = attempt({ $0.restarts = -1 }) else { Issue.record("restarts"); return }
}

/// Copies a folder tree (the test's stand-in for a crash: what was on disk at that moment).
private func copyTree(_ source: String, to target: String) throws {
    let fm = FileManager.default
    try? fm.removeItem(atPath: target)
    try fm.copyItem(atPath: source, toPath: target)
}

@Test("with a patience the base trains to convergence on a held-out part: it stops early and keeps its best epoch")
func baseStopsOnTheValidationLoss() throws {
    let train = brightThirdImages(120, seed: 2), test = brightThirdImages(48, seed: 3)
    var c = tinyConfiguration()
    c.restarts = 1
    c.epochsHigh = 40
    c.epochsLow = 0  // one phase, so that the losses below are that phase's
    c.validationFraction = 0.25
    c.patience = 2
    var recipe = PartialRestart(configuration: c)
    var high: [Float] = []
    recipe.epochProgress = { round, control, report in
        guard round == 0, !control else { return }
        high.append(report.validationLoss ?? .nan)
    }
    let outcome = try recipe.run(architecture: tinyCNN, train: train, test: test, seed: 5)
    let base = outcome.result.rounds[0]
    // It stopped before the 40 epochs allowed, `patience` epochs after its best (the first minimum).
    #expect(base.epochs < 40 && base.epochs == high.count)
    let best = try #require(high.indices.min { high[$0] < high[$1] })
    #expect(high.count == best + 1 + c.patience!)
    #expect(high.allSatisfy { $0.isFinite })
    // The held-out part: 30 of the 120 samples, the split `sculpt train --validation-fraction` makes.
    let (part, validation) = try recipe.split(train, seed: 5)
    #expect(part.count == 90 && validation?.count == 30)
    let (t, v) = try DatasetSplit.indices(count: 120, validationFraction: 0.25, seed: 5)
    #expect((part as? IndexedDataset)?.indices == t && (validation as? IndexedDataset)?.indices == v)
    #expect(base.validationAccuracy != nil)

    // The same run again gives the same numbers; a run without patience trains every epoch.
    let again = try PartialRestart(configuration: c).run(architecture: tinyCNN, train: train, test: test, seed: 5)
    #expect(again.result.rounds.map(\.testAccuracy) == outcome.result.rounds.map(\.testAccuracy))
    var fixed = c
    fixed.patience = nil  // and both phases train
    fixed.epochsHigh = 3
    fixed.epochsLow = 1
    let plain = try PartialRestart(configuration: fixed).run(architecture: tinyCNN, train: train, test: test, seed: 5)
    #expect(plain.result.rounds[0].epochs == 4)
}

@Test("patience needs a validation part, and the part is a proper fraction")
func patienceNeedsAValidationPart() throws {
    var c = tinyConfiguration()
    c.patience = 3
    #expect(throws: PartialRestartError.invalidConfiguration("patience stops on the validation loss: it needs a "
                                                             + "validation fraction")) { try c.validate() }
    for f in [0.0, 1, -0.1, .nan, .infinity] {
        c.validationFraction = f
        #expect(throws: PartialRestartError.self, "\(f)") { try c.validate() }
    }
    c.validationFraction = 0.1
    try c.validate()
    c.patience = 0
    #expect(throws: PartialRestartError.self) { try c.validate() }
    // A split that would leave no training sample names the problem.
    c.patience = 1
    c.validationFraction = 0.99
    #expect(throws: PartialRestartError.self) {
        _ = try PartialRestart(configuration: c).split(brightThirdImages(1, seed: 1), seed: 1)
    }
}

@Test("a restart whose fine-tuning diverges is that method's result: the round records it and the run stops, nothing is thrown")
func divergingRestartIsRecorded() throws {
    let train = brightThirdImages(96, seed: 2), test = brightThirdImages(48, seed: 3)
    var c = tinyConfiguration()
    c.control = false  // as the trial's reset branches (the control runs once, apart)
    let base = try PartialRestart(configuration: c).trainBase(architecture: tinyCNN, train: train, test: test, seed: 5)
    var blowUp = c
    blowUp.learningRate = 1e12  // the restart's fine-tuning overflows at once
    var seen: [PartialRestartRound] = []
    var recipe = PartialRestart(configuration: blowUp)
    recipe.roundProgress = { seen.append($0) }
    let folder = TemporaryDirectory("partial-restart-diverged")
    defer { folder.remove() }
    let store = PartialRestartStore(directory: folder.file("minmax"))
    let outcome = try recipe.continueRestarts(base, train: train, test: test, store: store)
    #expect(outcome.result.stop == .diverged)
    #expect(outcome.result.rounds.count == 2)  // the base and the diverged restart; restart 2 never ran
    let round = outcome.result.rounds[1]
    #expect(round.divergence?.hasPrefix("training diverged") == true, "\(round.divergence ?? "nil")")
    #expect(round.testAccuracy >= 0 && round.testAccuracy <= 1)
    #expect(round.epochs == 1)  // it diverged in its first epoch
    #expect(seen.map(\.round) == [1])
    #expect(outcome.result.rounds[0].divergence == nil)
    #expect(!round.testLoss.isFinite)  // NaN weights
    // the store keeps the diverged round (its NaN loss too), so a resumed trial does not run it again
    let saved = try #require(try store.savedOutcome())
    #expect(saved.result.stop == .diverged && saved.result.rounds.count == 2)
    #expect(saved.result.rounds[1].divergence == round.divergence && saved.result.rounds[1].testLoss.isNaN)
    // the base training still throws: a run whose base diverges has no result
    #expect(throws: TrainingError.self) {
        _ = try PartialRestart(configuration: blowUp).trainBase(architecture: tinyCNN, train: train, test: test, seed: 5)
    }
}
