import SculptNN
import SculptCore

/// A deep copy of every parameter's value, mask, optimizer state and step count, for reverting a
/// network of unchanged structure (the paper's "copy of the model").
public struct ParameterCheckpoint {
    private struct Saved {
        var value: Tensor
        var mask: Tensor?
        var state: [String: Tensor]
        var step: Int
    }
    private let saved: [Saved]

    /// Copies the parameters of `network`.
    public init(_ network: Network) {
        saved = network.parameters.map { p in
            Saved(value: p.value.copy(), mask: p.mask?.copy(), state: p.state.mapValues { $0.copy() }, step: p.step)
        }
    }

    /// Writes the copy back into `network`, which must have the same parameter shapes.
    public func restore(into network: Network) {
        let ps = network.parameters
        precondition(ps.count == saved.count, "checkpoint of \(saved.count) parameters for \(ps.count)")
        for (p, s) in zip(ps, saved) {
            precondition(p.value.shape == s.value.shape, "checkpoint shape \(s.value.shape) for \(p.value.shape)")
            p.value.assign(s.value)
            p.mask = s.mask?.copy()
            p.state = s.state.mapValues { $0.copy() }
            p.step = s.step
        }
    }
}
