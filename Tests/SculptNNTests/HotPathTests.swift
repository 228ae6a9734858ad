import Testing
import SculptCore
import TestSupport
import SculptData
@testable import SculptNN

// The optimizers cache their state tensors and the Trainer caches the parameter list per
// epoch; these tests pin that the caches never change what a step computes.

@Test("Adam after resetState steps like a fresh Adam on a fresh parameter")
func adamSeesResetState() {
    let p = parameter([1, -2, 3], grad: [0.5, -1, 0.25])
    let adam = Adam(learningRate: 0.01)
    adam.step([p]); adam.step([p])
    p.resetState()
    let q = parameter(p.value.scalars, grad: p.grad.scalars)
    adam.step([p])
    Adam(learningRate: 0.01).step([q])
    #expect(p.value.scalars == q.value.scalars)
    #expect(p.state["exp_avg"]!.scalars == q.state["exp_avg"]!.scalars)
}

@Test("Adam uses moment tensors that surgery put into the state")
func adamSeesReplacedMoments() {
    let p = parameter([1, 2], grad: [1, 1])
    let q = parameter([1, 2], grad: [1, 1])
    let adam = Adam(), reference = Adam()
    adam.step([p]); reference.step([q])
    // Replace the first moment of both (the reference optimizer has never cached p's tensors).
    p.state["exp_avg"] = Tensor([5, -5])
    q.state["exp_avg"] = Tensor([5, -5])
    let fresh = Adam()
    fresh.step([q]) // a fresh optimizer must look the tensors up: q's step is now 2
    adam.step([p])
    #expect(p.value.scalars == q.value.scalars)
    #expect(p.step == 2 && q.step == 2)
}

@Test("Adam keeps separate moments for each parameter when the list changes")
func adamFollowsParameterList() {
    let a = parameter([1], grad: [1]), b = parameter([2], grad: [-1])
    let a2 = parameter([1], grad: [1]), b2 = parameter([2], grad: [-1])
    let adam = Adam(), ra = Adam(), rb = Adam()
    adam.step([a, b]); ra.step([a2]); rb.step([b2])
    adam.step([b, a]); rb.step([b2]); ra.step([a2]) // order swapped: caches must not mix them up
    #expect(a.value.scalars == a2.value.scalars && b.value.scalars == b2.value.scalars)
}

@Test("SGD momentum restarts from the gradient when the buffer is removed")
func sgdSeesRemovedMomentum() {
    let p = parameter([1], grad: [1]), q = parameter([1], grad: [1])
    let sgd = SGD(learningRate: 0.1, momentum: 0.9)
    sgd.step([p]); sgd.step([p])
    p.state["momentum"] = nil
    q.value.assign(p.value)
    sgd.step([p])
    SGD(learningRate: 0.1, momentum: 0.9).step([q])
    #expect(p.value.scalars == q.value.scalars)
}

@Test("Dense backward accumulates (+=) bias and weight gradients")
func denseBackwardAccumulates() {
    var rng = RandomSource(seed: 3)
    let layer = Dense(inputs: 3, outputs: 9, rng: &rng)
    let x = Tensor.uniform([5, 3], -1, 1, using: &rng), dy = Tensor.uniform([5, 9], -1, 1, using: &rng)
    _ = layer.forward(x, training: true)
    _ = layer.backward(dy, needInputGradient: false)
    let once = layer.bias!.grad.scalars, onceW = layer.weight.grad.scalars
    _ = layer.backward(dy, needInputGradient: false)
    for j in 0..<9 {
        var s: Float = 0
        for r in 0..<5 { s += dy[r, j] }
        #expect(abs(once[j] - s) <= 1e-6)
        #expect(abs(layer.bias!.grad[flat: j] - 2 * once[j]) <= 1e-5)
    }
    for i in 0..<onceW.count { #expect(abs(layer.weight.grad[flat: i] - 2 * onceW[i]) <= 1e-5) }
}

@Test("Trainer.fit is bit-for-bit the plain loop: shuffle, batch, zero, forward, loss, backward, Adam")
func trainerMatchesReferenceLoop() throws {
    var dataRng = RandomSource(seed: 11)
    let x = Tensor.uniform([300, 2], -0.5, 0.5, using: &dataRng)
    let y = Tensor(zeros: [300, 1])
    for i in 0..<300 { y[i, 0] = x[i, 0] * x[i, 1] > 0 ? 1 : 0 }
    let data = TensorDataset(inputs: x, targets: y)
    let architecture = Architecture(inputShape: [2], layers: [
        .dense(inputs: 2, outputs: 6, bias: true), .activation(.relu),
        .dense(inputs: 6, outputs: 1, bias: true), .activation(.sigmoid),
    ])

    var rngA = RandomSource(seed: 5)
    let netA = try Network(architecture, rng: &rngA)
    let trainer = Trainer(network: netA, loss: MeanSquaredError(), optimizer: Adam(learningRate: 0.01),
                          batchSize: 64, maxEpochs: 3)
    try trainer.fit(data, rng: &rngA)

    var rngB = RandomSource(seed: 5)
    let netB = try Network(architecture, rng: &rngB)
    let adam = Adam(learningRate: 0.01), loss = MeanSquaredError()
    let bx = Tensor(zeros: [0]), by = Tensor(zeros: [0]), gradient = Tensor(zeros: [0])
    var order = Array(0..<300)
    for _ in 0..<3 {
        rngB.shuffle(&order)
        for begin in stride(from: 0, to: 300, by: 64) {
            data.fillBatch(indices: order[begin..<min(begin + 64, 300)], inputs: bx, targets: by)
            netB.zeroGradients()
            _ = loss.compute(prediction: netB.forward(bx, training: true), target: by, gradient: gradient)
            netB.backward(gradient)
            adam.step(netB.parameters)
        }
    }
    for (a, b) in zip(netA.parameters, netB.parameters) { #expect(a.value.scalars == b.value.scalars) }
    #expect(rngA == rngB)
}

@Test("column sums and row fills equal the plain loops exactly", arguments: [1, 3, 9, 16, 17, 40])
func columnSumsAndRowFills(columns: Int) {
    var rng = RandomSource(seed: UInt64(columns))
    for rows in [1, 2, 5, 128] {
        let m = Tensor.uniform([rows, columns], -1, 1, using: &rng)
        let start = Tensor.uniform([columns], -1, 1, using: &rng)
        let sums = start.copy()
        addColumnSums(of: m.data, rows: rows, columns: columns, to: sums.data)
        for j in 0..<columns {
            var s = start[flat: j]
            for r in 0..<rows { s += m[r, j] }
            #expect(sums[flat: j] == s)
        }
        let filled = Tensor(repeating: .nan, shape: [rows, columns])
        fillRows(filled.data, rows: rows, with: start.data, count: columns)
        for r in 0..<rows { for j in 0..<columns { #expect(filled[r, j] == start[flat: j]) } }
    }
}
