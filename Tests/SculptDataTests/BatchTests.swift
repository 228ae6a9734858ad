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
