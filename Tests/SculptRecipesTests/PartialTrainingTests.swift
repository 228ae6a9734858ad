import SculptCore
import SculptData
import SculptNN
import Testing
@testable import SculptRecipes

/// Partial training: masks checked by hand on small conv and dense networks, frozen weights
/// after training, zeroing, and the errors.
@Suite struct PartialTrainingTests {
    /// conv(2 -> 4, 3x3) on 2x4x4 inputs, ReLU, flatten (4x2x2 = 16), dense 16 -> 5, ReLU, dense 5 -> 3.
    static func smallNet(seed: UInt64 = 1) throws -> Network {
        var rng = RandomSource(seed: seed)
        return try Network(Architecture(inputShape: [2, 4, 4], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 0, bias: true), .activation(.relu), .flatten,
            .dense(inputs: 16, outputs: 5, bias: true), .activation(.relu), .dense(inputs: 5, outputs: 3, bias: true),
        ]), rng: &rng)
    }

    /// A stem conv + BN, a residual block with a projection, global pooling and a classifier.
    static func residualNet() throws -> Network {
        var rng = RandomSource(seed: 2)
        return try Network(Architecture(inputShape: [1, 6, 6], layers: [
            .conv2d(inputs: 1, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false),
            .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
            .residual(body: [.conv2d(inputs: 4, outputs: 6, kernel: 3, stride: 1, padding: 1, bias: false),
                             .batchNorm(features: 6, momentum: 0.1, epsilon: 1e-5)],
                      projection: [.conv2d(inputs: 4, outputs: 6, kernel: 1, stride: 1, padding: 0, bias: false)]),
            .activation(.relu), .globalAvgPool, .dense(inputs: 6, outputs: 3, bias: true),
        ]), rng: &rng)
    }

    func values(_ t: Tensor?) -> [Float]? { t.map { Array(UnsafeBufferPointer(start: $0.data, count: $0.count)) } }

    /// The mask of a row-major tensor whose ones are where `keep(index tuple)` holds.
    func expected(_ shape: [Int], _ keep: ([Int]) -> Bool) -> [Float] {
        let n = shape.reduce(1, *)
        return (0..<n).map { flat in
            var rest = flat, index = [Int](repeating: 0, count: shape.count)
            for d in stride(from: shape.count - 1, through: 0, by: -1) { index[d] = rest % shape[d]; rest /= shape[d] }
            return keep(index) ? 1 : 0
        }
    }

    @Test func filtersFractionLearnsLeadingRowsAndTheirBiasesAndTheWholeClassifier() throws {
        let net = try Self.smallNet()
        let summary = try PartialTraining.apply(
            PartialTrainingPlan(mode: .filters(fraction: 0.5), denseLayers: .split), to: net)
        let conv = net.layers[0] as! Conv2D, hidden = net.layers[3] as! Dense, classifier = net.layers[5] as! Dense
        #expect(values(conv.weight.mask) == expected([4, 2, 3, 3]) { $0[0] < 2 })   // floor(0.5 * 4) = 2 filters
        #expect(values(conv.bias?.mask) == [1, 1, 0, 0])
        #expect(values(hidden.weight.mask) == expected([5, 16]) { $0[0] < 2 })      // floor(0.5 * 5) = 2 units
        #expect(values(hidden.bias?.mask) == [1, 1, 0, 0, 0])
        #expect(classifier.weight.mask == nil && classifier.bias?.mask == nil)
        let learned = 2 * 18 + 2 + 2 * 16 + 2 + 15 + 3
        #expect(summary.learnedParameters == learned)
        #expect(net.trainableParameterCount == learned)
        #expect(summary.totalParameters == 76 + 85 + 18)
        #expect(summary.layers.map(\.indices) == [[0, 1], [0, 1], []])
    }

    @Test(
        "by default hidden Dense layers learn whole in the filter, count and slice modes (the paper's rule); an MLP is refused"
    )
    func denseLayersLearnWholeByDefault() throws {
        for mode in [PartialTrainingMode.filters(fraction: 0.5), .count(1), .slice(dimension: 2, fraction: 0.5)] {
            let net = try Self.smallNet()
            let summary = try PartialTraining.apply(PartialTrainingPlan(mode: mode), to: net)
            let conv = net.layers[0] as! Conv2D, hidden = net.layers[3] as! Dense
            #expect(conv.weight.mask != nil, "\(mode)")
            #expect(hidden.weight.mask == nil && hidden.bias?.mask == nil, "\(mode)")
            #expect(summary.layers[1].learnedParameters == 85 && summary.layers[1].dimension == 0, "\(mode)")
        }
        var rng = RandomSource(seed: 1)
        let mlp = try Network(
            Architecture(
                inputShape: [3],
                layers: [
                    .dense(inputs: 3, outputs: 8, bias: true), .activation(.relu),
                    .dense(inputs: 8, outputs: 2, bias: true),
                ]), rng: &rng)
        #expect(throws: PartialTrainingError.self) {
            try PartialTraining.apply(PartialTrainingPlan(mode: .filters(fraction: 0.5)), to: mlp)
        }
        #expect(mlp.parameters.allSatisfy { $0.mask == nil })
        do { try PartialTraining.apply(PartialTrainingPlan(mode: .count(2)), to: mlp) } catch {
            #expect("\(error)".contains("no convolution") && "\(error)".contains("split"))
        }
        #expect(try PartialTraining.apply(PartialTrainingPlan(mode: .classifier), to: mlp).learnedParameters == 18)
    }

    @Test func tinyFractionsStillLearnOneFilter() throws {
        let net = try Self.smallNet()
        try PartialTraining.apply(PartialTrainingPlan(mode: .filters(fraction: 0.07)), to: net)
        #expect(values((net.layers[0] as! Conv2D).bias?.mask) == [1, 0, 0, 0])
        // 0.29 * 100 is 28.999... in floating point: still 29 units.
        var rng = RandomSource(seed: 1)
        let dense = try Network(Architecture(inputShape: [3], layers: [.dense(inputs: 3, outputs: 100, bias: true),
            .activation(.relu),
                                                                       .dense(inputs: 100, outputs: 2,
                                                                           bias: true)]), rng: &rng)
        let summary = try PartialTraining.apply(
            PartialTrainingPlan(mode: .filters(fraction: 0.29), denseLayers: .split), to: dense)
        #expect(summary.layers[0].indices == Array(0..<29))
    }

    @Test func countLearnsKFiltersAndRejectsKWiderThanALayer() throws {
        let net = try Self.smallNet()
        try PartialTraining.apply(PartialTrainingPlan(mode: .count(3), denseLayers: .split), to: net)
        #expect(values((net.layers[0] as! Conv2D).weight.mask) == expected([4, 2, 3, 3]) { $0[0] < 3 })
        #expect(values((net.layers[3] as! Dense).bias?.mask) == [1, 1, 1, 0, 0])

        let fresh = try Self.smallNet()
        #expect(throws: PartialTrainingError.countExceedsWidth(layer: "layers.0", count: 5, width: 4)) {
            try PartialTraining.apply(PartialTrainingPlan(mode: .count(5), rest: .zeroed), to: fresh)
        }
        // Validation comes first: nothing was masked or zeroed.
        #expect(fresh.parameters.allSatisfy { $0.mask == nil })
        #expect(fresh.snapshot().map { values($0)! } == (try Self.smallNet()).snapshot().map { values($0)! })
        #expect(throws: PartialTrainingError.countNotPositive(0)) {
            try PartialTraining.apply(PartialTrainingPlan(mode: .count(0)), to: fresh)
        }
    }

    @Test func slicesAlongEachDimensionOfAConvWeight() throws {
        let shape = [4, 2, 3, 3]
        let cases: [(Int, Double, ([Int]) -> Bool)] = [
            (1, 0.5, { $0[0] < 2 }), (2, 0.5, { $0[1] < 1 }), (3, 0.34, { $0[2] < 1 }), (4, 0.67, { $0[3] < 2 }),
        ]
        for (dimension, p, keep) in cases {
            let net = try Self.smallNet()
            try PartialTraining.apply(
                PartialTrainingPlan(mode: .slice(dimension: dimension, fraction: p), denseLayers: .split), to: net)
            let conv = net.layers[0] as! Conv2D, hidden = net.layers[3] as! Dense
            #expect(values(conv.weight.mask) == expected(shape, keep), "dimension \(dimension)")
            // Biases split along the output dimension only.
            #expect(values(conv.bias?.mask) == (dimension == 1 ? [1, 1, 0, 0] : [0, 0, 0, 0]), "dimension \(dimension)")
            switch dimension {
            case 1: #expect(values(hidden.weight.mask) == expected([5, 16]) { $0[0] < 2 })
            case 2: #expect(values(hidden.weight.mask) == expected([5, 16]) { $0[1] < 8 })
            default: #expect(hidden.weight.mask == nil && hidden.bias?.mask == nil)  // Dense layers learn whole
            }
        }
        #expect(throws: PartialTrainingError.invalidDimension(5)) {
            try PartialTraining.apply(PartialTrainingPlan(mode: .slice(dimension: 5, fraction: 0.5)),
                                      to: try Self.smallNet())
        }
    }

    @Test func fractionsOutsideTheUnitIntervalAreRejected() throws {
        for p in [0, -0.1, 1.5, Double.nan, Double.infinity] {
            #expect(throws: PartialTrainingError.self) {
                try PartialTraining.apply(PartialTrainingPlan(mode: .filters(fraction: p)), to: try Self.smallNet())
            }
        }
        #expect(throws: PartialTrainingError.fractionOutOfRange(1.5)) {
            try PartialTrainingMode.filters(fraction: 1.5).validate()
        }
        #expect(throws: PartialTrainingError.fractionOutOfRange(0)) { try PartialTrainingMode.slice(dimension: 2,
            fraction: 0).validate() }
    }

    @Test func blocksBatchNormAndClassifierModes() throws {
        func learning(_ mode: PartialTrainingMode, learnBatchNorm: Bool = false) throws -> [String] {
            let net = try Self.residualNet()
            let summary = try PartialTraining.apply(PartialTrainingPlan(mode: mode, learnBatchNorm: learnBatchNorm),
                                                    to: net)
            #expect(summary.learnedParameters == net.trainableParameterCount)
            return summary.layers.filter { $0.learnedParameters > 0 }.map(\.layer)
        }
        #expect(try learning(.block("layers.3")) == ["layers.3.body.0", "layers.3.body.1", "layers.3.projection.0"])
        #expect(try learning(.block("layers.3.projection")) == ["layers.3.projection.0"])
        #expect(try learning(.block("layers.0-1")) == ["layers.0", "layers.1"])
        #expect(try learning(.block("conv1")) == ["layers.0"])
        #expect(try learning(.block("fc")) == ["layers.6"])
        #expect(try learning(.classifier) == ["layers.6"])
        #expect(try learning(.classifier, learnBatchNorm: true) == ["layers.1", "layers.3.body.1", "layers.6"])
        #expect(try learning(.batchNorm) == ["layers.1", "layers.3.body.1"])
        let net = try Self.residualNet()
        #expect(try PartialTraining.apply(PartialTrainingPlan(mode: .batchNorm),
                                          to: net).learnedParameters == 2 * 4 + 2 * 6)
        for name in ["layers.9", "layers.2", "layers.4-3", "stage7"] {
            #expect(throws: PartialTrainingError.self) {
                try PartialTraining.apply(PartialTrainingPlan(mode: .block(name)), to: net)
            }
        }
    }

    @Test func randomSelectionIsSeededAndDeterministic() throws {
        func indices(seed: UInt64) throws -> [[Int]] {
            let net = try Self.residualNet()
            let plan = PartialTrainingPlan(mode: .count(3), selection: .random, seed: seed)
            return try PartialTraining.apply(plan, to: net).layers.filter { $0.kind == .convolution }.map(\.indices)
        }
        let a = try indices(seed: 7)
        #expect(try indices(seed: 7) == a)
        #expect(a.allSatisfy { $0.count == 3 && $0 == $0.sorted() && Set($0).count == 3 })
        var differs = false
        for seed in UInt64(8)...20 where try indices(seed: seed) != a { differs = true }
        #expect(differs)
    }

    @Test func modesParseAndPrintBack() throws {
        for text in ["all", "filters:0.07", "count:5", "slice:2:0.4", "block:layers.3", "batchnorm", "classifier"] {
            #expect(try PartialTrainingMode(parsing: text).description == text)
        }
        for text in ["filters", "filters:x", "count:1.5", "slice:2", "bogus", "slice:a:0.5"] {
            #expect(throws: PartialTrainingError.self) { try PartialTrainingMode(parsing: text) }
        }
    }

    /// 64 random samples of the small network's input shape, 3 classes.
    static func data(seed: UInt64) -> TensorDataset {
        var rng = RandomSource(seed: seed)
        let x = Tensor.normal([64, 2, 4, 4], using: &rng)
        let y = Tensor(zeros: [64])
        for i in 0..<64 { y.data[i] = Float(rng.index(below: 3)) }
        return TensorDataset(inputs: x, targets: y, classCount: 3)
    }

    @Test(arguments: [RestPolicy.fixed, .zeroed])
    func frozenWeightsStayBitForBitAndLearnedOnesMove(rest: RestPolicy) throws {
        let net = try Self.smallNet()
        let initial = net.snapshot().map { values($0)! }
        try PartialTraining.apply(PartialTrainingPlan(mode: .filters(fraction: 0.5), rest: rest), to: net)
        let masks = net.parameters.map { values($0.mask) }
        var rng = RandomSource(seed: 3)
        let outcome = try PartialTraining.train(net, plan: PartialTrainingPlan(mode: .filters(fraction: 0.5),
            rest: rest),
                                                settings: PartialTrainingSettings(epochs: 3, batchSize: 16,
                                                    learningRate: 0.05,
                                                                                  momentum: 0.9, weightDecay: 0.01),
                                                train: Self.data(seed: 4), test: Self.data(seed: 5), rng: &rng)
        #expect(outcome.epochs == 3)
        var moved = 0
        for (k, p) in net.parameters.enumerated() {
            let now = values(p.value)!
            for i in 0..<p.count {
                let learns = masks[k].map { $0[i] != 0 } ?? true
                if learns { if now[i] != initial[k][i] { moved += 1 } }
                else if rest == .fixed { #expect(now[i].bitPattern == initial[k][i].bitPattern,
                                                 "parameter \(k)[\(i)]") }
                else { #expect(now[i].bitPattern == Float(0).bitPattern, "parameter \(k)[\(i)]") }
            }
        }
        #expect(moved > outcome.summary.learnedParameters / 2)
    }
}
