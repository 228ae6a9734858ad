import SculptCore
import SculptNN

/// Finite-difference gradient checking for layers and losses.
///
/// Uses a random projection loss L = sum(r * y) so every output element matters, central
/// differences with step `h`, and compares in Double against the analytic gradient.
public enum GradientCheck {
    /// The largest relative error |analytic - numeric| / max(1, |analytic|, |numeric|) over the
    /// input gradient and every parameter gradient of `layer` at input `x`.
    /// `beforeForward` runs before every forward pass (e.g. to reseed a Dropout layer so each
    /// evaluation uses the same mask).
    public static func maxRelativeError(layer: Layer, input x: Tensor, training: Bool = true, h: Float = 1e-2,
        seed: UInt64 = 7, beforeForward: () -> Void = {}
    ) -> (input: Float, parameters: [String: Float]) {
        var rng = RandomSource(seed: seed)
        beforeForward()
        let y0 = layer.forward(x, training: training)
        let r = Tensor.uniform(y0.shape, -1, 1, using: &rng)
        func objective() -> Double {
            beforeForward()
            let y = layer.forward(x, training: training)
            var s = 0.0
            for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
            return s
        }
        for p in layer.parameters { p.zeroGrad() }
        beforeForward()
        _ = layer.forward(x, training: training)
        let dx = layer.backward(r, needInputGradient: true)!.copy()
        let grads = layer.namedParameters.map { ($0.name, $0.parameter.grad.copy()) }

        func numeric(_ t: Tensor, _ i: Int) -> Double {
            let old = t.data[i]
            t.data[i] = old + h; let fp = objective()
            t.data[i] = old - h; let fm = objective()
            t.data[i] = old
            return (fp - fm) / (2 * Double(h))
        }
        func err(_ analytic: Float, _ num: Double) -> Float {
            Float(abs(Double(analytic) - num) / Swift.max(1, abs(Double(analytic)), abs(num)))
        }
        var inputErr: Float = 0
        for i in 0..<x.count { inputErr = Swift.max(inputErr, err(dx.data[i], numeric(x, i))) }
        var paramErr: [String: Float] = [:]
        for ((name, g), (_, p)) in zip(grads, layer.namedParameters) {
            var e: Float = 0
            for i in 0..<p.value.count { e = Swift.max(e, err(g.data[i], numeric(p.value, i))) }
            paramErr[name] = e
        }
        return (inputErr, paramErr)
    }

    /// The largest relative error between a loss's analytic gradient and central differences.
    public static func lossError(_ loss: Loss, prediction p: Tensor, target t: Tensor, h: Float = 1e-3) -> Float {
        let g = Tensor(zeros: [0])
        _ = loss.compute(prediction: p, target: t, gradient: g)
        var worst: Float = 0
        for i in 0..<p.count {
            let old = p.data[i]
            p.data[i] = old + h; let fp = Double(loss.compute(prediction: p, target: t, gradient: nil))
            p.data[i] = old - h; let fm = Double(loss.compute(prediction: p, target: t, gradient: nil))
            p.data[i] = old
            let num = (fp - fm) / (2 * Double(h))
            worst = Swift.max(worst, Float(abs(Double(g.data[i]) - num) / Swift.max(1e-2, abs(num))))
        }
        return worst
    }
}
