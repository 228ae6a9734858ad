import SculptCore
import SculptData

/// `n` 1x8x8 images of 3 classes whose class is the brighter third of the picture (columns
/// 3c and 3c + 1 raised by 0.5): learnable by a tiny CNN in a few epochs.
func brightThirdImages(_ n: Int, seed: UInt64) -> TensorDataset {
    var rng = RandomSource(seed: seed)
    let x = Tensor.uniform([n, 1, 8, 8], 0, 0.5, using: &rng)
    let y = Tensor(zeros: [n])
    for i in 0..<n {
        let c = rng.index(below: 3)
        y.data[i] = Float(c)
        for r in 0..<8 { for col in (c * 3)..<Swift.min(c * 3 + 2, 8) { x.data[i * 64 + r * 8 + col] += 0.5 } }
    }
    return TensorDataset(inputs: x, targets: y, classCount: 3)
}
