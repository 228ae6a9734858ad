import SculptCore

/// A fused forward and backward pass for small fully connected networks: every layer a `Dense`
/// of at most `maximumWidth` inputs and outputs, each optionally followed by one `Activation`
/// (W1's painting models). Sixteen samples ride in the lanes of one SIMD register, every layer's
/// values stay in L1, and no BLAS call is made: for such networks OpenBLAS's per-call overhead,
/// the packing of dW = dy^T x and the layer-by-layer passes cost more than the arithmetic.
///
/// Products are a multiply then an add (not `addingProduct`): a portable build
/// (`SCULPT_PORTABLE=1`, baseline x86-64) has no fused multiply-add instruction, where
/// `addingProduct` is a library call per lane, and this way both builds compute the same numbers.
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
    // (groups, out) of the last forward, and the backward's dLoss/da, then dLoss/dz, (groups, out);
    // x transposed (groups, in); and the backward's per-lane sums of one stage's dW (out, in) and db (out).
    private var buffer = UnsafeMutablePointer<Lanes>.allocate(capacity: 1)
    private var capacity = 1
    private var z: [Int] = [], a: [Int] = [], delta: [Int] = []
    private var inputOffset = 0, sumsOffset = 0
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
        delta = stages.map { take(groups * $0.outputs) }
        inputOffset = take(groups * stages[0].inputs)
        sumsOffset = take(stages.map { $0.outputs * ($0.inputs + 1) }.max() ?? 0)
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
    /// Stage by stage over all groups, so each weight's and bias's sum over the groups stays in a register;
    /// the sums run over the groups in order, lane by lane, then across the lanes: the same order (and
    /// numbers) as summing group by group into memory.
    func backward(_ dy: Tensor) {
        let last = stages.count - 1, nOut = stages[last].outputs
        precondition(dy.count == batch * nOut, "fused backward got \(dy.shape) for a batch of \(batch)")
        transpose(dy.data, rows: batch, columns: nOut, into: buffer + delta[last])  // padded lanes get 0
        for s in stride(from: last, through: 0, by: -1) { backwardStage(s) }
    }

    /// Stage `s` over every group: its delta holds dLoss/da on entry and dLoss/dz on exit; adds the dW
    /// and db sums to the gradients and, above the first stage, writes dLoss/da of the stage beneath.
    private func backwardStage(_ s: Int) {
        let stage = stages[s], (n, m) = (stage.inputs, stage.outputs), kind = stage.activation, groups = self.groups
        let d = buffer + delta[s], zs = buffer + z[s], outs = buffer + a[s]
        let h = s == 0 ? buffer + inputOffset : buffer + a[s - 1]
        if kind != .identity {
            for k in 0..<(groups * m) { d[k] = Self.derivative(d[k], z: zs[k], a: outs[k], kind) }
        }
        // Per-lane sums over the groups, two weights at a time (two independent chains), then across the
        // lanes four weights at a time (`addLaneSums`).
        let sums = buffer + sumsOffset
        for o in 0..<m {
            let row = sums + o * n
            var i = 0
            while i + 1 < n {
                var first = Lanes(), second = Lanes()
                for g in 0..<groups {
                    let dz = d[g * m + o], hg = h + g * n
                    first += dz * hg[i]
                    second += dz * hg[i + 1]
                }
                row[i] = first
                row[i + 1] = second
                i += 2
            }
            if i < n {
                var acc = Lanes()
                for g in 0..<groups { acc += d[g * m + o] * h[g * n + i] }
                row[i] = acc
            }
        }
        Self.addLaneSums(sums, count: m * n, to: stage.dense.weight.grad.data)
        if let db = stage.dense.bias?.grad.data {
            let biasSums = sums + m * n  // after dW's, as the buffer lays them out
            for o in 0..<m {
                var acc = Lanes()
                for g in 0..<groups { acc += d[g * m + o] }
                biasSums[o] = acc
            }
            Self.addLaneSums(biasSums, count: m, to: db)
        }
        guard s > 0 else { return }
        let w = stage.dense.weight.value.data, below = buffer + delta[s - 1]
        for g in 0..<groups {
            let dg = d + g * m, bg = below + g * n
            for i in 0..<n {
                var acc = Lanes()
                for o in 0..<m { acc += dg[o] * w[o * n + i] }
                bg[i] = acc
            }
        }
    }

    /// out[k] += lanes[k].sum() for k < count, bit for bit: `sum()` adds the sixteen lanes in order onto -0,
    /// one dependent add after another; here four of those chains run side by side in the lanes of a SIMD4,
    /// each in the same order, so four sums cost about what one did.
    @inline(__always)
    static func addLaneSums(_ lanes: UnsafePointer<Lanes>, count: Int, to out: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(lanes), stride = MemoryLayout<Lanes>.stride
        var k = 0
        while k + 4 <= count {
            let row = raw + k * stride
            var total = SIMD4<Float>(repeating: -0.0)
            for l in 0..<laneCount {
                total += SIMD4(row.load(fromByteOffset: 4 * l, as: Float.self),
                               row.load(fromByteOffset: stride + 4 * l, as: Float.self),
                               row.load(fromByteOffset: 2 * stride + 4 * l, as: Float.self),
                               row.load(fromByteOffset: 3 * stride + 4 * l, as: Float.self))
            }
            out[k] += total[0]
            out[k + 1] += total[1]
            out[k + 2] += total[2]
            out[k + 3] += total[3]
            k += 4
        }
        while k < count {
            out[k] += lanes[k].sum()
            k += 1
        }
    }

    /// a = act(z) lane by lane, with the formulas of `Activation.forward` (the sigmoid is
    /// `VectorMath.sigmoid` on both paths). tanh, without a vector form here, goes lane by lane
    /// through memory: inserting lanes into a register round-trips it through the stack on every lane.
    @inline(__always)
    private static func activate(_ z: UnsafePointer<Lanes>, into a: UnsafeMutablePointer<Lanes>,
                                 _ kind: ActivationKind) {
        let v = z.pointee
        switch kind {
        case .identity: a.pointee = v
        case .relu: a.pointee = v.replacing(with: 0, where: .!(v .> 0))
        case .leakyRelu(let slope): a.pointee = v.replacing(with: v * slope, where: .!(v .> 0))
        case .sigmoid: a.pointee = VectorMath.sigmoid(v)
        case .tanh:
            let zs = UnsafeRawPointer(z), out = UnsafeMutableRawPointer(a)
            for l in 0..<laneCount {
                out.storeBytes(of: floatTanh(zs.load(fromByteOffset: 4 * l, as: Float.self)), toByteOffset: 4 * l,
                               as: Float.self)
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
