import SculptCore

/// A transformation applied to each training batch in place (data augmentation).
public protocol BatchAugmentation {
    /// Transforms the batch `inputs` in place, drawing randomness from `rng`.
    func apply(inputs: Tensor, rng: inout RandomSource)
}

/// The standard CIFAR augmentation (torchvision's `RandomCrop(size, padding)` then
/// `RandomHorizontalFlip()`): each image is padded by `padding` pixels of `fill` on every side,
/// cropped back to its size at a random offset, and mirrored left-right with probability 1/2.
///
/// Per sample it draws the vertical offset, the horizontal offset, then the flip bit.
/// `fill` is in the units of the batch: with normalized inputs, 0 is the channel mean.
public final class RandomCropFlip: BatchAugmentation {
    public let padding: Int
    public let flip: Bool
    public let fill: Float
    /// `[C, H, W]` of the images when batches come flattened (`[B, C*H*W]`, for dense networks).
    public let imageShape: [Int]?
    private let scratch = Tensor(zeros: [0])  // one sample (C, H, W)

    /// An augmentation with `padding` >= 0; `flip` turns the horizontal flip on. Give
    /// `imageShape` to augment flattened batches.
    public init(padding: Int = 4, flip: Bool = true, fill: Float = 0, imageShape: [Int]? = nil) {
        precondition(padding >= 0, "padding must be >= 0, got \(padding)")
        precondition(imageShape == nil || imageShape!.count == 3, "imageShape must be [C, H, W], got \(imageShape!)")
        self.padding = padding
        self.flip = flip
        self.fill = fill
        self.imageShape = imageShape
    }

    public func apply(inputs: Tensor, rng: inout RandomSource) {
        // inputs is (B, C, H, W), or (B, C*H*W) with imageShape (C, H, W)
        let dims: [Int]
        if inputs.rank == 4 { dims = Array(inputs.shape.dropFirst()) } else {
            guard let imageShape, inputs.rank >= 1, inputs.rowStride == imageShape.reduce(1, *) else {
                preconditionFailure("RandomCropFlip needs (B, C, H, W) batches or an imageShape, got \(inputs.shape)")
            }
            dims = imageShape
        }
        let b = inputs.shape[0], c = dims[0], h = dims[1], w = dims[2]
        let size = c * h * w, p = padding
        scratch.resize([c, h, w])
        for r in 0..<b {
            let dy = p > 0 ? rng.index(below: 2 * p + 1) : p
            let dx = p > 0 ? rng.index(below: 2 * p + 1) : p
            let mirrored = flip && rng.next() & 1 == 1
            if dy == p && dx == p && !mirrored { continue }
            let x = inputs.data + r * size, s = scratch.data
            s.update(from: x, count: size)
            // out(ch, i, j) = padded(ch, i + dy, j' + dx) with j' = mirrored ? w - 1 - j : j
            for ch in 0..<c {
                for i in 0..<h {
                    let si = i + dy - p
                    let row = x + (ch * h + i) * w
                    guard si >= 0 && si < h else { row.update(repeating: fill, count: w); continue }
                    let src = s + (ch * h + si) * w
                    for j in 0..<w {
                        let sj = (mirrored ? w - 1 - j : j) + dx - p
                        row[j] = sj >= 0 && sj < w ? src[sj] : fill
                    }
                }
            }
        }
    }
}
