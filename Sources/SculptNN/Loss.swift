import SculptCore

/// A loss: a scalar from a batch of predictions and targets, and its gradient.
public protocol Loss: Sendable {
    /// The mean loss over the batch; when `gradient` is given, it is resized to the prediction's
    /// shape and receives dLoss/dPrediction.
    func compute(prediction: Tensor, target: Tensor, gradient: Tensor?) -> Float
}

/// Mean squared error over all elements (PyTorch's `MSELoss()`, reduction "mean"); targets have
/// the prediction's element count (regression values, or one-hot rows from `OneHotDataset`).
public struct MeanSquaredError: Loss {
    public init() {}

    public func compute(prediction p: Tensor, target t: Tensor, gradient: Tensor?) -> Float {
        // p and t are (B, ...) with the same element count
        precondition(p.count == t.count, "MSE: prediction \(p.shape) vs target \(t.shape)")
        let n = p.count
        var s: Float = 0
        let ps = p.data, ts = t.data
        if let gradient {
            gradient.resize(like: p)
            let g = gradient.data, scale = 2 / Float(n)
            for i in 0..<n {
                let d = ps[i] - ts[i]
                s += d * d
                g[i] = scale * d
            }
        } else {
            for i in 0..<n { let d = ps[i] - ts[i]; s += d * d }
        }
        return s / Float(n)
    }
}

/// Softmax followed by cross-entropy against class indices (PyTorch's `CrossEntropyLoss()`).
/// Predictions are logits `[B, C]`; targets are class indices `[B]` stored as Float. Only class
/// indices: one-hot or probability targets `[B, C]` are not accepted (they fail the label-count
/// precondition); train on one-hot targets (`OneHotDataset`) with `MeanSquaredError` instead.
public struct SoftmaxCrossEntropy: Loss {
    public init() {}

    public func compute(prediction logits: Tensor, target: Tensor, gradient: Tensor?) -> Float {
        // logits is (B, C), target is (B)
        let b = logits.shape[0], c = logits.rowStride
        precondition(target.count == b, "cross-entropy: \(b) rows of logits, \(target.count) labels")
        gradient?.resize(logits.shape)
        var total = 0.0
        let invB = 1 / Float(b)
        for r in 0..<b {
            let z = logits.data + r * c
            let label = Int(target.data[r])
            precondition(label >= 0 && label < c, "label \(label) outside 0..<\(c)")
            var m = z[0]
            for j in 1..<c where z[j] > m { m = z[j] }
            var sum: Float = 0
            for j in 0..<c { sum += floatExp(z[j] - m) }
            let logSum = logf(sum) + m
            total += Double(logSum - z[label])
            if let g = gradient?.data {
                let gr = g + r * c
                let inv = 1 / sum
                for j in 0..<c { gr[j] = floatExp(z[j] - m) * inv * invB }
                gr[label] -= invB
            }
        }
        return Float(total / Double(b))
    }
}

/// Fraction of rows whose largest logit is at the target class.
public func classificationAccuracy(logits: Tensor, labels: Tensor) -> Float {
    let b = logits.shape[0], c = logits.rowStride
    guard b > 0 else { return 0 }
    var correct = 0
    for r in 0..<b {
        let z = logits.data + r * c
        var best = 0
        for j in 1..<c where z[j] > z[best] { best = j }
        if best == Int(labels.data[r]) { correct += 1 }
    }
    return Float(correct) / Float(b)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
