import Foundation
import Testing
import SculptCore
import SculptData
import SculptIO
import SculptNN
import TestSupport
@testable import SculptRecipes

/// Resuming every recipe through the library's run folders (`RecipeRunFolder`): a run saved
/// part-way and resumed ends where the uninterrupted run ends, and every folder keeps the
/// initial weights.
@Suite struct RecipeRunFolderTests {
    static let lotteryArchitecture = Architecture(inputShape: [6], layers: [
        .dense(inputs: 6, outputs: 12, bias: true), .activation(.relu), .dense(inputs: 12, outputs: 3, bias: true),
    ])

    static func lotterySettings(rounds: Int) -> LotteryTicketSettings {
        var c = LotteryTicketConfiguration()
        c.rounds = rounds
        c.rate = 0.5
        c.epochs = 1
        c.batchSize = 16
        c.optimizer = .adam(learningRate: 0.01)
        return LotteryTicketSettings(model: "test", data: "test", configuration: c)
    }

    @Test func lotterySearchResumesFromItsFolder() throws {
        BLAS.setThreads(1)
        let folder = TemporaryDirectory("lottery-run")
        defer { folder.remove() }
        let train = CheapEnsembleTests.data(64, seed: 1), test = CheapEnsembleTests.data(32, seed: 2)
        let settings = Self.lotterySettings(rounds: 2)
        let whole = try LotteryTicketSearch(configuration: settings.configuration)
            .run(architecture: Self.lotteryArchitecture, train: train, test: test, seed: 5)

        // Interrupted after round 1: the folder holds what the library needs to go on.
        let state = LotteryTicketRunState(settings: Self.lotterySettings(rounds: 1), seed: 5)
        var first = LotteryTicketSearch(configuration: state.configuration)
        first.afterRound = { try state.save($0, architecture: Self.lotteryArchitecture, to: folder.path) }
        _ = try first.run(architecture: Self.lotteryArchitecture, train: train, test: test, seed: 5)
        #expect(FileManager.default.fileExists(atPath: folder.file(InitialWeights.file)))

        var (saved, progress) = try LotteryTicketRunState.load(from: folder.path)
        #expect(saved.settings == Self.lotterySettings(rounds: 1) && saved.seed == 5 && progress.rounds.count == 2)
        saved.configuration.rounds = 2
        let resumed = try LotteryTicketSearch(configuration: saved.configuration)
            .run(architecture: Self.lotteryArchitecture, train: train, test: test, seed: saved.seed,
                 resumingFrom: progress)
        #expect(resumed.rounds.map(\.testAccuracy) == whole.rounds.map(\.testAccuracy))
        #expect(resumed.rounds.map(\.controlLoss) == whole.rounds.map(\.controlLoss))
        #expect(resumed.mask == whole.mask)
    }

    @Test func aFolderOfAnotherRecipeIsRefusedByName() throws {
        let folder = TemporaryDirectory("not-lottery")
        defer { folder.remove() }
        try Checkpoint(network: try CheapEnsembleTests.net()).save(to: folder.path)
        #expect(throws: RecipeRunError.notARun(folder: folder.path, recipe: "lottery", file: "lottery.json")) {
            _ = try LotteryTicketRunState.load(from: folder.path)
        }
        #expect(try PartialTrainingRunState.load(from: folder.path) == nil)
        #expect(try CheapEnsembleRunState.load(from: folder.path, network: try CheapEnsembleTests.net()) == nil)
    }

    @Test func partialTrainingResumesFromItsFolder() throws {
        BLAS.setThreads(1)
        let folder = TemporaryDirectory("partial-run")
        defer { folder.remove() }
        let train = CheapEnsembleTests.data(64, seed: 3), test = CheapEnsembleTests.data(32, seed: 4)
        let plan = try PartialTrainingPlan(mode: "filters:0.5", denseLayers: "split")
        let source = PartialTrainingSource(model: "test", data: "test")
        func fresh(epochs: Int) throws -> (PartialTrainingRunState, TrainingRun) {
            let network = try CheapEnsembleTests.net()
            let summary = try PartialTraining.apply(plan, to: network)
            let state = PartialTrainingRunState(source: source, summary: summary,
                                                settings: PartialTrainingSettings(epochs: epochs, batchSize: 16))
            return (state, try TrainingRun(network: network, configuration: state.trainingConfiguration(seed: 1),
                                           rng: RandomSource(seed: 1)))
        }
        let (wholeState, wholeRun) = try fresh(epochs: 2)
        let whole = try wholeState.train(wholeRun, train: train, test: test, folder: nil)

        let (firstState, firstRun) = try fresh(epochs: 1)
        var epochs: [Int] = []
        _ = try firstState.train(firstRun, train: train, test: test, folder: folder.path) { epochs.append($0.epoch) }
        #expect(epochs == [1])
        #expect(FileManager.default.fileExists(atPath: folder.file(InitialWeights.file)))
        var (state, run) = try #require(try PartialTrainingRunState.load(from: folder.path))
        #expect(state.source == source && run.completedEpochs == 1)
        // The keys of partial.json stay those the folders written before had (they still resume).
        let stateBytes = try Data(contentsOf: URL(fileURLWithPath: folder.file(PartialTrainingRunState.file)))
        let keys = try #require(try JSONSerialization.jsonObject(with: stateBytes) as? [String: Any])
        #expect(Set(keys.keys) == ["model", "data", "width", "trainLimit", "testLimit", "summary", "settings"])
        state.settings.epochs = 2
        let resumed = try state.train(run, train: train, test: test, folder: folder.path)
        #expect(resumed.testAccuracy == whole.testAccuracy && resumed.trainLoss == whole.trainLoss)
        #expect(run.network.snapshot().map(\.scalars) == wholeRun.network.snapshot().map(\.scalars))
    }

    @Test func cheapEnsembleResumesFromItsFolderWithARunLogOfEveryEpoch() throws {
        BLAS.setThreads(1)
        let folder = TemporaryDirectory("ensemble-run")
        defer { folder.remove() }
        let train = CheapEnsembleTests.data(64, seed: 5), test = CheapEnsembleTests.data(32, seed: 6)
        let ensemble = CheapEnsembleRunState.Ensemble(mode: "filters:0.5", rest: "fixed", selection: "leading",
                                                      freezeBatchNorm: false, seed: 2, members: 2, baseEpochs: 1,
                                                      settings: PartialTrainingSettings(epochs: 1, batchSize: 16),
                                                      denseLayers: "split")
        let source = PartialTrainingSource(model: "test", data: "test")
        let state = CheapEnsembleRunState(source: source, ensemble: ensemble)
        let configuration = try state.configuration()
        var rng = RandomSource(seed: 2)
        let whole = try CheapEnsemble.run(configuration, network: try CheapEnsembleTests.net(), train: train,
                                          test: test,
                                          rng: &rng)

        var one = state
        one.members = 1
        let network = try CheapEnsembleTests.net()
        let initial = InitialWeights(of: network)
        var series: [String] = []
        rng = RandomSource(seed: 2)
        _ = try CheapEnsemble.run(try one.configuration(), network: network, train: train, test: test, rng: &rng,
                                  epochDone: { name, _ in series.append(name) },
                                  afterStep: { try one.save($0, network: network, initialWeights: initial,
                                                            to: folder.path) })
        #expect(series == ["base", "member 1"])
        let checkpoint = try Checkpoint.load(from: folder.path)
        #expect(checkpoint.initialWeights?.tensors.map(\.tensor.scalars) == initial.tensors.map(\.tensor.scalars))
        var (saved, progress) = try #require(try CheapEnsembleRunState.load(from: folder.path,
                                                                            network: checkpoint.network))
        #expect(progress.members.count == 1)
        // The state's keys stay at the top level of ensemble.json, as folders written before had them.
        let stateBytes = try Data(contentsOf: URL(fileURLWithPath: folder.file(CheapEnsembleRunState.stateFile)))
        let keys = try #require(try JSONSerialization.jsonObject(with: stateBytes) as? [String: Any])
        #expect(Set(keys.keys) == ["model", "data", "width", "trainLimit", "testLimit", "mode", "rest", "selection",
                                   "freezeBatchNorm", "seed", "members", "baseEpochs", "settings", "baseAccuracy",
                                   "random", "learnedParametersPerMember", "trainedMembers", "denseLayers"])
        saved.members = 2
        var resumeRNG = progress.random
        let resumed = try CheapEnsemble.run(try saved.configuration(), network: checkpoint.network, train: train,
                                            test: test, rng: &resumeRNG, resumingFrom: progress)
        #expect(resumed.memberAccuracies == whole.memberAccuracies)
        #expect(resumed.ensembleAccuracy == whole.ensembleAccuracy)
    }

    @Test func paintingKeepsItsInitialWeightsOrSaysWhyNot() throws {
        let plain = PaintingJob(shape: .square, size: 8, hidden: 3, epochs: 5, seed: 3)
        let kept = try plain.train(on: try plain.makePainting())
        var rng = RandomSource(seed: 3)
        let start = try Network(plain.architecture, initializer: plain.initializer, rng: &rng)
        #expect(kept.initialWeights.droppedReason == nil)
        #expect(kept.initialWeights.tensors.map(\.tensor.scalars) == start.parameters.map(\.value.scalars))

        let linear = PaintingJob(shape: .square, size: 8, hidden: 3, linear: [3], epochs: 5, seed: 3)
        let dropped = try linear.train(on: try linear.makePainting())
        #expect(dropped.initialWeights.tensors.isEmpty)
        #expect(dropped.initialWeights.droppedReason?.contains("linear layers collapsed") == true)
    }
}

@Test(
    "an ensemble folder written before the Dense rule existed (no denseLayers key) resumes with hidden Dense layers split"
)
func ensembleFolderWithoutDenseRuleSplitsDenseLayers() throws {
    let json = #"""
        {"mode": "filters:0.5", "rest": "fixed", "selection": "leading", "freezeBatchNorm": false, "seed": 2,
         "members": 2, "baseEpochs": 1, "settings": {"epochs": 1, "batchSize": 16, "learningRate": 0.01,
         "momentum": 0.9, "weightDecay": 0.0005}}
        """#
    let old = try JSONDecoder().decode(CheapEnsembleRunState.Ensemble.self, from: Data(json.utf8))
    #expect(old.denseLayers == nil)
    let state = CheapEnsembleRunState(source: PartialTrainingSource(model: "test", data: "test"), ensemble: old)
    #expect(try state.configuration().plan.denseLayers == .split)
}
