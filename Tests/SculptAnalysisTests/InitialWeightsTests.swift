import SculptCore
import SculptData
import SculptIO
import SculptRecipes
import SculptNN
import SculptSurgery
import TestSupport
import Testing

@testable import SculptAnalysis

@Suite struct InitialWeightsTests {
    func run(seed: UInt64 = 1) throws -> (TrainingRun, TensorDataset) {
        let (network, data) = try smallNetworkAndData(seed: seed)
        let configuration = TrainingConfiguration(
            optimizer: .sgd(
                learningRate: 0.5, momentum: 0.9, dampening: 0, weightDecay: 0,
                nesterov: false), batchSize: 16)
        return (try TrainingRun(network: network, configuration: configuration, rng: RandomSource(seed: 3)), data)
    }

    @Test func aRunSavesTheWeightsFromBeforeItsFirstStepAndResumesWithThem() throws {
        let (run, data) = try run()
        let before = run.network.namedParameters.map { $0.parameter.value.copy() }
        try run.runEpoch(train: data)
        let dir = TemporaryDirectory("init-weights")
        defer { dir.remove() }
        try run.checkpoint().save(to: dir.path)
        #expect(directoryEntries(dir.path).contains(InitialWeights.file))
        let loaded = try Checkpoint.load(from: dir.path)
        let initial = try #require(loaded.initialWeights)
        #expect(initial.tensors.map(\.tensor) == before)
        #expect(loaded.network.namedParameters[0].parameter.value != before[0])  // it trained
        // Resumed and saved again: still the same initial weights.
        let resumed = try TrainingRun(resuming: loaded)
        try resumed.runEpoch(train: data)
        try resumed.checkpoint().save(to: dir.path)
        #expect(try Checkpoint.load(from: dir.path).initialWeights?.tensors.map(\.tensor) == before)
    }

    @Test func removalKeepsTheSurvivorsInitialValuesAndCollapseDropsThemWithAReason() throws {
        let (run, data) = try run()
        try run.runEpoch(train: data)
        let initial = try #require(run.initialWeights)
        var history: [HistoryRecord] = []
        var carried: InitialWeights? = initial
        try SurgeryPlan.remove(layer: LayerPath(0), units: [1, 4]).apply(
            to: run.network, history: &history, initialWeights: &carried)
        let aligned = try #require(carried)
        #expect(aligned.droppedReason == nil && aligned.mismatch(with: run.network) == nil)
        let w0 = initial["layers.0.weight"]!
        let kept = [0, 2, 3, 5]
        for (row, unit) in kept.enumerated() {
            for j in 0..<4 { #expect(aligned["layers.0.weight"]!.data[row * 4 + j] == w0.data[unit * 4 + j]) }
            #expect(aligned["layers.2.weight"]!.data[0 * 4 + row] == initial["layers.2.weight"]!.data[0 * 6 + unit])
        }
        // The shrink keeps the units it selects on the trained weights.
        try SurgeryPlan.shrink(layer: LayerPath(0), to: 3, method: .minimumWeight)
            .apply(to: run.network, history: &history, initialWeights: &carried)
        #expect(carried?.mismatch(with: run.network) == nil && carried?.droppedReason == nil)
        // An expansion has no initial value for its new units: dropped, and saved as init.json.
        try SurgeryPlan.expand(layer: LayerPath(0), to: 5, method: .zero(initializer: .pytorchDefault, seed: 1))
            .apply(to: run.network, history: &history, initialWeights: &carried)
        #expect(carried?.droppedReason?.contains("zero-expand") == true)
        let dir = TemporaryDirectory("init-dropped")
        defer { dir.remove() }
        try Checkpoint(network: run.network, history: history, initialWeights: carried).save(to: dir.path)
        #expect(directoryEntries(dir.path).contains(InitialWeights.droppedFile))
        #expect(try Checkpoint.load(from: dir.path).initialWeights?.droppedReason == carried?.droppedReason)
    }

    @Test func surgeryWithoutRealignmentDropsTheWeightsInsteadOfSavingAMismatch() throws {
        let (run, _) = try run()
        try SurgeryPlan.remove(layer: LayerPath(0), units: [0]).apply(to: run.network)
        let reason = try #require(run.checkpoint().initialWeights?.droppedReason)
        #expect(reason.contains("layers.0.weight"))
    }

    @Test func aCorruptInitFileIsRefusedByTensorAndShape() throws {
        let (run, _) = try run()
        let dir = TemporaryDirectory("init-corrupt")
        defer { dir.remove() }
        try run.checkpoint().save(to: dir.path)
        let wrong = run.network.namedParameters.map {
            ($0.name, $0.name == "layers.2.bias" ? Tensor(zeros: [4]) : $0.parameter.value)
        }
        try Safetensors(tensors: wrong).write(to: dir.file(InitialWeights.file))
        #expect(throws: CheckpointError.self) { try Checkpoint.load(from: dir.path) }
    }

    @Test func scheduledSurgeryKeepsTheInitialWeightsAligned() throws {
        let (run, data) = try run()
        let before = try #require(run.initialWeights)
        let schedule = TrainingSchedule([
            ScheduleEntry(
                epoch: 1, operation: ScheduleOperation(operation: .minweight, layer: "layers.0", fraction: 0.5))
        ])
        let scheduled = try ScheduledTraining(run: run, schedule: schedule, epochs: 2, probe: data)
        try scheduled.train(data)
        let after = try #require(run.initialWeights)
        #expect(after.droppedReason == nil && after.mismatch(with: run.network) == nil)
        #expect(run.network.namedParameters[0].parameter.value.shape == [3, 4])
        // Each surviving row is one of the original initial rows.
        let w0 = before["layers.0.weight"]!, kept = after["layers.0.weight"]!
        for row in 0..<3 {
            let values = (0..<4).map { kept.data[row * 4 + $0] }
            #expect((0..<6).contains { u in (0..<4).map { w0.data[u * 4 + $0] } == values })
        }
    }
}
