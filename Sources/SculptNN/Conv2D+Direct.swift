import SculptCore

/// The direct path (`DirectConvolution`): 3x3 stride-1 layers whose input and output channel
/// counts are multiples of 16, on channel-minor copies of each sample.
extension Conv2D {
    /// Whether a layer of these sizes takes the direct path on an input of `height x width`
    /// under `algorithm` (the rule `usesDirect(height:width:)` applies, for callers that have only
    /// an architecture, as `MemoryEstimate`).
    public static func usesDirect(inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, height: Int,
                                  width: Int, algorithm: Algorithm = .automatic) -> Bool {
        guard kernel == 3 && stride == 1 && padding <= 2 && height + 2 * padding >= 3 && width + 2 * padding >= 3
            && DirectConvolution.supports(outputs: outputs) && DirectConvolution.supports(outputs: inputs)
        else { return false }
        switch algorithm {
        case .direct: return true
        case .automatic:
            return directPays(
                inputs: inputs, outputs: outputs, outputHeight: height + 2 * padding - 2,
                outputWidth: width + 2 * padding - 2)
        case .im2col, .winograd, .winograd4x4: return false
        }
    }

    /// `.automatic`'s choice of the direct path where the geometry allows it: where Winograd's
    /// F(2x2, 3x3) would be taken (`Winograd.pays`, so not on 3x3 outputs, where the tap path and
    /// im2col are faster) and either the layer is small (C * O <= 1024: Winograd's 16 products
    /// are too thin to run near sgemm's peak) or its output wastes Winograd's tiles (more than 4.5
    /// multiplies per output against 4 without waste: odd sides, as 7x7). Measured on W7's and
    /// W3's layers (issue 17, two threads, paired alternations, forward + backward): the direct
    /// path 0.85-0.92x Winograd's time on 16 -> 16 at 28x28, 16 -> 32 and 32 -> 32 at 14x14,
    /// 32 -> 64 and 64 -> 64 at 7x7; Winograd faster on 32 -> 64 at 14x14. Only where
    /// `automaticTakesDirect` (AVX-512 in a host-tuned build).
    static func directPays(inputs: Int, outputs: Int, outputHeight oh: Int, outputWidth ow: Int) -> Bool {
        guard automaticTakesDirect && Winograd.pays(outputHeight: oh, outputWidth: ow, tile: .f2x2) else {
            return false
        }
        return inputs * outputs <= 1024
            || Winograd.multiplies(outputHeight: oh, outputWidth: ow, tile: .f2x2) * 2 > 9 * oh * ow
    }

    /// Whether `.automatic` may take the direct path in this build: where fused multiply-adds are
    /// instructions (`SCULPT_NATIVE`, set by Package.swift unless `SCULPT_PORTABLE=1`) and the
    /// vector registers hold its blocks (AVX-512, `DirectConvolution.wideRegisters`). On AVX2
    /// (an AMD Zen 3, two threads, W7's layers forward + backward) it took 1.1-1.7x Winograd's
    /// time even with blocks sized for 16 registers; NEON's registers hold as few floats as
    /// AVX2's, so arm64 takes Winograd too (not measured there).
    public static var automaticTakesDirect: Bool {
        #if SCULPT_NATIVE
        DirectConvolution.wideRegisters
        #else
        false
        #endif
    }

    /// Whether an input of `height x width` takes the direct path.
    public func usesDirect(height: Int, width: Int) -> Bool {
        Conv2D.usesDirect(
            inputs: inputChannels, outputs: outputChannels, kernel: kernelSize, stride: stride, padding: padding,
            height: height, width: width, algorithm: algorithm)
    }

    /// y = conv(x) + bias, sample by sample: x packed channel-minor (into `inputTiles` when
    /// `keepInput`, for the weight gradient), the kernel into a channel-minor scratch, transposed to y.
    func directForward(_ x: Tensor, _ g: WindowGeometry, keepInput: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, oh = g.outputHeight, ow = g.outputWidth
        let padded = DirectConvolution.paddedCount(channels: c, height: g.height, width: g.width, padding: padding)
        let inSample = c * g.inputPlane, outSample = o * g.outputPlane
        let (samples, chunks, workers) = plan(perSample: padded, budget: Conv2D.defaultChunkElements, batch: b)
        for w in workspaces.prefix(workers) {
            if !keepInput { w.tiles.resize([padded]) }
            w.tileProduct.resize([outSample])
        }
        if keepInput {
            inputTiles.resize([b * padded])
            inputTilesChunk = samples
        }
        filters.resize([DirectConvolution.filterCount(outputs: o, inputs: c)])
        DirectConvolution.packFilters(weight.value.data, outputs: o, inputs: c, flipped: false, into: filters.data)
        let xs = x.data, ys = output.data, f = filters.data, bv = bias?.value.data, kept = inputTiles.data
        let pad = padding
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers, balanced: true) { space, start, count in
            for s in start..<(start + count) {
                let xp = keepInput ? kept + s * padded : space.tiles.data
                DirectConvolution.packInput(
                    xs + s * inSample, channels: c, height: g.height, width: g.width, padding: pad, into: xp)
                DirectConvolution.forward(
                    xp, inputs: c, outputs: o, outputHeight: oh, outputWidth: ow, filters: f, bias: bv,
                    scratch: space.tileProduct.data, into: ys + s * outSample)
            }
        }
    }

    /// dW += Σ dy ⊗ x over taps, db += Σ dy, and dx = the 3x3 convolution of dy (padding 2 - p)
    /// with the flipped, transposed filters, chunk by chunk: each worker packs its chunk's dy
    /// channel-minor once for both, sums its own dW in `filterGrad`; the workers' sums are added in
    /// a fixed order.
    func directBackward(_ x: Tensor, _ dy: Tensor, _ g: WindowGeometry, needInputGradient: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, oh = g.outputHeight, ow = g.outputWidth
        let p = g.outputPlane, inSample = c * g.inputPlane, q = 2 - padding
        let padded = DirectConvolution.paddedCount(channels: c, height: g.height, width: g.width, padding: padding)
        let dyPadded = DirectConvolution.paddedCount(channels: o, height: oh, width: ow, padding: q)
        let kept = inputTilesChunk > 0
        let (samples, chunks, workers) = plan(
            perSample: dyPadded + (kept ? 0 : padded), budget: Conv2D.defaultChunkElements, batch: b)
        let gradCount = DirectConvolution.gradientCount(outputs: o, inputs: c)
        for w in workspaces.prefix(workers) {
            w.tileProduct.resize([samples * dyPadded])
            if !kept { w.tiles.resize([samples * padded]) }
            if needInputGradient { w.columns.resize([inSample]) }
            w.filterGrad.resize([gradCount]); w.filterGrad.fill(0)
        }
        resetWorkerBiasGradients(workers: workers)
        if needInputGradient {
            filters.resize([DirectConvolution.filterCount(outputs: o, inputs: c)])
            DirectConvolution.packFilters(weight.value.data, outputs: o, inputs: c, flipped: true, into: filters.data)
        }
        let xs = x.data, gs = dy.data, dxs = gradInput.data, f = filters.data, keptInput = inputTiles.data
        let pad = padding
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let dyp = space.tileProduct.data
            let xp = kept ? keptInput + start * padded : space.tiles.data
            for i in 0..<count {
                let s = start + i
                DirectConvolution.packInput(
                    gs + s * o * p, channels: o, height: oh, width: ow, padding: q, into: dyp + i * dyPadded)
                if !kept {
                    DirectConvolution.packInput(
                        xs + s * inSample, channels: c, height: g.height, width: g.width, padding: pad,
                        into: xp + i * padded)
                }
            }
            if let db = biasGradientSums(in: space, workers: workers) {
                DirectConvolution.accumulateBiasGradient(
                    dy: dyp, dyPadding: q, dyStride: dyPadded, samples: count, outputs: o, outputHeight: oh,
                    outputWidth: ow, into: db)
            }
            DirectConvolution.accumulateFilterGradient(
                dy: dyp, dyPadding: q, dyStride: dyPadded, x: xp, xStride: padded, samples: count, inputs: c,
                outputs: o, outputHeight: oh, outputWidth: ow, into: space.filterGrad.data)
            guard needInputGradient else { return }
            for i in 0..<count {
                DirectConvolution.forward(
                    dyp + i * dyPadded, inputs: o, outputs: c, outputHeight: g.height, outputWidth: g.width, filters: f,
                    bias: nil, scratch: space.columns.data, into: dxs + (start + i) * inSample)
            }
        }
        addWorkerBiasGradients(workers: workers)
        DirectConvolution.unpackFilterGradients(
            workspaces.prefix(workers).map { UnsafePointer($0.filterGrad.data) }, outputs: o, inputs: c,
            into: weight.grad.data)
    }
}
