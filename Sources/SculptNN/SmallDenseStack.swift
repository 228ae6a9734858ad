import SculptCore

/// A fused forward and backward pass for small fully connected networks: every layer a `Dense`
/// of at most `maximumWidth` inputs and outputs, each optionally followed by one `Activation`
/// (W1's painting models). Sixteen samples ride in the lanes of one SIMD register, every layer's
/// values stay in L1, and no BLAS call is made: for such networks OpenBLAS's per-call overhead,
/// the packing of dW = dy^T x and the layer-by-layer passes cost more than the arithmetic.
///
/// Products are a multiply then an add (not `addingProduct`): the package builds for baseline
/// x86-64, where a fused multiply-add is a library call per lane.
///
/// `Network` chooses it by size (`SmallDenseStack(layers:)` returns nil for anything else) and
/// keeps the layer-by-layer path for every other network. The sums run in another order than
/// OpenBLAS's, so results differ from that path in the last bits (tests compare both); with one
/// thread a run is still bit-for-bit reproducible.
final class SmallDenseStack {
    /// The widest layer the fused pass takes.
    static let maximumWidth = 16
    typealias Lanes = SIMD16<Float>
    static let laneCount = 16

    private struct Stage {
        let dense: Dense
        let activation: ActivationKind
        let inputs: Int
        let outputs: Int
    }

    private let stages: [Stage]
    private let layerIdentities: [ObjectIdentifier]
    private var batch = -1  // no layout yet
    private var groups = 0
    // One buffer of registers holds, per stage s, (at offsets): z (groups, out) and a = act(z)
    // (groups, out) of the last forward, the backward scratch dLoss/dz (out), dW (out, in) and db
    // (out) summed over groups lane by lane; and x transposed (groups, in) and dy transposed (groups, out).
    private var buffer = UnsafeMutablePointer<Lanes>.allocate(capacity: 1)
    private var capacity = 1
    private var z: [Int] = [], a: [Int] = [], delta: [Int] = [], weightSum: [Int] = [], biasSum: [Int] = []
    private var inputOffset = 0, topOffset = 0
    /// The network's output (B, out), owned here as the last layer's output is on the other path.
    let output = Tensor(zeros: [0])

    /// The fused pass for `layers`, or nil when they are not all small `Dense` layers, each
    /// followed by at most one `Activation`.
    init?(layers: [Layer]) {
        var stages: [Stage] = []
        var i = 0
        while i < layers.count {
            guard let dense = layers[i] as? Dense, dense.inputFeatures <= Self.maximumWidth,
                  dense.outputFeatures <= Self.maximumWidth else { return nil }
            var kind = ActivationKind.identity
            if i + 1 < layers.count, let activation = layers[i + 1] as? Activation {
                kind = activation.kind
                i += 1
            }
            if let last = stages.last, last.outputs != dense.inputFeatures { return nil }
            stages.append(Stage(dense: dense, activation: kind, inputs: dense.inputFeatures,
                                outputs: dense.outputFeatures))
            i += 1
        }
        guard !stages.isEmpty else { return nil }
        self.stages = stages
        layerIdentities = layers.map { ObjectIdentifier($0) }
    }

    deinit { buffer.deallocate() }

    /// True while `layers` are the layers this pass was built for, with the same widths.
    func matches(_ layers: [Layer]) -> Bool {
        guard layers.count == layerIdentities.count else { return false }
        for (layer, id) in zip(layers, layerIdentities) where ObjectIdentifier(layer) != id { return false }
        return stages.allSatisfy { $0.dense.inputFeatures == $0.inputs && $0.dense.outputFeatures == $0.outputs }
    }

    /// Lays out the buffer for a batch of `b` samples.
    private func reserve(batch b: Int) {
        guard b != batch else { return }
        batch = b
        groups = (b + Self.laneCount - 1) / Self.laneCount
        var end = 0
        func take(_ n: Int) -> Int { defer { end += n }; return end }
        z = stages.map { take(groups * $0.outputs) }
        a = stages.map { take(groups * $0.outputs) }
        delta = stages.map { take($0.outputs) }
        weightSum = stages.map { take($0.outputs * $0.inputs) }
        biasSum = stages.map { take($0.outputs) }
        inputOffset = take(groups * stages[0].inputs)
        topOffset = take(groups * stages[stages.count - 1].outputs)
        if end > capacity {
            buffer.deallocate()
            buffer = .allocate(capacity: end)
            capacity = end
        }
        buffer.initialize(repeating: Lanes(), count: end)
    }

    /// The network's output for `x` (B, in); keeps what `backward` needs.
    func forward(_ x: Tensor) -> Tensor {
        // x is (B, in); per group of 16 samples, stage s: z (out) = W (out, in) h (in) + b; a = act(z)
        let b = x.shape[0], nIn = stages[0].inputs, nOut = stages[stages.count - 1].outputs
        precondition(x.count == b * nIn, "Dense(\(nIn) -> ...) got input \(x.shape)")
        reserve(batch: b)
        transpose(x.data, rows: b, columns: nIn, into: buffer + inputOffset)
        for (s, stage) in stages.enumerated() {
            let w = stage.dense.weight.value.data, bias = stage.dense.bias?.value.data
            let (n, m) = (stage.inputs, stage.outputs), kind = stage.activation
            let h = s == 0 ? buffer + inputOffset : buffer + a[s - 1], zs = buffer + z[s], outs = buffer + a[s]
            for g in 0..<groups {
                let hg = h + g * n, zg = zs + g * m, ag = outs + g * m
                for o in 0..<m {
                    var acc = Lanes(repeating: bias?[o] ?? 0)
                    for i in 0..<n { acc += hg[i] * w[o * n + i] }
                    zg[o] = acc
                    Self.activate(zg + o, into: ag + o, kind)
                }
            }
        }
        output.resize(rows: b, columns: nOut)
        untranspose(buffer + a[stages.count - 1], rows: b, columns: nOut, into: output.data)
        return output
    }

    /// Accumulates (+=) every weight and bias gradient from dLoss/dOutput `dy` (B, out) of the last forward.
    func backward(_ dy: Tensor) {
        let last = stages.count - 1, nOut = stages[last].outputs
        precondition(dy.count == batch * nOut, "fused backward got \(dy.shape) for a batch of \(batch)")
        for (s, stage) in stages.enumerated() {
            (buffer + weightSum[s]).update(repeating: Lanes(), count: stage.outputs * stage.inputs)
            (buffer + biasSum[s]).update(repeating: Lanes(), count: stage.outputs)
        }
        let top = buffer + topOffset
        transpose(dy.data, rows: batch, columns: nOut, into: top)  // padded lanes get 0: they add nothing
        for g in 0..<groups {
            (buffer + delta[last]).update(from: top + g * nOut, count: nOut)
            for s in stride(from: last, through: 0, by: -1) { backwardStage(s, group: g) }
        }
        for (s, stage) in stages.enumerated() {
            let dw = stage.dense.weight.grad.data, sums = buffer + weightSum[s], biasSums = buffer + biasSum[s]
            for k in 0..<(stage.outputs * stage.inputs) { dw[k] += sums[k].sum() }
            if let db = stage.dense.bias?.grad.data {
                for o in 0..<stage.outputs { db[o] += biasSums[o].sum() }
            }
        }
    }

    /// Stage `s` of group `g`: its delta holds dLoss/da on entry; turns it into dLoss/dz, adds the
    /// dW and db terms and, above the first stage, writes dLoss/da of the stage beneath.
    @inline(__always)
    private func backwardStage(_ s: Int, group g: Int) {
        let stage = stages[s], (n, m) = (stage.inputs, stage.outputs), kind = stage.activation
        let d = buffer + delta[s], zg = buffer + z[s] + g * m, ag = buffer + a[s] + g * m
        let h = (s == 0 ? buffer + inputOffset : buffer + a[s - 1]) + g * n
        let dw = buffer + weightSum[s], db = buffer + biasSum[s]
        for o in 0..<m {
            let dz = Self.derivative(d[o], z: zg[o], a: ag[o], kind)
            d[o] = dz
            db[o] += dz
            for i in 0..<n { dw[o * n + i] += dz * h[i] }
        }
        guard s > 0 else { return }
        let w = stage.dense.weight.value.data, below = buffer + delta[s - 1]
        for i in 0..<n {
            var acc = Lanes()
            for o in 0..<m { acc += d[o] * w[o * n + i] }
            below[i] = acc
        }
    }

    /// a = act(z) lane by lane, with the formulas of `Activation.forward`. Functions without a
    /// vector form (tanh, exp) go lane by lane through memory: inserting lanes into a register
    /// round-trips it through the stack on every lane.
    @inline(__always)
    private static func activate(_ z: UnsafePointer<Lanes>, into a: UnsafeMutablePointer<Lanes>,
                                 _ kind: ActivationKind) {
        let v = z.pointee
        switch kind {
        case .identity: a.pointee = v
        case .relu: a.pointee = v.replacing(with: 0, where: .!(v .> 0))
        case .leakyRelu(let slope): a.pointee = v.replacing(with: v * slope, where: .!(v .> 0))
        case .tanh, .sigmoid:
            let zs = UnsafeRawPointer(z), out = UnsafeMutableRawPointer(a), tanh = kind == .tanh
            for l in 0..<laneCount {
                let x = zs.load(fromByteOffset: 4 * l, as: Float.self)
                let y = tanh ? floatTanh(x) : 1 / (1 + floatExp(-x))
                out.storeBytes(of: y, toByteOffset: 4 * l, as: Float.self)
            }
        }
    }

    /// dLoss/dz from dLoss/da, with the formulas of `Activation.backward`.
    @inline(__always)
    private static func derivative(_ g: Lanes, z: Lanes, a: Lanes, _ kind: ActivationKind) -> Lanes {
        switch kind {
        case .identity: return g
        case .relu: return g.replacing(with: 0, where: .!(z .> 0))
        case .leakyRelu(let slope): return g.replacing(with: g * slope, where: .!(z .> 0))
        case .tanh: return g * (1 - a * a)
        case .sigmoid: return g * a * (1 - a)
        }
    }

    /// (rows, columns) row-major into registers (groups, columns) of 16 rows; missing rows are 0.
    /// Written float by float through memory (lane inserts into a register would round-trip it).
    private func transpose(_ m: UnsafePointer<Float>, rows: Int, columns: Int,
                           into lanes: UnsafeMutablePointer<Lanes>) {
        let raw = UnsafeMutableRawPointer(lanes)
        for g in 0..<groups {
            let first = g * Self.laneCount, count = Swift.min(Self.laneCount, rows - first)
            for c in 0..<columns {
                let register = (g * columns + c) * Self.laneCount * 4
                for l in 0..<Self.laneCount {
                    let value = l < count ? m[(first + l) * columns + c] : 0
                    raw.storeBytes(of: value, toByteOffset: register + 4 * l, as: Float.self)
                }
            }
        }
    }

    /// The inverse of `transpose`: registers (groups, columns) into (rows, columns) row-major.
    private func untranspose(_ lanes: UnsafePointer<Lanes>, rows: Int, columns: Int,
                             into m: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(lanes)
        for g in 0..<groups {
            let first = g * Self.laneCount, count = Swift.min(Self.laneCount, rows - first)
            for c in 0..<columns {
                let register = (g * columns + c) * Self.laneCount * 4
                for l in 0..<count {
                    m[(first + l) * columns + c] = raw.load(fromByteOffset: register + 4 * l, as: Float.self)
                }
            }
        }
    }
}
