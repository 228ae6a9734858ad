#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptNN

/// Shrinking and growing a `UnitGroup` (any architecture: dense, conv, BatchNorm, Flatten spans,
/// residual streams): EigenRemove, Minimum Weight Selection, random removal, WeakExpand, ZeroExpand.
///
/// **Scores of a group.** A unit's score is taken over *all* of the group's outgoing slices
/// together: Minimum Weight Selection uses the L2 norm of the concatenation of the unit's slices
/// in every consumer (for one consumer with span 1 this is the Dense column norm); WeakExpand's
/// strength is the mean (absolute) value over the same concatenation. EigenRemove rank-reduces each
/// consumer weight first: a Dense `[out, units]` by truncated SVD, a conv `[O, units, k, k]` by the
/// truncated HOSVD over modes 0 and 1, a Dense after a Flatten `[out, units*span]` seen as
/// `[out, units, span]` by the HOSVD over modes 0 and 1 (the channel modes); at rank ratio 1 the
/// reduction is an exact copy, so EigenRemove selects as Minimum Weight Selection does.
public enum GroupResize {
    /// Per-unit sum over each outgoing slice of f(x), accumulated in Double, slices added in order.
    static func outgoingSums(_ tensors: [(Tensor, UnitSlice)], _ f: (Float) -> Double) -> [Double] {
        var sums: [Double]? = nil
        for (t, s) in tensors {
            // t is (outer, units*span, inner)
            let v = UnitAxisView(shape: t.shape, axis: s.axis, span: s.span)
            var part = [Double](repeating: 0, count: v.units)
            let block = s.span * v.inner
            for o in 0..<v.outer {
                for u in 0..<v.units {
                    let base = t.data + (o * v.length + u * s.span) * v.inner
                    if block == 1 { part[u] += f(base[0]); continue }
                    var acc = 0.0
                    for i in 0..<block { acc += f(base[i]) }
                    part[u] += acc
                }
            }
            if let prior = sums { sums = zip(prior, part).map(+) } else { sums = part }
        }
        return sums ?? []
    }

    /// L2 norm of each unit's outgoing weights over every slice in `tensors` (the group's
    /// `.outgoing` slices, or reduced copies of them).
    public static func outgoingNorms(_ tensors: [(Tensor, UnitSlice)]) -> [Float] {
        outgoingSums(tensors) { Double($0) * Double($0) }.map { Float($0.squareRoot()) }
    }

    /// Mean (absolute when `absolute`) outgoing weight of each unit over every outgoing slice.
    public static func outgoingMeans(_ group: UnitGroup, absolute: Bool) -> [Float] {
        let outgoing = group.slices.filter { $0.role == .outgoing }
        let sums = absolute ? outgoingSums(outgoing.map { ($0.tensor, $0) }) { Double(abs($0)) }
                            : outgoingSums(outgoing.map { ($0.tensor, $0) }) { Double($0) }
        let size = Double(max(outgoing.map(\.elementsPerUnit).reduce(0, +), 1))
        return sums.map { Float($0 / size) }
    }

    /// EigenRemove's reduction of one slice's tensor (producer weight or consumer weight).
    static func reduced(_ slice: UnitSlice, rankRatio: Double, method: SubspaceMethod) throws -> Tensor {
        let t = slice.tensor
        guard slice.span > 1, t.rank == 2 else {
            return try EigenRemove.reduced(t, rankRatio: rankRatio, method: method)
        }
        // [out, units*span] seen as [out, units, span]
        let view = t.reshaped([t.shape[0], t.shape[1] / slice.span, slice.span])
        return try EigenRemove.reduced(view, rankRatio: rankRatio, method: method).reshaped(t.shape)
    }

    /// EigenRemove's reductions of `slices`, in order. Several slices on more than one worker are
    /// reduced side by side, each on its own worker with single-threaded BLAS: LAPACK's
    /// tridiagonal reduction, most of each, gains little from a second thread (two 2048-wide
    /// weights: 0.40 s each at two threads, 0.60 s each at one, so 0.8 -> 0.6 s side by side).
    /// One slice, or one worker, runs with the process's BLAS threads; at one thread the
    /// numbers are those of reducing the slices one by one.
    static func reduced(_ slices: [UnitSlice], rankRatio: Double, method: SubspaceMethod) throws -> [Tensor] {
        let workers = Swift.min(Parallel.threads, slices.count)
        guard workers > 1 else { return try slices.map { try reduced($0, rankRatio: rankRatio, method: method) } }
        var results = [Result<Tensor, Error>?](repeating: nil, count: slices.count)
        results.withUnsafeMutableBufferPointer { out in
            BLAS.singleThreaded {
                Parallel.forEach(workers: workers) { w in
                    // worker w takes slices w, w + workers, ...: each entry written by one worker
                    for i in stride(from: w, to: slices.count, by: workers) {
                        out[i] = Result { try reduced(slices[i], rankRatio: rankRatio, method: method) }
                    }
                }
            }
        }
        return try results.map { try $0!.get() }
    }

    /// The units a shrink of `group` to `width` keeps (ascending), and for EigenRemove the reduced
    /// outgoing tensors (in `group.slices` order of the outgoing slices); with `reducingIncoming`
    /// and `.reduced` kept weights also the reduced incoming tensors the kept units will receive
    /// (in `group.slices` order of the incoming slices), computed side by side with the outgoing
    /// ones (`reduced(_:rankRatio:method:)`).
    static func select(_ group: UnitGroup, width: Int, method: ShrinkMethod, subspaceMethod: SubspaceMethod,
                       reducingIncoming: Bool = false)
        throws -> (kept: [Int], reducedOutgoing: [Tensor]?, reducedIncoming: [Tensor]?) {
        let outgoing = group.slices.filter { $0.role == .outgoing }
        switch method {
        case .minimumWeight:
            return (largestIndices(outgoingNorms(outgoing.map { ($0.tensor, $0) }), count: width), nil, nil)
        case .eigenRemove(let ratio, let keptWeights):
            let incoming = reducingIncoming && keptWeights == .reduced ? group.slices.filter { $0.role == .incoming } : []
            let all = try reduced(outgoing + incoming, rankRatio: ratio, method: subspaceMethod)
            let reducedOutgoing = Array(all.prefix(outgoing.count))
            return (largestIndices(outgoingNorms(Array(zip(reducedOutgoing, outgoing))), count: width),
                    reducedOutgoing, incoming.isEmpty ? nil : Array(all.dropFirst(outgoing.count)))
        case .random(let seed):
            var rng = RandomSource(seed: seed)
            return (UnitSelection.random(unitCount: group.count, keep: width, rng: &rng), nil, nil)
        }
    }

    /// Throws unless `method`'s rank ratio (EigenRemove) lies in (0, 1].
    static func validateRankRatio(of method: ShrinkMethod, group: UnitGroup) throws {
        if case .eigenRemove(let ratio, _) = method, !(ratio > 0 && ratio <= 1) {
            throw SurgeryError.rankRatioOutOfRange(path: group.anchor.description, rankRatio: ratio)
        }
    }

    /// Throws unless `width` and `method` describe a valid shrink of `group`.
    static func validateShrink(_ group: UnitGroup, width: Int, method: ShrinkMethod) throws {
        let name = group.anchor.description
        try validateRankRatio(of: method, group: group)
        guard width < group.count else {
            throw SurgeryError.widthNotSmaller(path: name, width: group.count, target: width)
        }
        guard width >= 1 else { throw SurgeryError.removesEveryUnit(path: name, unitCount: group.count) }
    }

    /// Throws unless `width` describes a valid expansion of `group` whose tensors fit in
    /// `memoryLimit` bytes (see `expansionBytes`).
    static func validateExpand(_ group: UnitGroup, width: Int, method: ExpandMethod, memoryLimit: Double) throws {
        guard width > group.count else {
            throw SurgeryError.widthNotLarger(path: group.anchor.description, width: group.count, target: width)
        }
        if case .weak(_, let std, _) = method, !(std >= 0 && std.isFinite) {
            throw SurgeryError.invalidValue(
                name: "noise standard deviation", value: "\(std)", reason: "must be finite and >= 0")
        }
        let bytes = expansionBytes(group, width: width)
        guard bytes <= memoryLimit else {
            throw SurgeryError.tooLarge(path: group.anchor.description, width: width, bytes: bytes, limit: memoryLimit)
        }
    }

    /// Bytes the group's tensors take at `width` units: every slice's value, gradient, optimizer
    /// moments and mask, counted twice (the old and the new tensor live together while copying).
    /// Counted in Double so an absurd width cannot overflow.
    static func expansionBytes(_ group: UnitGroup, width: Int) -> Double {
        var bytes = 0.0
        for s in group.slices {
            let copies = 1 + (s.parameter.map { 1 + $0.state.count + ($0.mask == nil ? 0 : 1) } ?? 0)
            let total = Double(s.tensor.count) / Double(max(s.unitCount, 1)) * Double(width)
            bytes += 2 * total * Double(copies) * Double(MemoryLayout<Float>.size)
        }
        return bytes
    }

    /// The source of each of the `width - group.count` new units: WeakExpand splits by decreasing
    /// outgoing strength (cycling); ZeroExpand's new units have none (nil).
    static func expansionSources(_ group: UnitGroup, width: Int, method: ExpandMethod) -> [Int?] {
        switch method {
        case .weak(let order, _, _):
            let strength = outgoingMeans(group, absolute: order == .meanAbsoluteOutgoing)
            return WeakExpandSplit.sources(strength: strength, newWidth: width)
        case .zero:
            return Array(repeating: nil, count: width - group.count)
        }
    }
}

extension Network {
    /// Shrinks the units of `group` to `width` by `method` and returns the kept units (ascending).
    /// Every slice (producers, BatchNorm entries, consumers; every producer and consumer of a
    /// residual stream) keeps the same units, with gradients, masks and optimizer moments. For
    /// EigenRemove with `.reduced`, producers' and consumers' weights become their rank-reduced
    /// versions (biases and BatchNorm entries keep their values). Validates and computes every
    /// tensor before the first write: on an error the network is unchanged.
    @discardableResult
    public func shrinkUnits(of group: UnitGroup, to width: Int, method: ShrinkMethod,
                            subspaceMethod: SubspaceMethod = .gram) throws -> [Int] {
        try GroupResize.validateShrink(group, width: width, method: method)
        let (kept, reducedOutgoing, reducedIncoming) = try GroupResize.select(
            group, width: width, method: method, subspaceMethod: subspaceMethod, reducingIncoming: true)
        try keepUnits(kept, of: group, method: method, subspaceMethod: subspaceMethod,
                      reducedIncoming: reducedIncoming, reducedOutgoing: reducedOutgoing)
        return kept
    }

    /// Shrinks the group at `layer` (see `shrinkUnits(of:to:method:subspaceMethod:)`).
    @discardableResult
    public func shrinkUnits(layer: LayerPath, to width: Int, method: ShrinkMethod,
                            subspaceMethod: SubspaceMethod = .gram) throws -> [Int] {
        try shrinkUnits(of: UnitGroup(network: self, layer: layer), to: width, method: method,
                        subspaceMethod: subspaceMethod)
    }

    /// Keeps units `kept` (distinct, at least one) of `group`. For EigenRemove with `.reduced` the
    /// kept units get the rank-reduced weights: `reducedIncoming` / `reducedOutgoing` (one tensor
    /// per incoming / outgoing slice, in `group.slices` order) when the caller has them, else
    /// computed here. Every tensor is computed before the first write.
    func keepUnits(_ kept: [Int], of group: UnitGroup, method: ShrinkMethod, subspaceMethod: SubspaceMethod,
                   reducedIncoming: [Tensor]? = nil, reducedOutgoing: [Tensor]? = nil) throws {
        try group.validate(kept)
        guard !kept.isEmpty else {
            throw SurgeryError.removesEveryUnit(path: group.anchor.description, unitCount: group.count)
        }
        let slices = group.slices
        var newValues: [Tensor?] = Array(repeating: nil, count: slices.count)
        if case .eigenRemove(let ratio, .reduced) = method {
            // the reductions the caller did not pass, computed together as `select` computes them
            // (side by side, so a replayed plan gets the same weights at any thread count)
            let incoming = slices.filter { $0.role == .incoming }, outgoing = slices.filter { $0.role == .outgoing }
            let computed = try GroupResize.reduced(
                (reducedIncoming == nil ? incoming : []) + (reducedOutgoing == nil ? outgoing : []),
                rankRatio: ratio, method: subspaceMethod)
            let incomingValues = reducedIncoming ?? Array(computed.prefix(incoming.count))
            let outgoingValues = reducedOutgoing ?? Array(computed.suffix(outgoing.count))
            var nextIncoming = 0, nextOutgoing = 0
            for (i, s) in slices.enumerated() {
                switch s.role {
                case .incoming:
                    newValues[i] = incomingValues[nextIncoming]
                    nextIncoming += 1
                case .outgoing:
                    newValues[i] = outgoingValues[nextOutgoing]
                    nextOutgoing += 1
                case .bias, .normalization: break
                }
            }
        }
        for (i, s) in slices.enumerated() {
            let value = newValues[i]?.keepingUnits(kept, axis: s.axis, span: s.span)
            s.keepUnits(kept)
            if let value, let p = s.parameter { p.value = value }
        }
        _ = try shapes()
    }

    /// Grows `group` to `width` units by `method`; new units are appended after the existing ones
    /// and returned as their sources (WeakExpand: the unit each copies; ZeroExpand: nil).
    ///
    /// WeakExpand: each copy gets its source's incoming weights, bias and BatchNorm entries (scale,
    /// shift, running mean and variance) in every producer and BatchNorm of the group, so it
    /// computes the same activation; every outgoing entry of a unit split into c copies (all H*W
    /// columns after a Flatten, every consumer of a residual stream) is divided by c. ZeroExpand:
    /// new units get incoming weights and biases from the initializer (each producer its own draw,
    /// fan-in = the filter's size), fresh BatchNorm entries (scale 1, shift 0, mean 0, variance 1)
    /// and zero outgoing weights, so they contribute nothing whatever their activation.
    /// New units start with zero gradients and moments; WeakExpand copies inherit their source's
    /// mask, ZeroExpand units are trainable. A width whose tensors would need more than
    /// `memoryLimit` bytes is refused (`SurgeryError.tooLarge`). On an error the network is unchanged.
    @discardableResult
    public func expandUnits(of group: UnitGroup, to width: Int, method: ExpandMethod,
                            memoryLimit: Double = MemoryBudget.standard.limit) throws -> [Int?] {
        try GroupResize.validateExpand(group, width: width, method: method, memoryLimit: memoryLimit)
        let added = GroupResize.expansionSources(group, width: width, method: method)
        try appendUnits(to: group, sources: added, method: method)
        return added
    }

    /// Grows the group at `layer` (see `expandUnits(of:to:method:memoryLimit:)`).
    @discardableResult
    public func expandUnits(layer: LayerPath, to width: Int, method: ExpandMethod,
                            memoryLimit: Double = MemoryBudget.standard.limit) throws -> [Int?] {
        try expandUnits(of: UnitGroup(network: self, layer: layer), to: width, method: method, memoryLimit: memoryLimit)
    }

    /// Appends one unit per entry of `added` (its source for WeakExpand, nil for ZeroExpand) to
    /// `group` (validated by the caller); computes every new value first, then writes.
    func appendUnits(to group: UnitGroup, sources added: [Int?], method: ExpandMethod) throws {
        let n = group.count, width = n + added.count
        let sources: [Int?] = (0..<n).map { $0 } + added
        let stateSources: [Int?] = (0..<n).map { $0 } + Array(repeating: nil, count: width - n)
        var copies = [Int](repeating: 1, count: n)
        for s in added { if let s { copies[s] += 1 } }
        let scales = sources.map { $0.map { 1 / Float(copies[$0]) } ?? 1 }
        let slices = group.slices
        var values: [Tensor] = []
        var initRng: RandomSource? = nil
        if case .zero(_, let seed) = method { initRng = RandomSource(seed: seed) }
        var weightOfProducer: [LayerPath: Tensor] = [:]
        for s in slices {
            let t = s.tensor
            switch (s.role, method) {
            case (.outgoing, .weak(_, let std, let seed)):
                let out = t.gathered(axis: s.axis, sources: sources, span: s.span, scales: scales)
                if std > 0 {
                    var rng = RandomSource(seed: seed &+ UInt64(values.count))
                    out.addZeroSumNoise(sources: sources, axis: s.axis, span: s.span, std: std, rng: &rng)
                }
                values.append(out)
            case (.outgoing, .zero):
                values.append(t.gathered(axis: s.axis, sources: stateSources, span: s.span))
            case (_, .weak):
                values.append(t.gathered(axis: s.axis, sources: sources, span: s.span))
            case (.incoming, .zero(let initializer, _)):
                let (weight, bias) = zeroExpandedProducer(s, in: slices, stateSources: stateSources,
                                                          newUnits: n..<width, initializer: initializer, rng: &initRng!)
                if let bias { weightOfProducer[s.layer] = bias }
                values.append(weight)
            case (.bias, .zero):
                // filled together with the producer's weight (the weight slice comes first)
                values.append(weightOfProducer[s.layer] ?? t.gathered(axis: 0, sources: stateSources))
            case (.normalization, .zero):
                let fill: Float = (s.name == "weight" || s.name == "running_var") ? 1 : 0
                values.append(t.gathered(axis: s.axis, sources: stateSources, span: s.span, fill: fill))
            }
        }
        for (s, value) in zip(slices, values) {
            switch s.storage {
            case .parameter(let p):
                p.remapUnits(axis: s.axis, span: s.span, value: value, stateSources: stateSources, maskSources: sources)
            case .buffer(let t):
                t.resize(value.shape)
                t.assign(value)
            }
        }
        _ = try shapes()
    }

    /// ZeroExpand's new producer weight (and bias, when the producer has one): the existing units
    /// kept, `newUnits` drawn from `initializer` with fan-in = the unit's incoming size.
    private func zeroExpandedProducer(_ s: UnitSlice, in slices: [UnitSlice], stateSources: [Int?],
                                      newUnits: Range<Int>, initializer: Initializer,
                                      rng: inout RandomSource) -> (Tensor, Tensor?) {
        let t = s.tensor, width = stateSources.count
        let out = t.gathered(axis: s.axis, sources: stateSources, span: s.span)
        let perUnit = s.elementsPerUnit
        let row = Tensor(zeros: [1, perUnit]), b = Tensor(zeros: [1])
        let bias = slices.first { $0.layer == s.layer && $0.role == .bias }
        let newBias = bias.map { $0.tensor.gathered(axis: 0, sources: stateSources) }
        for u in newUnits {
            initializer.initialize(weight: row, bias: newBias == nil ? nil : b, fanIn: perUnit,
                                   fanOut: width * (perUnit / max(t.shape[1], 1)), using: &rng)
            (out.data + u * perUnit).update(from: row.data, count: perUnit)
            newBias?.data[u] = b.data[0]
        }
        return (out, newBias)
    }
}

extension WeakExpandSplit {
    /// The source unit of each of the `newWidth - strength.count` new units, by decreasing
    /// `strength`, cycling; ties go to the lower index.
    public static func sources(strength: [Float], newWidth: Int) -> [Int] {
        let n = strength.count
        precondition(newWidth > n && n > 0, "split \(n) units into \(newWidth)")
        let ranked = strength.indices.sorted { strength[$0] != strength[$1] ? strength[$0] > strength[$1] : $0 < $1 }
        return (0..<(newWidth - n)).map { ranked[$0 % n] }
    }
}

extension Tensor {
    /// A tensor whose unit `i` along `axis` (each `span` wide, a slice when `span` is 1) is unit
    /// `sources[i]` of this one times `scales[i]` (1 when `scales` is nil), or `fill` everywhere
    /// where `sources[i]` is nil.
    public func gathered(axis: Int, sources: [Int?], span: Int = 1, scales: [Float]? = nil, fill: Float = 0) -> Tensor {
        // self is (outer, units*span, inner); result is (outer, sources.count*span, inner)
        let v = UnitAxisView(shape: shape, axis: axis, span: span)
        let k = sources.count
        precondition(scales == nil || scales!.count == k, "\(scales!.count) scales for \(k) units")
        let index = sources.map { s -> Int in
            guard let s else { return -1 }
            precondition(s >= 0 && s < v.units, "unit \(s) outside 0..<\(v.units) along axis \(axis) of \(shape)")
            return s
        }
        let scale = scales ?? [Float](repeating: 1, count: k)
        var newShape = shape
        newShape[axis] = k * span
        let t = Tensor(repeating: fill, shape: newShape)
        let block = span * v.inner
        for o in 0..<v.outer {
            let src = data + o * v.length * v.inner, dst = t.data + o * k * block
            if block == 1 {
                // one element per unit (a Dense consumer's columns, a bias)
                for i in 0..<k where index[i] >= 0 { dst[i] = src[index[i]] * scale[i] }
                continue
            }
            for i in 0..<k where index[i] >= 0 {
                let from = src + index[i] * block, to = dst + i * block
                if scale[i] == 1 {
                    to.update(from: from, count: block)
                } else {
                    for j in 0..<block { to[j] = from[j] * scale[i] }
                }
            }
        }
        return t
    }

    /// Adds to each split unit's copies (units sharing a source) N(0, std) noise with zero sum
    /// over the copies, element by element.
    func addZeroSumNoise(sources: [Int?], axis: Int, span: Int, std: Float, rng: inout RandomSource) {
        var groups: [Int: [Int]] = [:]
        for (i, s) in sources.enumerated() { if let s { groups[s, default: []].append(i) } }
        let v = UnitAxisView(shape: shape, axis: axis, span: span)
        for unit in groups.keys.sorted() {
            guard let members = groups[unit], members.count > 1 else { continue }
            var noise = [[Float]](repeating: [], count: members.count)
            for c in members.indices { noise[c] = (0..<v.elementsPerUnit).map { _ in rng.normal(std: std) } }
            for e in 0..<v.elementsPerUnit {
                let mean = members.indices.reduce(Float(0)) { $0 + noise[$1][e] } / Float(members.count)
                for c in members.indices { noise[c][e] -= mean }
            }
            for (c, member) in members.enumerated() {
                var values = unitValues(member, axis: axis, span: span)
                for e in values.indices { values[e] += noise[c][e] }
                setUnitValues(member, axis: axis, span: span, values)
            }
        }
    }
}

extension Parameter {
    /// Sets the value to `value` and re-slices gradient, optimizer state (from `stateSources`,
    /// nil: zero) and mask (from `maskSources`, nil: 1) along `axis` with `span`.
    func remapUnits(axis: Int, span: Int, value: Tensor, stateSources: [Int?], maskSources: [Int?]) {
        self.value = value
        grad = grad.gathered(axis: axis, sources: stateSources, span: span)
        mask = mask?.gathered(axis: axis, sources: maskSources, span: span, fill: 1)
        var s = state
        for (key, t) in s { s[key] = t.gathered(axis: axis, sources: stateSources, span: span) }
        state = s
    }
}
