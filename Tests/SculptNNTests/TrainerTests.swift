import Testing
import SculptCore
import SculptData
@testable import SculptNN

private func regressionData(_ n: Int, seed: UInt64) -> TensorDataset {
    var rng = RandomSource(seed: seed)
    let x = Tensor.uniform([n, 2], -1, 1, using: &rng)
    let y = Tensor(zeros: [n, 1])
    for i in 0..<n { y[i, 0] = 0.5 * x[i, 0] - 0.25 * x[i, 1] + 0.1 }
    return TensorDataset(inputs: x, targets: y)
}

private func linearNetwork(seed: UInt64) throws -> Network {
    var rng = RandomSource(seed: seed)
    return try Network(Architecture(inputShape: [2], layers: [.dense(inputs: 2, outputs: 1, bias: true)]), rng: &rng)
}

@Test("training lowers the loss of a linear regression to near zero")
func trainsLinearRegression() throws {
    let net = try linearNetwork(seed: 1)
    let trainer = Trainer(
        network: net, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), batchSize: 16, maxEpochs: 200)
    var rng = RandomSource(seed: 2)
    let history = try trainer.fit(regressionData(64, seed: 3), rng: &rng)
    #expect(history.epochs.count == 200)
    #expect(history.epochs.last!.loss < 1e-6)
}

@Test("the same seed gives bit-identical training")
func deterministic() throws {
    BLAS.setThreads(1)
    func run() throws -> [Float] {
        let net = try linearNetwork(seed: 1)
        let t = Trainer(
            network: net, loss: MeanSquaredError(), optimizer: Adam(learningRate: 0.01), batchSize: 8, maxEpochs: 5)
        var rng = RandomSource(seed: 7)
        try t.fit(regressionData(40, seed: 3), rng: &rng)
        return net.parameters.flatMap { $0.value.scalars }
    }
    #expect(try run() == run())
}

@Test("early stopping stops after `patience` epochs without improvement and restores the best weights")
func earlyStopping() throws {
    let net = try linearNetwork(seed: 1)
    // lr 0 never improves after the first epoch.
    let sgd = SGD(learningRate: 1e-30)
    let t = Trainer(network: net, loss: MeanSquaredError(), optimizer: sgd, batchSize: 8, maxEpochs: 100,
                    earlyStopping: EarlyStopping(patience: 3, minDelta: 1e-3, restoreBestWeights: true))
    var rng = RandomSource(seed: 7)
    let h = try t.fit(regressionData(40, seed: 3), rng: &rng)
    #expect(h.epochs.count == 4)
    #expect(h.stopReason == .earlyStopping)
    #expect(h.bestEpoch == 0)
}

@Test("improvements smaller than minDelta count as none: training stops after `patience`, with minDelta 0 it goes on")
func earlyStoppingMinDelta() throws {
    // Full-batch gradient descent with a tiny step on a convex problem: the loss falls every epoch, by about 1e-4.
    func run(minDelta: Float) throws -> TrainingHistory {
        let t = Trainer(
            network: try linearNetwork(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 1e-3),
                        batchSize: 40, maxEpochs: 12, earlyStopping: EarlyStopping(patience: 3, minDelta: minDelta))
        t.shuffle = false
        var rng = RandomSource(seed: 7)
        return try t.fit(regressionData(40, seed: 3), rng: &rng)
    }
    let plain = try run(minDelta: 0)
    let losses = plain.epochs.map(\.loss)
    let steps = zip(losses, losses.dropFirst()).map { $0 - $1 }
    try #require(steps.allSatisfy { $0 > 0 }, "the loss must fall every epoch: \(losses)")
    try #require(losses[0] - losses[3] < 1e-2, "three epochs must fall by less than minDelta: \(losses)")
    #expect(plain.epochs.count == 12 && plain.stopReason == .maxEpochs && plain.bestEpoch == 11)

    let coarse = try run(minDelta: 1e-2)
    #expect(coarse.epochs.count == 4)  // epoch 1 sets the best, epochs 2-4 improve by less than 1e-2
    #expect(coarse.stopReason == .earlyStopping && coarse.bestEpoch == 0)
    #expect(coarse.epochs.map(\.loss) == Array(losses.prefix(4)))  // the same run until it stops

    // A minDelta below every epoch's improvement changes nothing.
    let fine = try run(minDelta: steps.min()! / 2)
    #expect(fine.epochs.count == 12 && fine.stopReason == .maxEpochs && fine.bestEpoch == 11)
}

@Test("a callback can stop training")
func callbackStops() throws {
    let t = Trainer(
        network: try linearNetwork(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.01), batchSize: 8,
        maxEpochs: 50)
    t.callbacks.append { report, _ in report.epoch == 2 ? .stop : .proceed }
    var rng = RandomSource(seed: 7)
    let h = try t.fit(regressionData(16, seed: 3), rng: &rng)
    #expect(h.epochs.count == 2 && h.stopReason == .callback)
}

@Test("divergence is reported with epoch and batch")
func nanDetection() throws {
    let t = Trainer(
        network: try linearNetwork(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 1e6), batchSize: 8,
        maxEpochs: 50)
    var rng = RandomSource(seed: 7)
    #expect {
        try t.fit(regressionData(64, seed: 3), rng: &rng)
    } throws: { error in
        guard case TrainingError.diverged(let epoch, let batch, _, _) = error else { return false }
        return epoch >= 1 && batch >= 1 && "\(error)".contains("training diverged: loss is")
    }
}

@Test("bad configurations are rejected before training")
func badConfiguration() throws {
    let t = Trainer(
        network: try linearNetwork(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), batchSize: 0)
    var rng = RandomSource(seed: 1)
    #expect(throws: TrainingError.self) { try t.fit(regressionData(8, seed: 1), rng: &rng) }
    let t2 = Trainer(network: try linearNetwork(seed: 1), loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1))
    let wrong = TensorDataset(inputs: Tensor(zeros: [4, 3]), targets: Tensor(zeros: [4, 1]))
    #expect(throws: TrainingError.self) { try t2.fit(wrong, rng: &rng) }
}

@Test("classification reports accuracy and validation metrics")
func classification() throws {
    var rng = RandomSource(seed: 5)
    let n = 200
    let x = Tensor.uniform([n, 2], -1, 1, using: &rng)
    let y = Tensor(zeros: [n])
    for i in 0..<n { y[i] = x[i, 0] > 0 ? 1 : 0 }
    let data = TensorDataset(inputs: x, targets: y, classCount: 2)
    let net = try Network(
        Architecture(
            inputShape: [2],
            layers: [
                .dense(inputs: 2, outputs: 8, bias: true), .activation(.relu),
                .dense(inputs: 8, outputs: 2, bias: true),
            ]), rng: &rng)
    let t = Trainer(
        network: net, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.02), batchSize: 32, maxEpochs: 40)
    let h = try t.fit(data, validation: data, rng: &rng)
    #expect(h.epochs.last!.accuracy! > 0.95)
    #expect(h.epochs.last!.validationAccuracy! > 0.95)
}
