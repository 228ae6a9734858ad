import SculptCore

/// A batch normalization, the ReLU after it and a max pooling after that as one stage
/// (`Network.fusesBatchNormReluPooling`): bit for bit what the three layers compute one by one, but
/// the normalized activations (B, C, H, W) are never written. The forward pools each plane right
/// after its channel's statistics (the channel's planes still in cache) and writes only the pooled
/// output and the maxima's offsets: one write and one read of the activations saved (on W7's 16 x
/// 28 x 28 maps, 6.4 MB each for a batch of 128). The backward is the pooling's, then the pair's.
extension BatchNorm {
    /// The values the pooling compares in the fused stage: relu(gamma * ((x - mean) * invStd) +
    /// beta), the operations and order of `forward(_:training:rectifying:)`'s tail, so its bits.
    struct NormalizedRectified: PoolInput {
        let mean: Float, invStd: Float, gamma: Float, beta: Float

        @inline(__always) func value(_ v: Float) -> Float {
            let y = gamma * ((v - mean) * invStd) + beta
            return y > 0 ? y : 0  // as Activation's ReLU: NaN -> 0
        }
    }

    /// This layer, a ReLU and `pool` in one pass over `x` (B, C, H, W): returns `pool`'s output,
    /// which `pool` owns. The running statistics move as in `forward(_:training:)`. Planes of fewer
    /// than 16 values run the rectifying forward, then the pooling (the sample-major path).
    public func forward(_ x: Tensor, training: Bool, pooling pool: MaxPool2D) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == features, "\(spec.summary) got input \(x.shape)")
        let b = x.shape[0], c = features, s = x.shape[2] * x.shape[3]
        guard s >= 16 else { return pool.forward(forward(x, training: training, rectifying: true), rectifying: false) }
        let g = pool.prepareForward(x.shape)
        beginForward(x, training: training, rectifying: true, pooled: true)
        let xs = x.data, ys = pool.pooledOutput.data, idx = pool.argmaxOffsets
        let gamma = weight.value.data, beta = bias.value.data
        let outPlane = g.outputHeight * g.outputWidth
        let k = pool.kernelSize, step = pool.stride, p = pool.padding
        Parallel.forRanges(count: c, work: x.count) { channels in
            for ch in channels {
                let (mean, invStd) = self.channelStatistics(xs, batch: b, plane: s, channel: ch, training: training)
                let input = NormalizedRectified(mean: mean, invStd: invStd, gamma: gamma[ch], beta: beta[ch])
                for bi in 0..<b {
                    let plane = bi * c + ch
                    MaxPool2D.poolPlane(
                        xs + plane * s, into: ys + plane * outPlane, argmax: idx + plane * outPlane, geometry: g,
                        kernel: k, stride: step, padding: p, input: input)
                }
            }
        }
        return pool.pooledOutput
    }

    /// The backward of `forward(_:training:pooling:)`: `dy` is the gradient with respect to the
    /// pooling's output; accumulates this layer's parameter gradients and returns the gradient with
    /// respect to `x` (nil without `needInputGradient`): the pooling's backward, then this layer's
    /// with the ReLU's mask (`backward(_:needInputGradient:)` after a rectifying forward).
    ///
    /// Routing the pooled gradient plane by plane into a buffer the size of a plane (instead of
    /// the pooling's full-size input gradient) was tried: the same bits, but the routing, scalar
    /// or in 8-wide vectors, cost more than the 6.4 MB written and read back it saved
    /// (`bench/RESULTS.md`, thirteenth session).
    public func backward(pooledGradient dy: Tensor, pooling pool: MaxPool2D, needInputGradient: Bool) -> Tensor? {
        guard let routed = pool.backward(dy, needInputGradient: true) else { return nil }
        return backward(routed, needInputGradient: needInputGradient)
    }
}
