import SculptCore
import SculptData
import SculptNN
import Testing

/// A layer with a buffer, like BatchNorm's running mean.
private final class Counting: Layer {
    let seen = Tensor(zeros: [1])
    var spec: LayerSpec { .activation(.identity) }
    var namedBuffers: [(name: String, buffer: Tensor)] { [("running_count", seen)] }
    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
    func forward(_ input: Tensor, training: Bool) -> Tensor { if training { seen.data[0] += 1 }; return input }
    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? { needInputGradient ? gradOutput : nil }
}

/// Records the batches it sees and adds 1 to every input.
private final class AddOne: BatchAugmentation {
    var batches = 0
    func apply(inputs: Tensor, rng: inout RandomSource) {
        batches += 1
        for i in 0..<inputs.count { inputs.data[i] += 1 }
    }
}

@Suite struct BuffersAndAugmentationTests {
    @Test func networkNamesBuffersByLayerIndex() throws {
        var rng = RandomSource(seed: 1)
        let network = try Network(inputShape: [2], layers: [Dense(inputs: 2, outputs: 2, rng: &rng), Counting()])
        #expect(network.namedBuffers.map(\.name) == ["layers.1.running_count"])
    }

    @Test func trainerAppliesTheAugmentationToEveryBatch() throws {
        var rng = RandomSource(seed: 1)
        let dense = Dense(weight: Tensor([0, 0], shape: [1, 2]), bias: Tensor([0]))
        let network = try Network(inputShape: [2], layers: [dense])
        let data = TensorDataset(inputs: Tensor(zeros: [10, 2]), targets: Tensor(repeating: 1, shape: [10, 1]))
        let trainer = Trainer(
            network: network, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), batchSize: 4, maxEpochs: 1)
        let augmentation = AddOne()
        trainer.augmentation = augmentation
        try trainer.fit(data, rng: &rng)
        #expect(augmentation.batches == 3)
        // inputs were all ones (not zeros), so the weights moved: dL/dw = dL/db on the first step
        #expect(dense.weight.value.data[0] != 0 && dense.weight.value.data[0] == dense.weight.value.data[1])
    }
}
