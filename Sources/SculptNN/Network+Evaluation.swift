import SculptCore
import SculptData

extension Network {
    /// Mean loss over all of `data`, and accuracy when `data` is a classification set
    /// (`classCount` non-nil), in eval mode (dropout off, BatchNorm on running statistics), in
    /// batches of `batchSize` samples. Each batch's mean loss is weighted by its size and summed
    /// in Double. Layers keep buffers of the largest batch they saw, so a large `batchSize`
    /// raises peak memory; the result does not depend on it beyond float rounding.
    public func evaluate(on data: Dataset, loss: Loss, batchSize: Int = 1000) -> (loss: Float, accuracy: Float?) {
        precondition(batchSize >= 1, "evaluation batch size must be >= 1, got \(batchSize)")
        var lossSum = 0.0, correct = 0.0
        let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0])
        var begin = 0
        let all = Array(0..<data.count)
        while begin < data.count {
            let end = Swift.min(begin + batchSize, data.count)
            data.fillBatch(indices: all[begin..<end], inputs: inputs, targets: targets)
            let y = forward(inputs, training: false)
            lossSum += Double(loss.compute(prediction: y, target: targets, gradient: nil)) * Double(end - begin)
            if data.classCount != nil {
                correct += Double(classificationAccuracy(logits: y, labels: targets)) * Double(end - begin)
            }
            begin = end
        }
        let n = Double(Swift.max(data.count, 1))
        return (Float(lossSum / n), data.classCount != nil ? Float(correct / n) : nil)
    }
}
