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
    private var buffer = CacheLine.allocate(Lanes.self, capacity: 1)  // `Lanes` alone is 16-byte aligned
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
        // Called before every forward: indices rather than zip and closures, which copy (and so retain and
        // release) every layer and stage.
        guard layers.count == layerIdentities.count else { return false }
        for k in layers.indices where ObjectIdentifier(layers[k]) != layerIdentities[k] { return false }
        for k in stages.indices {
            guard stages[k].dense.weight.value.isMatrix(rows: stages[k].outputs, columns: stages[k].inputs) else {
                return false
            }
        }
        return true
    }

    /// Stage `s`'s weight and bias values. `stages` keeps its layer alive, so the layer is borrowed without the
    /// retain and release that a copy of the stage costs (per stage and step, a few percent of a W1 step).
    @inline(__always)
    private func weights(of s: Int) -> (weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?) {
        Unmanaged.passUnretained(stages[s].dense)._withUnsafeGuaranteedRef { ($0.weight.value.data, $0.bias?.value.data) }
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
            buffer = CacheLine.allocate(Lanes.self, capacity: end)
            capacity = end
        }
        buffer.initialize(repeating: Lanes(), count: end)
    }

    /// The network's output for `x` (B, in); keeps what `backward` needs.
    func forward(_ x: Tensor) -> Tensor {
        // x is (B, in); per group of 16 samples, stage s: z (out) = W (out, in) h (in) + b; a = act(z)
        let b = x.dimension(0), nIn = stages[0].inputs, nOut = stages[stages.count - 1].outputs
        precondition(x.count == b * nIn, "Dense(\(nIn) -> ...) got input \(x.shape)")
        reserve(batch: b)
        transpose(x.data, rows: b, columns: nIn, into: buffer + inputOffset)
        for s in stages.indices {
            let (w, bias) = weights(of: s)
            let (n, m) = (stages[s].inputs, stages[s].outputs), kind = stages[s].activation
            let h = s == 0 ? buffer + inputOffset : buffer + a[s - 1], zs = buffer + z[s], outs = buffer + a[s]
            // Four groups at a time (four independent sums per weight row, each in the order of the
            // one-group loop below, so the same numbers), then the remaining groups one by one.
            var g = 0
            while g &+ 4 <= groups {
                let h0 = h + g &* n, h1 = h0 + n, h2 = h1 + n, h3 = h2 + n
                let z0 = zs + g &* m, z1 = z0 + m, z2 = z1 + m, z3 = z2 + m
                let a0 = outs + g &* m, a1 = a0 + m, a2 = a1 + m, a3 = a2 + m
                for o in 0..<m {
                    let wo = w + o &* n, start = Lanes(repeating: bias?[o] ?? 0)
                    var s0 = start, s1 = start, s2 = start, s3 = start
                    for i in 0..<n {
                        let wi = wo[i]
                        s0 += h0[i] * wi
                        s1 += h1[i] * wi
                        s2 += h2[i] * wi
                        s3 += h3[i] * wi
                    }
                    z0[o] = s0; z1[o] = s1; z2[o] = s2; z3[o] = s3
                    Self.activate(z0 + o, into: a0 + o, kind)
                    Self.activate(z1 + o, into: a1 + o, kind)
                    Self.activate(z2 + o, into: a2 + o, kind)
                    Self.activate(z3 + o, into: a3 + o, kind)
                }
                g &+= 4
            }
            while g < groups {
                let hg = h + g &* n, zg = zs + g &* m, ag = outs + g &* m
                for o in 0..<m {
                    let wo = w + o &* n
                    var acc = Lanes(repeating: bias?[o] ?? 0)
                    for i in 0..<n { acc += hg[i] * wo[i] }
                    zg[o] = acc
                    Self.activate(zg + o, into: ag + o, kind)
                }
                g &+= 1
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
        Self.applyDerivative(kind, to: d, z: zs, a: outs, count: groups &* m)
        // Per-lane sums over the groups, four weights of a row at a time (four independent chains, each
        // summing the groups in order), then across the lanes (`addLaneSums`). Index arithmetic unchecked:
        // every offset is below the buffer's size, which `reserve` computed with checked arithmetic.
        let sums = buffer + sumsOffset, weights = m &* n
        for o in 0..<m {
            let row = sums + o &* n, column = d + o
            var i = 0
            while i &+ 4 <= n {
                var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes()
                var dz = column, hg = h + i
                for _ in 0..<groups {
                    let delta = dz.pointee
                    s0 += delta * hg[0]
                    s1 += delta * hg[1]
                    s2 += delta * hg[2]
                    s3 += delta * hg[3]
                    dz += m
                    hg += n
                }
                row[i] = s0; row[i &+ 1] = s1; row[i &+ 2] = s2; row[i &+ 3] = s3
                i &+= 4
            }
            while i < n {
                var acc = Lanes()
                var dz = column, hg = h + i
                for _ in 0..<groups {
                    acc += dz.pointee * hg.pointee
                    dz += m
                    hg += n
                }
                row[i] = acc
                i &+= 1
            }
        }
        Self.addLaneSums(sums, count: weights, to: stage.dense.weight.grad.data)
        if let db = stage.dense.bias?.grad.data {
            let biasSums = sums + weights  // after dW's, as the buffer lays them out
            for o in 0..<m {
                var acc = Lanes()
                var dz = d + o
                for _ in 0..<groups {
                    acc += dz.pointee
                    dz += m
                }
                biasSums[o] = acc
            }
            Self.addLaneSums(biasSums, count: m, to: db)
        }
        guard s > 0 else { return }
        let w = stage.dense.weight.value.data, below = buffer + delta[s - 1]
        for g in 0..<groups {
            let dg = d + g &* m, bg = below + g &* n
            for i in 0..<n {
                var acc = Lanes()
                var wo = w + i
                for o in 0..<m {
                    acc += dg[o] * wo.pointee
                    wo += n
                }
                bg[i] = acc
            }
        }
    }

    /// d[k] = dLoss/dz from dLoss/da for k < count, the activation chosen once outside the loop.
    @inline(__always)
    private static func applyDerivative(_ kind: ActivationKind, to d: UnsafeMutablePointer<Lanes>,
                                        z: UnsafePointer<Lanes>, a: UnsafePointer<Lanes>, count: Int) {
        switch kind {
        case .identity: return
        case .relu: for k in 0..<count { d[k] = derivative(d[k], z: z[k], a: a[k], .relu) }
        case .sigmoid: for k in 0..<count { d[k] = derivative(d[k], z: z[k], a: a[k], .sigmoid) }
        case .tanh: for k in 0..<count { d[k] = derivative(d[k], z: z[k], a: a[k], .tanh) }
        case .leakyRelu: for k in 0..<count { d[k] = derivative(d[k], z: z[k], a: a[k], kind) }
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
    /// A full group's 16 rows are 16 x columns consecutive floats: one or two vector loads when the rows
    /// hold one or two columns (W1's targets and (x, y) inputs), even and odd lanes split for two.
    /// Otherwise written float by float through memory (lane inserts into a register would round-trip it).
    private func transpose(_ m: UnsafePointer<Float>, rows: Int, columns: Int,
                           into lanes: UnsafeMutablePointer<Lanes>) {
        let raw = UnsafeMutableRawPointer(lanes)
        for g in 0..<groups {
            let first = g &* Self.laneCount, count = Swift.min(Self.laneCount, rows &- first)
            let source = UnsafeRawPointer(m + first &* columns), registers = lanes + g &* columns
            if count == Self.laneCount && columns == 1 {
                registers[0] = source.loadUnaligned(as: Lanes.self)
                continue
            }
            if count == Self.laneCount && columns == 2 {
                let pairs = source.loadUnaligned(as: SIMD32<Float>.self)
                registers[0] = pairs.evenHalf
                registers[1] = pairs.oddHalf
                continue
            }
            for c in 0..<columns {
                let register = (g &* columns &+ c) &* Self.laneCount &* 4
                for l in 0..<Self.laneCount {
                    let value = l < count ? m[(first &+ l) &* columns &+ c] : 0
                    raw.storeBytes(of: value, toByteOffset: register &+ 4 &* l, as: Float.self)
                }
            }
        }
    }

    /// The inverse of `transpose`: registers (groups, columns) into (rows, columns) row-major
    /// (a full group of one column is one vector store).
    private func untranspose(_ lanes: UnsafePointer<Lanes>, rows: Int, columns: Int,
                             into m: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(lanes)
        for g in 0..<groups {
            let first = g &* Self.laneCount, count = Swift.min(Self.laneCount, rows &- first)
            if count == Self.laneCount && columns == 1 {
                UnsafeMutableRawPointer(m + first).storeBytes(of: lanes[g], as: Lanes.self)
                continue
            }
            for c in 0..<columns {
                let register = (g &* columns &+ c) &* Self.laneCount &* 4
                for l in 0..<count {
                    m[(first &+ l) &* columns &+ c] = raw.load(fromByteOffset: register &+ 4 &* l, as: Float.self)
                }
            }
        }
    }
}
