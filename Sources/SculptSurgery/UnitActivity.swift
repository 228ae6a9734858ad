import SculptCore
import SculptData
import SculptNN

/// What a group's units do on data: mean activation, fraction of zero activations (APoZ) and
/// the first-order Taylor criterion (Molchanov et al. 2016).
public struct UnitActivity: Codable, Equatable, Sendable {
    public var unit: Int
    /// Mean over samples and positions of the unit's activation.
    public var meanActivation: Float
    /// Fraction of the unit's activations (over samples and positions) that are exactly 0 (APoZ).
    public var zeroFraction: Float
    /// |mean over the feature map of activation x dLoss/dactivation|, averaged over samples.
    public var taylor: Float
    /// `taylor` divided by the L2 norm of the layer's `taylor` values (Molchanov's per-layer normalization).
    public var taylorNormalized: Float
}

extension UnitActivity {
    /// Measures every unit of `group` on `data` in eval mode. The activations are the output of
    /// `group.measurementPoint` (the anchor, or the BatchNorm / activation layers right after
    /// it); the gradient of each sample's own loss (the batch-mean loss times the batch size)
    /// comes back to them through the rest of the network. Parameter gradients are restored
    /// afterwards, so the network ends bit-for-bit as it started.
    public static func measure(network: Network, group: UnitGroup, data: Dataset, loss: Loss,
                               batchSize: Int = 256) throws -> [UnitActivity] {
        let n = group.count
        var sum = [Double](repeating: 0, count: n), zeros = [Double](repeating: 0, count: n)
        var taylor = [Double](repeating: 0, count: n)
        var positionsSeen = 0.0
        let savedGradients = network.parameters.map { $0.grad.copy() }
        defer { for (p, g) in zip(network.parameters, savedGradients) { p.grad.assign(g) } }
        try network.withProbe(at: group.measurementPoint) { probe in
            let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0]), gradient = Tensor(zeros: [0])
            let all = Array(0..<data.count)
            var begin = 0
            while begin < data.count {
                let end = Swift.min(begin + batchSize, data.count), b = end - begin
                data.fillBatch(indices: all[begin..<end], inputs: inputs, targets: targets)
                let y = network.forward(inputs, training: false)
                _ = loss.compute(prediction: y, target: targets, gradient: gradient)
                for i in 0..<gradient.count { gradient.data[i] *= Float(b) }
                network.backward(gradient)
                guard let a = probe.output, let g = probe.gradient else { preconditionFailure("the probe saw no pass") }
                // a and g are (B, units, positions)
                let m = a.count / (b * n)
                precondition(m * b * n == a.count && g.count == a.count, "activations \(a.shape) for \(n) units")
                for s in 0..<b {
                    for u in 0..<n {
                        let base = (s * n + u) * m
                        var total = 0.0, product = 0.0, zero = 0.0
                        for i in 0..<m {
                            let v = Double(a.data[base + i])
                            total += v
                            product += v * Double(g.data[base + i])
                            if v == 0 { zero += 1 }
                        }
                        sum[u] += total / Double(m)
                        zeros[u] += zero / Double(m)
                        taylor[u] += abs(product / Double(m))
                    }
                }
                positionsSeen += Double(b)
                begin = end
            }
        }
        let samples = Swift.max(positionsSeen, 1)
        let norm = taylor.reduce(0) { $0 + ($1 / samples) * ($1 / samples) }.squareRoot()
        return (0..<n).map { u in
            let t = taylor[u] / samples
            return UnitActivity(
                unit: u, meanActivation: Float(sum[u] / samples), zeroFraction: Float(zeros[u] / samples),
                                taylor: Float(t), taylorNormalized: norm > 0 ? Float(t / norm) : 0)
        }
    }
}
