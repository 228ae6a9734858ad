import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptRecipes

/// A network of Dense layers with the given weight rows (biases zero), ReLU between them.
private func denseNetwork(_ weights: [[Float]], shapes: [(inputs: Int, outputs: Int)]) throws -> Network {
    var layers: [Layer] = []
    for (i, (w, s)) in zip(weights, shapes).enumerated() {
        if i > 0 { layers.append(Activation(.relu)) }
        layers.append(Dense(weight: Tensor(w, shape: [s.outputs, s.inputs]), bias: Tensor(zeros: [s.outputs])))
    }
    return try Network(inputShape: [shapes[0].inputs], layers: layers)
}

private func zeros(_ mask: LotteryTicketMask, _ name: String) -> [Int] {
    mask.entries[name]!.enumerated().filter { $0.element == 0 }.map(\.offset)
}

@Test("layer-wise magnitude pruning removes exactly the smallest weights of each layer at its rate")
func layerWisePruningPicksSmallest() throws {
    let net = try denseNetwork([[0.1, -0.9, 0.3, 0.05, -0.2, 0.7, 0.6, -0.4, 0.8, -0.15, 0.5, 0.25],
                                [0.3, -0.1, 0.2, 0.05, -0.6, 0.4]],
                               shapes: [(4, 3), (3, 2)])
    let pruning = LotteryTicketPruning(rate: 0.5, outputRate: 0.5)
    let mask = try pruning.prune(net, mask: .full(for: net))
    #expect(zeros(mask, "layers.0.weight") == [0, 2, 3, 4, 9, 11])
    #expect(zeros(mask, "layers.2.weight") == [1, 2, 3])
    #expect(mask.entries["layers.0.bias"] == nil && mask.entries["layers.2.bias"] == nil)
    #expect(mask.weightFraction(in: net) == 9.0 / 18.0)

    // The output layer at half the rate by default: round(0.25 * 6) = 2 weights.
    let defaults = try LotteryTicketPruning(rate: 0.5).prune(net, mask: .full(for: net))
    #expect(zeros(defaults, "layers.2.weight") == [1, 3])

    // A second round ranks only the survivors: round(0.5 * 6) = 3 more of layer 0.
    try mask.apply(to: net)
    let again = try pruning.prune(net, mask: mask)
    #expect(zeros(again, "layers.0.weight") == [0, 2, 3, 4, 6, 7, 9, 10, 11])
    #expect(mask.keptCount("layers.0.weight") == 6 && again.keptCount("layers.0.weight") == 3)
}

@Test("global magnitude pruning ranks the hidden layers together and the output layer on its own")
func globalPruningPoolsLayers() throws {
    let net = try denseNetwork([[0.01, 0.02, 0.03, 0.04, 0.05, 0.06], [0.5, 0.045, 0.7, 0.8, 0.9, 1.0], [0.3, 0.01]],
                               shapes: [(2, 3), (3, 2), (2, 1)])
    let global = try LotteryTicketPruning(rate: 0.5, outputRate: 0, scope: .global).prune(net, mask: .full(for: net))
    #expect(zeros(global, "layers.0.weight") == [0, 1, 2, 3, 4])
    #expect(zeros(global, "layers.2.weight") == [1])
    #expect(zeros(global, "layers.4.weight") == [])
    let layerWise = try LotteryTicketPruning(rate: 0.5, outputRate: 0).prune(net, mask: .full(for: net))
    #expect(zeros(layerWise, "layers.0.weight") == [0, 1, 2])
    #expect(zeros(layerWise, "layers.2.weight") == [0, 1, 2])

    // A layer never loses its last weight: at rate 0.95 layer 0 keeps its largest one.
    let heavy = try LotteryTicketPruning(rate: 0.95, outputRate: 0, scope: .global).prune(net, mask: .full(for: net))
    #expect(heavy.keptCount("layers.0.weight") == 1 && heavy.entries["layers.0.weight"]![5] == 1)
}

@Test("structured pruning zeroes whole filters: weights, bias and BatchNorm entries, and their outputs")
func structuredPruningZeroesFilters() throws {
    var rng = RandomSource(seed: 3)
    let conv = Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, rng: &rng)
    let bn = BatchNorm(features: 4)
    // Filters 1 and 3 have the smallest mean absolute weights.
    let scales: [Float] = [1, 0.1, 2, 0.2]
    for f in 0..<4 { for j in 0..<9 { conv.weight.value.data[f * 9 + j] = scales[f] * (j % 2 == 0 ? 1 : -1) } }
    for f in 0..<4 { bn.bias.value.data[f] = 0.5 }
    let net = try Network(inputShape: [1, 4, 4], layers: [conv, bn, Activation(.relu), Flatten(),
                                                          Dense(inputs: 64, outputs: 3, rng: &rng)])
    let mask = try LotteryTicketPruning(rate: 0.5, convolutionRate: 0.5, structured: true).prune(net,
        mask: .full(for: net))
    let w = mask.entries["layers.0.weight"]!
    for f in 0..<4 { #expect(w[(f * 9)..<((f + 1) * 9)].allSatisfy { $0 == (f == 1 || f == 3 ? 0 : 1) }) }
    #expect(zeros(mask, "layers.0.bias") == [1, 3])
    #expect(zeros(mask, "layers.1.weight") == [1, 3] && zeros(mask, "layers.1.bias") == [1, 3])
    #expect(zeros(mask, "layers.4.weight") == [], "the output layer keeps its units")
    #expect(mask.unitFraction(in: net) == 0.5)

    try mask.apply(to: net)
    let x = Tensor.uniform([2, 1, 4, 4], -1, 1, using: &rng)
    var h = x
    for layer in net.layers.prefix(3) { h = layer.forward(h, training: true) }
    for b in 0..<2 { for f in [1, 3] { for i in 0..<16 { #expect(h[b, f, i / 4, i % 4] == 0) } } }
}

@Test("structured L1 and L2 norms rank units by their incoming weights; a residual network is refused")
func structuredNormsAndRefusal() throws {
    // Unit 0: many small weights (L1 mean 0.3, RMS 0.3); unit 1: one large weight (L1 mean 0.25, RMS 0.5).
    let net = try denseNetwork([[0.3, 0.3, 0.3, 0.3, 1, 0, 0, 0, 0.5, 0.5, 0.5, 0.5], [1, 1, 1]],
                               shapes: [(4, 3), (3, 1)])
    let l1 = try LotteryTicketPruning(rate: 0.34, structured: true, norm: .l1).prune(net, mask: .full(for: net))
    let l2 = try LotteryTicketPruning(rate: 0.34, structured: true, norm: .l2).prune(net, mask: .full(for: net))
    #expect(zeros(l1, "layers.0.bias") == [1])
    #expect(zeros(l2, "layers.0.bias") == [0])

    var rng = RandomSource(seed: 1)
    let residual = try Network(try Architecture.builtin(named: "resnet20", inputShape: [3, 8, 8]), rng: &rng)
    #expect(throws: LotteryTicketError.self) { try LotteryTicketPruning(rate: 0.2, structured: true).check(residual) }
}

/// 3 Gaussian blobs in 6 dimensions, labels as class indices.
private func blobs(count: Int, seed: UInt64) -> TensorDataset {
    var rng = RandomSource(seed: seed)
    let x = Tensor(zeros: [count, 6]), y = Tensor(zeros: [count])
    for i in 0..<count {
        let c = i % 3
        y.data[i] = Float(c)
        for j in 0..<6 { x.data[i * 6 + j] = rng.normal(mean: j % 3 == c ? 1.5 : 0, std: 1) }
    }
    return TensorDataset(inputs: x, targets: y, classCount: 3)
}

private let smallArchitecture = Architecture(inputShape: [6], layers: [
    .dense(inputs: 6, outputs: 16, bias: true), .activation(.relu),
    .dense(inputs: 16, outputs: 12, bias: true), .activation(.relu),
    .dense(inputs: 12, outputs: 3, bias: true),
])

private func smallConfiguration() -> LotteryTicketConfiguration {
    var c = LotteryTicketConfiguration()
    c.rounds = 2
    c.rate = 0.5
    c.epochs = 2
    c.batchSize = 16
    c.optimizer = .adam(learningRate: 0.01)
    return c
}

@Test(
    "tickets rewind exactly to θ0 on their survivors, pruned weights stay zero through training, the control shares the mask only"
)
func searchRewindsAndControls() throws {
    BLAS.setThreads(1)
    var search = LotteryTicketSearch(configuration: smallConfiguration())
    var snapshots: [String: [[Float]]] = [:]
    var masks: [String: [[Float]?]] = [:]
    search.beforeTraining = { round, control, network in
        let key = "\(round)\(control ? "c" : "t")"
        snapshots[key] = network.parameters.map(\.value.scalars)
        masks[key] = network.parameters.map { $0.mask?.scalars }
    }
    let train = blobs(count: 96, seed: 1), test = blobs(count: 60, seed: 2)
    let result = try search.run(architecture: smallArchitecture, train: train, test: test, seed: 7)
    #expect(result.rounds.map(\.round) == [0, 1, 2])
    #expect(result.rounds[0].controlAccuracy == nil && result.rounds[1].controlAccuracy != nil)
    #expect(result.rounds.allSatisfy { $0.epochs == 2 && $0.steps == 12 })
    // Hidden layers lose half their survivors per round, the output layer a quarter.
    #expect(result.rounds[1].weightFraction == Double(48 + 96 + 27) / Double(96 + 192 + 36))
    #expect(result.rounds[2].weightFraction == Double(24 + 48 + 20) / Double(96 + 192 + 36))

    let theta0 = try #require(snapshots["0t"])
    for round in 1...2 {
        let ticket = try #require(snapshots["\(round)t"]), control = try #require(snapshots["\(round)c"])
        #expect(masks["\(round)t"]! == masks["\(round)c"]!, "the control has the ticket's mask")
        var differing = 0
        for (k, m) in masks["\(round)t"]!.enumerated() {
            for i in 0..<theta0[k].count {
                let kept = m.map { $0[i] != 0 } ?? true
                #expect(ticket[k][i] == (kept ? theta0[k][i] : 0), "round \(round) parameter \(k) entry \(i)")
                if !kept { #expect(control[k][i] == 0) } else if control[k][i] != ticket[k][i] { differing += 1 }
            }
        }
        #expect(differing > 80, "the control draws fresh weights (biases start at zero in both)")
    }
    // After training, the pruned entries of the last ticket are still exactly zero and frozen.
    for (name, p) in result.network.namedParameters {
        guard let m = result.mask.entries[name] else { #expect(p.mask == nil); continue }
        #expect(p.mask?.scalars == m)
        for i in 0..<m.count where m[i] == 0 { #expect(p.value.data[i] == 0) }
    }
    #expect(result.network.parameters[0].value.scalars != snapshots["2t"]![0], "the ticket trained")

    // Deterministic for a seed.
    let again = try LotteryTicketSearch(configuration: smallConfiguration()).run(architecture: smallArchitecture,
        train: train, test: test, seed: 7)
    #expect(again.rounds.map(\.testAccuracy) == result.rounds.map(\.testAccuracy))
    #expect(again.rounds.map(\.controlLoss) == result.rounds.map(\.controlLoss))
    #expect(again.mask == result.mask)
}

@Test("rewinding to iteration k restores the weights saved after k steps")
func searchRewindsToIterationK() throws {
    BLAS.setThreads(1)
    var c = smallConfiguration()
    c.rounds = 1
    c.control = false
    c.rewindStep = 6 // one epoch of 96 samples in batches of 16
    var search = LotteryTicketSearch(configuration: c)
    var afterFirstEpoch: [[Float]] = []
    var ticket: [[Float]] = [], ticketMask: [[Float]?] = []
    var current: Network?
    search.beforeTraining = { round, _, network in
        current = network
        if round == 1 {
            ticket = network.parameters.map(\.value.scalars); ticketMask = network.parameters.map { $0.mask?.scalars }
        }
    }
    search.epochProgress = { round, _, report in
        if round == 0 && report.epoch == 1 { afterFirstEpoch = current!.parameters.map(\.value.scalars) }
    }
    _ = try search.run(architecture: smallArchitecture, train: blobs(count: 96, seed: 1), test: blobs(count: 30,
        seed: 2), seed: 3)
    #expect(!afterFirstEpoch.isEmpty && !ticket.isEmpty)
    for k in 0..<ticket.count {
        for i in 0..<ticket[k].count {
            let kept = ticketMask[k].map { $0[i] != 0 } ?? true
            #expect(ticket[k][i] == (kept ? afterFirstEpoch[k][i] : 0))
        }
    }

    c.rewindStep = 12
    #expect(throws: LotteryTicketError.self) {
        try LotteryTicketSearch(configuration: c).run(architecture: smallArchitecture, train: blobs(count: 96, seed: 1),
                                                      test: blobs(count: 30, seed: 2), seed: 3)
    }
}

@Test("impossible configurations fail before training")
func invalidConfigurations() {
    var c = LotteryTicketConfiguration()
    c.rate = 1
    #expect(throws: LotteryTicketError.self) { try c.validate() }
    c.rate = 0.2
    c.outputRate = -0.1
    #expect(throws: LotteryTicketError.self) { try c.validate() }
    c.outputRate = nil
    c.epochs = 0
    #expect(throws: LotteryTicketError.self) { try c.validate() }
    c.epochs = 1
    #expect(throws: Never.self) { try c.validate() }
}

@Test("a search resumed from the progress after any round gives the uninterrupted rounds bit for bit")
func searchResumesExactly() throws {
    BLAS.setThreads(1)
    let train = blobs(count: 96, seed: 1), test = blobs(count: 60, seed: 2)
    var c = smallConfiguration()
    c.control = true
    var search = LotteryTicketSearch(configuration: c)
    var saved: [LotteryTicketProgress] = []
    search.afterRound = { saved.append($0) }
    let whole = try search.run(architecture: smallArchitecture, train: train, test: test, seed: 7)
    #expect(saved.map(\.rounds.count) == [1, 2, 3])
    for progress in saved.dropLast() {
        // The interrupted process is gone: only the progress's values survive.
        let copied = LotteryTicketProgress(rounds: progress.rounds, mask: progress.mask,
                                           weights: progress.weights.map { $0.copy() },
                                           rewindPoint: progress.rewindPoint.map { $0.copy() }, random: progress.random)
        let resumed = try LotteryTicketSearch(configuration: c).run(architecture: smallArchitecture, train: train,
                                                                    test: test,
                                                                   seed: 7, resumingFrom: copied)
        #expect(resumed.rounds.map(\.testLoss) == whole.rounds.map(\.testLoss))
        #expect(resumed.rounds.map(\.controlLoss) == whole.rounds.map(\.controlLoss))
        #expect(resumed.mask == whole.mask)
        #expect(resumed.network.parameters.map(\.value.scalars) == whole.network.parameters.map(\.value.scalars))
    }
    // Progress from another network does not resume.
    var wrong = saved[0]
    wrong.weights.removeLast()
    #expect(throws: LotteryTicketError.self) {
        try LotteryTicketSearch(configuration: c).run(architecture: smallArchitecture, train: train, test: test,
                                                      seed: 7, resumingFrom: wrong)
    }
}
