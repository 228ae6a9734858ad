import SculptCore

/// The tap path: a small padded output multiplied tap by tap.
///
/// On a small output most of im2col's products are with padding: VGG16's 3x3 layers on a 3x3
/// input (padding 1) compute 81 tap-position products per channel pair, of which 49 read the
/// input and 32 read zeros. The tap path lays a chunk of S samples out as (I, H*W, S) and
/// (O, OH*OW, S), so that for each tap the output positions it reaches, and the input positions
/// they read, form runs along the middle axis (one run per output row, or one for the whole
/// tap when rows are complete); each run is one sgemm of W[:, :, ky, kx] (O, I) by the run's
/// input (I, run * S). The backward pass runs the same products transposed: dW by tap from dy
/// and x, dx from Wᵀ and dy. The sums are im2col's without the zero terms, in another order.
extension Conv2D {
    /// The largest output plane (OH*OW) the tap path takes: 4x4, where padding still takes
    /// about a third of im2col's products (2x2: 56%, 3x3: 40%, 4x4: 31% for a 3x3 kernel with
    /// padding 1); beyond it the runs get short against the products they save.
    public static let tapsMaximumPlane = 16

    /// Whether an input of this geometry takes the tap path under `.automatic`: stride 1, a
    /// padded kernel larger than 1x1, an output of at most `tapsMaximumPlane` positions, at least
    /// `winogradMinimumChannels` input and output channels (each product's inner size is the
    /// input channel count), and neither the center-tap nor the Winograd path.
    public func usesTaps(_ g: WindowGeometry) -> Bool {
        guard algorithm == .automatic, stride == 1, padding > 0, kernelSize > 1, g.outputPlane <= Conv2D.tapsMaximumPlane,
              Swift.min(inputChannels, outputChannels) >= Conv2D.winogradMinimumChannels else { return false }
        return !usesCenterTap(g) && winogradTile(height: g.height, width: g.width) == nil
    }

    /// A stretch of output positions `p0 ..< p0 + length` that tap `tap` maps onto the input
    /// positions `q0 ..< q0 + length` (both in row-major order of their planes).
    struct TapRun: Equatable {
        var tap: Int, p0: Int, q0: Int, length: Int
    }

    /// Every tap's runs for a stride-1 geometry, taps in order (ky, kx).
    static func tapRuns(_ g: WindowGeometry) -> [TapRun] {
        let k = g.kernelHeight, pad = g.padding, oh = g.outputHeight, ow = g.outputWidth
        var runs: [TapRun] = []
        for ky in 0..<k {
            let oy0 = Swift.max(0, pad - ky), oy1 = Swift.min(oh, g.height + pad - ky)
            guard oy0 < oy1 else { continue }
            for kx in 0..<g.kernelWidth {
                let ox0 = Swift.max(0, pad - kx), ox1 = Swift.min(ow, g.width + pad - kx)
                guard ox0 < ox1 else { continue }
                let tap = ky * g.kernelWidth + kx
                if ox0 == 0 && ox1 == ow && ow == g.width && kx == pad {
                    // whole rows in both planes: one run for the tap
                    runs.append(TapRun(tap: tap, p0: oy0 * ow, q0: (oy0 + ky - pad) * g.width, length: (oy1 - oy0) * ow))
                } else {
                    for oy in oy0..<oy1 {
                        runs.append(TapRun(tap: tap, p0: oy * ow + ox0, q0: (oy + ky - pad) * g.width + ox0 + kx - pad,
                                           length: ox1 - ox0))
                    }
                }
            }
        }
        return runs
    }

    /// Samples per chunk, chunk count and workers of the tap path: a chunk's input (I, H*W, S),
    /// output or dy (O, OH*OW, S) and, in backward, dx (I, H*W, S) within the chunk budget.
    private func tapsPlan(_ g: WindowGeometry, batch: Int) -> (samples: Int, chunks: Int, workers: Int) {
        plan(perSample: 2 * inputChannels * g.inputPlane + outputChannels * g.outputPlane, budget: chunkElements,
             batch: batch)
    }

    /// (S, C, P) at `source` -> (C, P, S) at `target`.
    @inline(__always)
    private static func toChannelPositionSample(
        _ source: UnsafePointer<Float>, samples: Int, channels: Int, plane: Int, into target: UnsafeMutablePointer<Float>
    ) {
        for s in 0..<samples {
            let src = source + s * channels * plane
            for i in 0..<(channels * plane) { target[i * samples + s] = src[i] }
        }
    }

    /// (C, P, S) at `source` -> (S, C, P) at `target`.
    @inline(__always)
    private static func toSampleChannelPosition(
        _ source: UnsafePointer<Float>, samples: Int, channels: Int, plane: Int, into target: UnsafeMutablePointer<Float>
    ) {
        for s in 0..<samples {
            let dst = target + s * channels * plane
            for i in 0..<(channels * plane) { dst[i] = source[i * samples + s] }
        }
    }

    /// y = conv(x) by taps, chunk by chunk.
    func tapsForward(_ x: Tensor, _ g: WindowGeometry) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, area = kernelSize * kernelSize
        let pin = g.inputPlane, pout = g.outputPlane
        // W (O, I, k, k) -> by tap (k*k, O, I)
        tapWeights.resize([area, o, c])
        let wt = tapWeights.data, wv = weight.value.data
        Parallel.forRanges(count: o, work: area * o * c) { outputs in
            for t in 0..<area {
                for oc in outputs { for ic in 0..<c { wt[(t * o + oc) * c + ic] = wv[(oc * c + ic) * area + t] } }
            }
        }
        let runs = Conv2D.tapRuns(g)
        let (samples, chunks, workers) = tapsPlan(g, batch: b)
        for w in workspaces.prefix(workers) {
            w.columns.resize([c, pin, samples])
            w.product.resize([o, pout, samples])
        }
        let xs = x.data, ys = output.data, bv = bias?.value.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers, balanced: true) { space, start, count in
            let xt = space.columns.data, yt = space.product.data
            Conv2D.toChannelPositionSample(xs + start * c * pin, samples: count, channels: c, plane: pin, into: xt)
            for oc in 0..<o { (yt + oc * pout * count).update(repeating: bv?[oc] ?? 0, count: pout * count) }
            for run in runs {
                BLAS.gemm(transA: false, transB: false, m: o, n: run.length * count, k: c, a: wt + run.tap * o * c,
                          lda: c, b: xt + run.q0 * count, ldb: pin * count, beta: 1, c: yt + run.p0 * count,
                          ldc: pout * count)
            }
            Conv2D.toSampleChannelPosition(yt, samples: count, channels: o, plane: pout, into: ys + start * o * pout)
        }
    }

    /// dW, db and dx of the tap path, chunk by chunk; the workers' dW by tap are summed in a fixed
    /// order and then added into dW's (O, I, k, k) layout.
    func tapsBackward(_ x: Tensor, _ dy: Tensor, _ g: WindowGeometry, needInputGradient: Bool) {
        let b = x.shape[0], c = inputChannels, o = outputChannels, area = kernelSize * kernelSize
        let pin = g.inputPlane, pout = g.outputPlane
        let runs = Conv2D.tapRuns(g)
        let (samples, chunks, workers) = tapsPlan(g, batch: b)
        for w in workspaces.prefix(workers) {
            w.columns.resize([c, pin, samples])
            w.product.resize([o, pout, samples])
            if needInputGradient { w.tiles.resize([c, pin, samples]) }
            w.weightGrad.resize([area, o, c]); w.weightGrad.fill(0)
        }
        resetWorkerBiasGradients(workers: workers)
        let xs = x.data, gs = dy.data, dxs = gradInput.data, wt = tapWeights.data
        forEachChunk(batch: b, samples: samples, chunks: chunks, workers: workers) { space, start, count in
            let xt = space.columns.data, dyt = space.product.data, dwt = space.weightGrad.data
            Conv2D.toChannelPositionSample(gs + start * o * pout, samples: count, channels: o, plane: pout, into: dyt)
            if let db = biasGradientSums(in: space, workers: workers) {
                for oc in 0..<o { db[oc] += Kernels.sum(dyt + oc * pout * count, count: pout * count) }
            }
            Conv2D.toChannelPositionSample(xs + start * c * pin, samples: count, channels: c, plane: pin, into: xt)
            for run in runs {
                BLAS.gemm(transA: false, transB: true, m: o, n: c, k: run.length * count, a: dyt + run.p0 * count,
                          lda: pout * count, b: xt + run.q0 * count, ldb: pin * count, beta: 1,
                          c: dwt + run.tap * o * c, ldc: c)
            }
            guard needInputGradient else { return }
            let dxt = space.tiles.data
            dxt.update(repeating: 0, count: c * pin * count)
            for run in runs {
                BLAS.gemm(transA: true, transB: false, m: c, n: run.length * count, k: o, a: wt + run.tap * o * c,
                          lda: c, b: dyt + run.p0 * count, ldb: pout * count, beta: 1, c: dxt + run.q0 * count,
                          ldc: pin * count)
            }
            Conv2D.toSampleChannelPosition(dxt, samples: count, channels: c, plane: pin, into: dxs + start * c * pin)
        }
        addWorkerBiasGradients(workers: workers)
        // dW (O, I, k, k) += the workers' dW by tap (k*k, O, I), summed worker by worker, split by output channels
        let sums = UncheckedSendable(workspaces.prefix(workers).map { UnsafePointer($0.weightGrad.data) })
        let dw = weight.grad.data
        Parallel.forRanges(count: o, work: area * o * c * workers) { outputs in
            let dwts = sums.value, first = dwts[0]
            for oc in outputs {
                for ic in 0..<c {
                    for t in 0..<area {
                        let at = (t * o + oc) * c + ic
                        var sum = first[at]
                        for dwt in dwts.dropFirst() { sum += dwt[at] }
                        dw[(oc * c + ic) * area + t] += sum
                    }
                }
            }
        }
    }
}
