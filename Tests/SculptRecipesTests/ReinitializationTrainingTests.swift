import Foundation
import Testing
import SculptCore
import SculptData
import SculptNN
import SculptSurgery
@testable import SculptRecipes

private func starNetwork(width: Int, seed: UInt64) throws -> Network {
    var rng = RandomSource(seed: seed)
    let layers: [LayerSpec] = [.dense(inputs: 2, outputs: width, bias: true), .activation(.relu),
                               .dense(inputs: width, outputs: width, bias: true), .activation(.identity),
                               .dense(inputs: width, outputs: width, bias: true), .activation(.identity),
                               .dense(inputs: width, outputs: 1, bias: true), .activation(.sigmoid)]
    return try Network(Architecture(inputShape: [2], layers: layers), initializer: .glorotUniform, rng: &rng)
}

private func shortConfiguration(reinitializations: Int) -> ReinitializationConfiguration {
    var c = ReinitializationConfiguration()
    c.reinitializations = reinitializations
    c.patience = 3
    c.subtrainingPatience = 2
    c.finalPatience = 3
    c.maxEpochsPerPhase = 8
    c.batchSize = 32
    return c
}

private func run(_ c: ReinitializationConfiguration, seed: UInt64) throws -> (Network, ReinitializationResult,
    TensorDataset) {
    BLAS.setThreads(1)
    let data = try Painting(shape: .star(points: 6), size: 16).dataset
    let net = try starNetwork(width: 8, seed: seed)
    var rng = RandomSource(seed: seed + 100)
    let result = try ReinitializationTraining(configuration: c)
        .run(network: net, data: data, loss: MeanSquaredError(), optimizer: Adam(learningRate: 0.02), rng: &rng)
    return (net, result, data)
}

@Test("a short reinitialization run on the star goes through every step and logs consistently")
func shortRunIsConsistent() throws {
    let c = shortConfiguration(reinitializations: 2)
    let (net, result, data) = try run(c, seed: 1)
    #expect(result.rounds.count == 2)
    #expect(result.parametersTrained == 2 * 8 + 8 + 2 * (8 * 8 + 8) + 8 + 1)
    #expect(result.parametersFinal == net.parameterCount)
    var epochs = result.initialTraining.epochs
    for round in result.rounds {
        for (i, entry) in round.reinitializedUnits.enumerated() {
            #expect(entry.units == Set(round.lowLossUnits[i].units + round.redundantUnits[i].units).sorted())
        }
        let reinitialized = round.reinitializedUnits.contains { !$0.units.isEmpty }
        #expect((round.subtraining != nil) == reinitialized && (round.training != nil) == reinitialized)
        if let sub = round.subtraining {
            #expect(round.reverted == (sub.loss > c.revertThreshold * round.baselineLoss))
            #expect(sub.epochs >= 1 && sub.epochs <= c.maxEpochsPerPhase)
        } else {
            #expect(!round.reverted)
        }
        epochs += (round.subtraining?.epochs ?? 0) + (round.training?.epochs ?? 0)
    }
    let prune = try #require(result.prune)
    let final = try #require(result.finalTraining)
    epochs += final.epochs
    #expect(result.totalEpochs == epochs)
    // Pruned to the remaining units, collapsed to 2 -> units -> 1.
    let removed = prune.removedUnits.reduce(0) { $0 + $1.units.count }
    #expect(result.remainingUnits == 8 - removed && result.remainingUnits >= 1)
    #expect(net.architecture.layers == [.dense(inputs: 2, outputs: result.remainingUnits, bias: true),
                                        .activation(.relu),
                                        .dense(inputs: result.remainingUnits, outputs: 1,
                                               bias: true), .activation(.sigmoid)])
    #expect(result.collapse?.parametersAfter == result.parametersFinal)
    #expect(result.parametersFinal == 4 * result.remainingUnits + 1)
    #expect(result.activeUnits <= result.remainingUnits)
    #expect(result.finalLoss == net.evaluate(on: data, loss: MeanSquaredError(), batchSize: 4096).loss)
    #expect(abs(result.finalLoss - final.loss) <= 1e-5 * max(1, final.loss))  // collapse keeps the loss
    #expect(net.parameters.allSatisfy { $0.mask == nil })
    let json = try JSONEncoder().encode(result)
    #expect(try JSONDecoder().decode(ReinitializationResult.self, from: json) == result)
}

@Test("reinitialization training is deterministic for a seed")
func deterministicRun() throws {
    var (_, a, _) = try run(shortConfiguration(reinitializations: 1), seed: 4)
    var (_, b, _) = try run(shortConfiguration(reinitializations: 1), seed: 4)
    a.seconds = 0; b.seconds = 0
    #expect(a == b)
}

@Test("a zero revert threshold reverts every round that reinitialized, and R = 0 only prunes")
func revertAndNoRounds() throws {
    var c = shortConfiguration(reinitializations: 1)
    c.revertThreshold = 1e-9
    c.lossRatioThreshold = 1e9  // every unit is low-loss, so every unit is reinitialized
    let (_, result, _) = try run(c, seed: 2)
    #expect(result.rounds[0].reinitializedUnits[0].units == Array(0..<8))
    #expect(result.rounds[0].reverted)
    #expect(result.remainingUnits == 1)  // the prune keeps the most useful unit
    let (_, plain, _) = try run(shortConfiguration(reinitializations: 0), seed: 2)
    #expect(plain.rounds.isEmpty && plain.prune != nil)
}

@Test("impossible settings are rejected before training, naming the field")
func invalidConfiguration() throws {
    var c = ReinitializationConfiguration()
    c.subtrainingPatience = 0
    #expect(throws: TrainingError.invalidConfiguration("subtrainingPatience must be positive, got 0")) {
        _ = try run(c, seed: 1)
    }
}
