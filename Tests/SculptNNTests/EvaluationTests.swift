import Foundation
import Testing
import SculptCore
import SculptData
@testable import SculptNN

@Suite("Network.evaluate")
struct EvaluationTests {
    /// Dense(1 -> 1) with w = 2, b = 1 on x = 0, 1, 2: predictions 1, 3, 5.
    private func line() throws -> Network {
        try Network(inputShape: [1], layers: [Dense(weight: Tensor([2], shape: [1, 1]), bias: Tensor([1]))])
    }

    @Test("mean loss over every sample, by hand, whatever the batch size; no accuracy for regression")
    func regressionByHand() throws {
        let data = TensorDataset(inputs: Tensor([0, 1, 2], shape: [3, 1]), targets: Tensor([1, 3, 4], shape: [3, 1]))
        for batchSize in [1, 2, 3, 1000] {
            let r = try line().evaluate(on: data, loss: MeanSquaredError(), batchSize: batchSize)
            // squared errors 0, 0, 1: mean 1/3 (batches of 2: (0 + 0) / 2 * 2 + 1 * 1, over 3)
            #expect(abs(r.loss - 1.0 / 3) < 1e-7, "batch \(batchSize)")
            #expect(r.accuracy == nil)
        }
    }

    @Test("classification: accuracy is the share of rows whose largest logit is the label; the trainer agrees")
    func classificationByHand() throws {
        // Identity Dense(2 -> 2): logits are the inputs.
        let network = try Network(
            inputShape: [2], layers: [Dense(weight: Tensor([1, 0, 0, 1], shape: [2, 2]), bias: nil)])
        let data = TensorDataset(inputs: Tensor([2, 0, 0, 2, 1, 0, 0, 0], shape: [4, 2]),
                                 targets: Tensor([0, 1, 1, 0], shape: [4]), classCount: 2)
        let r = network.evaluate(on: data, loss: SoftmaxCrossEntropy(), batchSize: 3)
        #expect(r.accuracy == 0.75)  // rows 0 and 1 right, row 2 wrong, row 3 a tie won by class 0, its label
        // Cross-entropy by hand: -log softmax(z)[label] = log(1 + e^(z_other - z_label)).
        let rows: [Double] = [log(1 + exp(-2.0)), log(1 + exp(-2.0)), log(1 + exp(1.0)), log(2.0)]
        let expected = rows.reduce(0, +) / 4
        #expect(abs(Double(r.loss) - expected) < 1e-6)
        let trainer = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 1))
        #expect(trainer.evaluate(data, batchSize: 3) == r)
    }
}

@Test("the first parameter or buffer holding NaN or an infinity is named; none when all are finite")
func firstNonFiniteTensor() throws {
    let network = try Network(
        inputShape: [2],
        layers: [
            Dense(weight: Tensor([1, 0, 0, 1], shape: [2, 2]), bias: Tensor([0, 0])),
                                                        BatchNorm(features: 2)])
    #expect(network.firstNonFiniteTensor == nil)
    network.namedBuffers.first { $0.name == "layers.1.running_var" }!.buffer.data[1] = .infinity
    #expect(network.firstNonFiniteTensor == "layers.1.running_var")
    network.namedParameters.first { $0.name == "layers.0.bias" }!.parameter.value.data[0] = .nan
    #expect(network.firstNonFiniteTensor == "layers.0.bias")
}
