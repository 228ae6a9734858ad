import SculptCore
import SculptData
import SculptNN

/// Ensemble predictions by averaging the members' softmax probabilities.
public enum EnsembleAveraging {
    /// Row-wise softmax of `logits` (N, C), added into `sum` (N, C).
    public static func accumulateSoftmax(_ logits: Tensor, into sum: Tensor) {
        precondition(logits.shape.count == 2 && logits.shape == sum.shape, "logits \(logits.shape) and sum " +
            "\(sum.shape) must both be (N, C)")
        let n = logits.shape[0], c = logits.shape[1], z = logits.data, s = sum.data
        for i in 0..<n {
            var peak = -Float.infinity
            for j in 0..<c { peak = max(peak, z[i * c + j]) }
            var total: Float = 0
            for j in 0..<c { total += expf(z[i * c + j] - peak) }
            for j in 0..<c { s[i * c + j] += expf(z[i * c + j] - peak) / total }
        }
    }

    /// The mean of the members' softmax probabilities, (N, C), from their logits (each (N, C)).
    public static func averageProbabilities(_ logits: [Tensor]) -> Tensor {
        precondition(!logits.isEmpty, "an ensemble needs at least one member")
        let sum = Tensor(zeros: logits[0].shape)
        for l in logits { accumulateSoftmax(l, into: sum) }
        let scale = 1 / Float(logits.count)
        for i in 0..<sum.count { sum.data[i] *= scale }
        return sum
    }

    /// Fraction of rows of `scores` (N, C) whose arg max (first on ties) equals the label.
    public static func accuracy(_ scores: Tensor, labels: [Int]) -> Double {
        let n = scores.shape[0], c = scores.shape[1]
        precondition(labels.count == n, "\(labels.count) labels for \(n) rows")
        var correct = 0
        for i in 0..<n {
            var best = 0
            for j in 1..<max(c, 1) where scores.data[i * c + j] > scores.data[i * c + best] { best = j }
            if best == labels[i] { correct += 1 }
        }
        return n == 0 ? 0 : Double(correct) / Double(n)
    }

    /// The network's logits (N, C) on every sample of `data`, in eval mode, and the labels.
    public static func logits(of network: Network, on data: Dataset, batchSize: Int = 1000) -> (logits: Tensor,
        labels: [Int]) {
        let classes = network.outputShape.reduce(1, *)
        let out = Tensor(zeros: [data.count, classes])
        var labels: [Int] = []
        labels.reserveCapacity(data.count)
        let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0])
        let order = Array(0..<data.count)
        var begin = 0
        while begin < data.count {
            let end = min(begin + batchSize, data.count)
            data.fillBatch(indices: order[begin..<end], inputs: inputs, targets: targets)
            let y = network.forward(inputs, training: false)
            (out.data + begin * classes).update(from: y.data, count: (end - begin) * classes)
            for i in 0..<(end - begin) { labels.append(Int(targets.data[i])) }
            begin = end
        }
        return (out, labels)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
