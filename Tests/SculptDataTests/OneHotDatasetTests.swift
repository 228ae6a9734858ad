import Testing
import SculptCore
import SculptData
import SculptNN

@Test("one-hot targets are rows of classCount floats with a 1 at the label, in batch order")
func oneHotTargets() {
    let labels: [Float] = [2, 0, 1, 2, 3]
    let base = TensorDataset(
        inputs: Tensor((0..<10).map(Float.init), shape: [5, 2]), targets: Tensor(labels), classCount: 4)
    let data = OneHotDataset(base)
    #expect(data.count == 5 && data.inputShape == [2] && data.targetShape == [4])
    #expect(data.classes == 4 && data.classCount == nil)
    let x = Tensor(zeros: [0]), t = Tensor(zeros: [0])
    let order = [4, 1, 0]
    data.fillBatch(indices: order[...], inputs: x, targets: t)
    #expect(x.shape == [3, 2] && x.scalars == [8, 9, 2, 3, 0, 1])
    #expect(t.shape == [3, 4] && t.scalars == [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0])
    // A smaller batch into the same buffers clears the old ones.
    data.fillBatch(indices: order[1..<2], inputs: x, targets: t)
    #expect(t.shape == [1, 4] && t.scalars == [1, 0, 0, 0])
}

@Test("images keep their pixels; the label byte becomes a one-hot row")
func oneHotImages() {
    let images = ImageDataset(pixels: [0, 255, 51, 102], labels: [1, 0], channels: 1, height: 1, width: 2, classes: 3)
    let data = OneHotDataset(images)
    let x = Tensor(zeros: [0]), t = Tensor(zeros: [0])
    data.fillBatch(indices: [0, 1][...], inputs: x, targets: t)
    #expect(x.shape == [2, 1, 1, 2] && x.scalars == [0, 1, 0.2, 0.4])
    #expect(t.shape == [2, 3] && t.scalars == [0, 1, 0, 1, 0, 0])
}

@Test("a dense classifier trained with MSE on one-hot targets learns the classes")
func mseTrainsOnOneHotTargets() throws {
    // Three classes on [-1, 1]^2: the class is which third of x0 + 0.5 x1 the sample falls in.
    var rng = RandomSource(seed: 4)
    let n = 96
    let inputs = Tensor.uniform([n, 2], -1, 1, using: &rng), labels = Tensor(zeros: [n])
    for i in 0..<n {
        let s = inputs[i, 0] + 0.5 * inputs[i, 1]
        labels.data[i] = s < -0.5 ? 0 : s < 0.5 ? 1 : 2
    }
    let data = OneHotDataset(TensorDataset(inputs: inputs, targets: labels, classCount: 3))
    let network = try Network(
        Architecture(
            inputShape: [2],
            layers: [
                .dense(inputs: 2, outputs: 16, bias: true), .activation(.relu),
                .dense(inputs: 16, outputs: 3, bias: true),
            ]), rng: &rng)
    let trainer = Trainer(network: network, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1, momentum: 0.9),
                          batchSize: 16, maxEpochs: 150)
    let (initialLoss, initialAccuracy) = trainer.evaluate(data)
    #expect(initialAccuracy == nil)  // no class indices, no accuracy
    let history = try trainer.fit(data, rng: &rng)
    #expect(history.epochs.allSatisfy { $0.accuracy == nil })
    let finalLoss = trainer.evaluate(data).loss
    #expect(finalLoss < initialLoss / 4, "MSE \(initialLoss) -> \(finalLoss)")
    // Scored as a classifier on the original labels.
    let accuracy = classificationAccuracy(logits: network.predict(inputs), labels: labels)
    #expect(accuracy >= 0.9, "accuracy \(accuracy)")
}
