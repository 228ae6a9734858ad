import SculptCore
import SculptData
import SculptNN

/// The outputs of a group's units on data, batch by batch, read at `group.measurementPoint` (the
/// same point `UnitActivity` measures) in eval mode; forward passes only, so the network's
/// parameters and gradients are not touched.
public enum UnitOutputs {
    /// Calls `body` with each batch's unit outputs, shaped (B, units, positions) with positions = 1
    /// for Dense units and H·W for conv channels (a reference valid only during the call).
    public static func forEachBatch(network: Network, group: UnitGroup, data: Dataset, batchSize: Int = 256,
                                    _ body: (Tensor) throws -> Void) throws {
        precondition(batchSize > 0, "batch size \(batchSize)")
        let n = group.count
        try network.withProbe(at: group.measurementPoint) { probe in
            let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0])
            let all = Array(0..<data.count)
            var begin = 0
            while begin < data.count {
                let end = Swift.min(begin + batchSize, data.count), b = end - begin
                data.fillBatch(indices: all[begin..<end], inputs: inputs, targets: targets)
                _ = network.forward(inputs, training: false)
                guard let a = probe.output else { preconditionFailure("the probe saw no pass") }
                let m = a.count / Swift.max(b * n, 1)
                precondition(m * b * n == a.count, "activations \(a.shape) for \(n) units")
                try body(a.reshaped([b, n, m]))
                begin = end
            }
        }
    }
}
