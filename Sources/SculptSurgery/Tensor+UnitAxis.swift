import SculptCore
import SculptNN

/// A tensor seen as `(outer, units * span, inner)` around its unit axis.
struct UnitAxisView {
    let outer: Int, length: Int, inner: Int, span: Int

    init(shape: [Int], axis: Int, span: Int) {
        precondition(
            axis < shape.count && span > 0 && shape[axis] % span == 0,
            "unit axis \(axis), span \(span) for shape \(shape)")
        outer = shape[..<axis].reduce(1, *)
        length = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        self.span = span
    }

    /// Number of units along the axis.
    var units: Int { length / span }
    /// Elements one unit owns.
    var elementsPerUnit: Int { outer * span * inner }

    /// Calls `body(k, flatIndex)` for the k-th element of unit `u`, in row-major order.
    @inline(__always)
    func forEach(unit u: Int, _ body: (Int, Int) -> Void) {
        var k = 0
        for o in 0..<outer {
            for j in (u * span)..<((u + 1) * span) {
                let base = (o * length + j) * inner
                for i in 0..<inner { body(k, base + i); k += 1 }
            }
        }
    }
}

extension Tensor {
    /// A copy keeping only units `kept` (in that order) along `axis`, each `span` wide.
    func keepingUnits(_ kept: [Int], axis: Int, span: Int) -> Tensor {
        // self is (outer, units*span, inner); result is (outer, kept.count*span, inner)
        let v = UnitAxisView(shape: shape, axis: axis, span: span)
        var newShape = shape
        newShape[axis] = kept.count * span
        let t = Tensor(zeros: newShape)
        let block = span * v.inner
        for o in 0..<v.outer {
            let src = data + o * v.length * v.inner, dst = t.data + o * kept.count * block
            if block == 1 {
                // one element per unit (a Dense consumer's columns, a bias)
                for (n, u) in kept.enumerated() { dst[n] = src[u] }
                continue
            }
            for (n, u) in kept.enumerated() { (dst + n * block).update(from: src + u * block, count: block) }
        }
        return t
    }

    /// The elements of unit `u` along `axis` (row-major order).
    func unitValues(_ u: Int, axis: Int, span: Int) -> [Float] {
        let v = UnitAxisView(shape: shape, axis: axis, span: span)
        var out = [Float](repeating: 0, count: v.elementsPerUnit)
        v.forEach(unit: u) { k, i in out[k] = data[i] }
        return out
    }

    /// Writes `values` (row-major, as `unitValues` reads them) into unit `u` along `axis`,
    /// skipping entries where `mask` (same shape) is 0.
    func setUnitValues(_ u: Int, axis: Int, span: Int, _ values: [Float], mask: Tensor? = nil) {
        let v = UnitAxisView(shape: shape, axis: axis, span: span)
        precondition(values.count == v.elementsPerUnit, "\(values.count) values for a unit of \(v.elementsPerUnit)")
        let m = mask?.data
        v.forEach(unit: u) { k, i in if m == nil || m![i] != 0 { data[i] = values[k] } }
    }

    /// Sets every element of unit `u` along `axis` to `value`, skipping entries where `mask` is 0.
    func fillUnit(_ u: Int, axis: Int, span: Int, with value: Float, mask: Tensor? = nil) {
        let m = mask?.data
        UnitAxisView(shape: shape, axis: axis, span: span).forEach(unit: u) { _, i in
            if m == nil || m![i] != 0 { data[i] = value }
        }
    }
}

extension UnitSlice {
    /// Keeps units `kept` in the value and, for a parameter, its gradient, mask and optimizer state.
    func keepUnits(_ kept: [Int]) {
        switch storage {
        case .parameter(let p):
            p.value = p.value.keepingUnits(kept, axis: axis, span: span)
            p.grad = p.grad.keepingUnits(kept, axis: axis, span: span)
            p.mask = p.mask?.keepingUnits(kept, axis: axis, span: span)
            var state = p.state
            for (k, t) in state { state[k] = t.keepingUnits(kept, axis: axis, span: span) }
            p.state = state
        case .buffer(let t):
            let kept = t.keepingUnits(kept, axis: axis, span: span)
            t.resize(kept.shape)
            t.assign(kept)
        }
    }

    /// Number of units along the slice's axis.
    var unitCount: Int { tensor.shape[axis] / span }

    /// Elements one unit owns in this slice.
    var elementsPerUnit: Int { UnitAxisView(shape: tensor.shape, axis: axis, span: span).elementsPerUnit }

    /// Zeroes unit `u`'s trainable entries in every optimizer moment (frozen entries keep theirs).
    func resetOptimizerState(unit u: Int) {
        guard let p = parameter else { return }
        for t in p.state.values { t.fillUnit(u, axis: axis, span: span, with: 0, mask: p.mask) }
    }

    /// The mask of the slice's parameter (nil for buffers and unmasked parameters).
    var mask: Tensor? { parameter?.mask }

    /// Sets unit `u`'s mask entries to `value` (1 trainable, 0 frozen), creating an all-ones mask first.
    func setMask(unit u: Int, to value: Float) {
        guard let p = parameter else { return }
        p.ensureMask().fillUnit(u, axis: axis, span: span, with: value)
    }
}
