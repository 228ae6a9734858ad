import Testing
import SculptCore
import SculptData
import SculptNN
import SculptSurgery
@testable import SculptRecipes

@Suite struct PaintingOutcomeTests {
    @Test func plainTrainingCollapsesToTheSameFunction() throws {
        let job = PaintingJob(shape: .square, size: 8, hidden: 3, linear: [3, 3, 3], epochs: 40, seed: 5)
        let painting = try job.makePainting()
        let outcome = try job.train(on: painting)
        // The paper's model 3: 9 + 3 * 12 + 4 = 49 parameters trained, 9 + 4 = 13 after the collapse.
        #expect(outcome.parametersTrained == 49)
        #expect(outcome.parametersFinal == 13 && outcome.network.parameterCount == 13)
        #expect(!outcome.network.layers.contains { ($0 as? Activation)?.kind == .identity })
        #expect(outcome.reinitialization == nil && outcome.history?.epochs.count == outcome.epochs)

        // Same seed, uncollapsed: the same function up to float32 rounding.
        let uncollapsed = try job.run(on: painting).network
        let inputs = painting.dataset.inputs
        let a = uncollapsed.predict(inputs), b = outcome.network.predict(inputs)
        for i in 0..<a.count { #expect(abs(a.data[i] - b.data[i]) <= 1e-5) }

        // finalLoss is the collapsed network's full-image MSE, and the assessment is of that network.
        #expect(outcome.finalLoss == outcome.network.evaluate(on: painting.dataset, loss: MeanSquaredError(),
                                                              batchSize: 4096).loss)
        #expect(outcome.assessment == (try PaintingAssessor().assess(network: outcome.network, painting: painting)))
    }

    @Test func reinitializationTakesBatchEpochsAndInitializerFromTheJob() throws {
        let job = PaintingJob(shape: .star(points: 6), size: 10, hidden: 6, linear: [6], epochs: 30, patience: 5,
                              batch: 32, seed: 2,
                              initializer: .heUniform)
        var configuration = ReinitializationConfiguration()
        configuration.reinitializations = 1
        configuration.subtrainingPatience = 3
        configuration.finalPatience = 5
        configuration.collapseAtEnd = false  // overridden: the outcome is always collapsed
        let outcome = try job.train(on: try job.makePainting(), reinitialization: configuration,
                                    assessor: PaintingAssessor(minimalUnits: 6))
        let log = try #require(outcome.reinitialization)
        #expect(log.configuration.batchSize == 32 && log.configuration.maxEpochsPerPhase == 30)
        #expect(log.configuration.initializer == .heUniform && log.configuration.collapseAtEnd)
        #expect(log.rounds.count == 1 && outcome.epochs == log.totalEpochs && outcome.history == nil)
        #expect(outcome.parametersTrained == 18 + 42 + 7)
        #expect(outcome.parametersFinal == outcome.network.parameterCount)
        #expect(outcome.parametersFinal == 4 * log.remainingUnits + 1)
        #expect(outcome.assessment.activeUnits == log.activeUnits)
        #expect(outcome.finalLoss == log.finalLoss)
    }

    @Test func sameSeedSameOutcome() throws {
        let job = PaintingJob(size: 8, hidden: 4, linear: [4], epochs: 30, seed: 11)
        let painting = try job.makePainting()
        var c = ReinitializationConfiguration()
        c.reinitializations = 1
        let first = try job.train(on: painting, reinitialization: c), second = try job.train(on: painting,
            reinitialization: c)
        #expect(first.assessment == second.assessment && first.epochs == second.epochs)
        #expect(first.network.parameters.map { $0.value.scalars } == second.network.parameters.map { $0.value.scalars })
    }
}
