import Testing
import SculptCore
@testable import SculptData

@Test("fillBatch gathers rows of every width in index order", arguments: [1, 2, 3, 4, 5, 17])
func fillBatchGathersRows(width: Int) {
    let n = 6
    let inputs = Tensor((0..<(n * width)).map(Float.init), shape: [n, width])
    let targets = Tensor((0..<n).map { Float(100 + $0) }, shape: [n, 1])
    let data = TensorDataset(inputs: inputs, targets: targets)
    let bx = Tensor(zeros: [0]), bt = Tensor(zeros: [0])
    let order = [4, 0, 5, 2]
    data.fillBatch(indices: order[1..<4], inputs: bx, targets: bt)
    #expect(bx.shape == [3, width] && bt.shape == [3, 1])
    for (r, i) in [0, 5, 2].enumerated() {
        for c in 0..<width { #expect(bx[r, c] == Float(i * width + c)) }
        #expect(bt[r, 0] == Float(100 + i))
    }
    // A smaller last batch reuses the buffers.
    data.fillBatch(indices: order[0..<1], inputs: bx, targets: bt)
    #expect(bx.shape == [1, width] && bx[0, 0] == Float(4 * width))
}

@Test("an image batch is the normalized bytes in index order, split over one, two or three workers alike",
      arguments: [1, 2, 3])
func imageBatchOverWorkers(workers: Int) {
    // 300 samples of 3 x 16 x 16 bytes: a batch of 200 is past the split's threshold (32,768 values)
    let (n, c, h, w) = (300, 3, 16, 16), size = c * h * w
    var rng = RandomSource(seed: 5)
    let pixels = (0..<(n * size)).map { _ in UInt8(rng.index(below: 256)) }
    let normalization = ChannelNormalization(mean: [0.1, 0.5, 0.9], std: [0.3, 0.2, 0.7])
    let data = ImageDataset(pixels: pixels, labels: (0..<n).map { Int32($0 % 10) }, channels: c, height: h, width: w,
                            classes: 10, normalization: normalization)
    let order = (0..<200).map { (7 * $0 + 3) % n }
    let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
    Parallel.withThreads(workers) { data.fillBatch(indices: order[...], inputs: x, targets: y) }
    #expect(x.shape == [200, c, h, w] && y.shape == [200])
    var mismatches = 0
    for (r, i) in order.enumerated() {
        for k in 0..<size {
            let channel = k / (h * w)
            let expected = (Float(pixels[i * size + k]) / 255 - normalization.mean[channel]) / normalization.std[channel]
            if x.data[r * size + k].bitPattern != expected.bitPattern { mismatches += 1 }
        }
        if y.data[r] != Float(i % 10) { mismatches += 1 }
    }
    #expect(mismatches == 0)
}
