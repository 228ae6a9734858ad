import SculptCore
import SculptData
import SculptNN
import Testing
@testable import SculptRecipes

/// Ensemble averaging on hand-made logits, the shared backbone of a cheap ensemble, and the log-linear fit.
@Suite struct CheapEnsembleTests {
    func tensor(_ shape: [Int], _ values: [Float]) -> Tensor {
        let t = Tensor(zeros: shape)
        for (i, v) in values.enumerated() { t.data[i] = v }
        return t
    }

    @Test func averagesSoftmaxProbabilitiesNotLogits() {
        // Sample 0: member A is confident in class 0, member B mildly prefers class 1.
        // Probabilities: A = softmax(4, 0, 0), B = softmax(0, 1, 0).
        let a = tensor([2, 3], [4, 0, 0, 0, 0, 3])
        let b = tensor([2, 3], [0, 1, 0, 0, 2, 0])
        let p = EnsembleAveraging.averageProbabilities([a, b])
        let e4: Float = expf(4), e1: Float = expf(1), e3: Float = expf(3), e2: Float = expf(2)
        let expected: [Float] = [
            (e4 / (e4 + 2) + 1 / (2 + e1)) / 2, (1 / (e4 + 2) + e1 / (2 + e1)) / 2, (1 / (e4 + 2) + 1 / (2 + e1)) / 2,
            (1 / (2 + e3) + 1 / (2 + e2)) / 2, (1 / (2 + e3) + e2 / (2 + e2)) / 2, (e3 / (2 + e3) + 1 / (2 + e2)) / 2,
        ]
        for i in 0..<6 { #expect(abs(p.data[i] - expected[i]) < 1e-6, "entry \(i)") }
        // Sample 1: averaged probabilities pick class 2 (0.48 vs 0.42); averaged logits would tie 1.5 vs 1.5 otherwise.
        #expect(EnsembleAveraging.accuracy(p, labels: [0, 2]) == 1)
        #expect(EnsembleAveraging.accuracy(a, labels: [0, 2]) == 1)
        #expect(EnsembleAveraging.accuracy(b, labels: [0, 2]) == 0)
    }

    static func net() throws -> Network {
        var rng = RandomSource(seed: 11)
        return try Network(Architecture(inputShape: [6], layers: [
            .dense(inputs: 6, outputs: 8, bias: true), .batchNorm(features: 8, momentum: 0.1, epsilon: 1e-5),
            .activation(.relu), .dense(inputs: 8, outputs: 3, bias: true),
        ]), rng: &rng)
    }

    static func data(_ n: Int, seed: UInt64) -> TensorDataset {
        var rng = RandomSource(seed: seed)
        let x = Tensor.normal([n, 6], using: &rng)
        let y = Tensor(zeros: [n])
        for i in 0..<n { y.data[i] = x.data[i * 6] > 0 ? (x.data[i * 6 + 1] > 0 ? 2 : 1) : 0 }
        return TensorDataset(inputs: x, targets: y, classCount: 3)
    }

    @Test func membersShareOneBackboneAndKeepOnlyTheirLearnedValues() throws {
        let network = try Self.net()
        let backbone = network.snapshot().map { Array(UnsafeBufferPointer(start: $0.data, count: $0.count)) }
        let ensemble = CheapEnsemble(backbone: network)
        let plan = PartialTrainingPlan(mode: .filters(fraction: 0.25), learnBatchNorm: false, selection: .random,
                                       denseLayers: .split)
        let settings = PartialTrainingSettings(epochs: 2, batchSize: 16, learningRate: 0.1, momentum: 0.9,
                                               weightDecay: 0)
        var rng = RandomSource(seed: 1)
        var learned = 0
        for m in 0..<3 {
            var p = plan
            p.seed = UInt64(m)
            learned = try ensemble.addMember(plan: p, settings: settings, train: Self.data(128, seed: 2),
                                             rng: &rng).learnedParameters
        }
        // 2 of 8 hidden units (6 weights + bias each) and the whole classifier (8 * 3 + 3).
        #expect(learned == 2 * 7 + 27)
        #expect(ensemble.storedLearnedValues == 3 * learned)
        func current() -> [[Float]] { network.snapshot().map { Array(UnsafeBufferPointer(start: $0.data,
            count: $0.count)) } }
        // Between members, the network holds the backbone (running statistics included), with no masks left.
        #expect(current() == backbone)
        #expect(network.parameters.allSatisfy { $0.mask == nil })
        let hidden = (network.layers[0] as! Dense).weight
        var changedRows: [Set<Int>] = []
        for m in 0..<3 {
            ensemble.withMember(m) { member in
                let w = hidden.value
                var rows = Set<Int>()
                for r in 0..<8 where (0..<6).contains(where: { w.data[r * 6 + $0] != backbone[0][r * 6 + $0] }) {
                    rows.insert(r)
                }
                changedRows.append(rows)
                #expect(rows.count == 2, "member \(m) changed rows \(rows)")
            }
        }
        #expect(current() == backbone)
        #expect(Set(changedRows).count > 1)  // random selection: members learn different units

        let test = Self.data(200, seed: 3)
        let (accuracies, ensembleAccuracy) = ensemble.evaluate(on: test)
        for m in 0..<3 {
            let single = ensemble.withMember(m) { EnsembleAveraging.accuracy(EnsembleAveraging.logits(of: $0,
                on: test).logits,
                                                                            labels: EnsembleAveraging.logits(of: $0,
                                                                                on: test).labels) }
            #expect(accuracies[m] == single)
        }
        #expect((0...1).contains(ensembleAccuracy))
    }

    @Test func runReportsTable4Columns() throws {
        let network = try Self.net()
        var rng = RandomSource(seed: 5)
        let c = CheapEnsembleConfiguration(members: 2, plan: PartialTrainingPlan(mode: .classifier,
            learnBatchNorm: false), baseEpochs: 2,
                                           settings: PartialTrainingSettings(epochs: 1, batchSize: 16,
                                               learningRate: 0.1))
        let r = try CheapEnsemble.run(c, network: network, train: Self.data(128, seed: 6), test: Self.data(100,
            seed: 7), rng: &rng)
        #expect(r.learnedParametersPerMember == 27)
        #expect(r.learnedParameters == 54)
        #expect(r.sharedParameters == network.parameterCount)
        #expect(r.storedParameters == network.parameterCount + 54)
        #expect(r.memberAccuracies.count == 2)
        #expect(abs(r.meanMemberAccuracy - (r.memberAccuracies[0] + r.memberAccuracies[1]) / 2) < 1e-12)
    }

    @Test func zeroedBackboneAndNoMembersAreRejected() throws {
        let plan = PartialTrainingPlan(mode: .filters(fraction: 0.5), rest: .zeroed)
        #expect(throws: PartialTrainingError.self) { try CheapEnsembleConfiguration(members: 3, plan: plan).validate() }
        #expect(throws: PartialTrainingError.self) {
            try CheapEnsembleConfiguration(members: 0, plan: PartialTrainingPlan(mode: .all)).validate()
        }
    }

    @Test func logLinearFitRecoversAnExactLine() throws {
        let points = [0.07, 0.1, 0.4, 0.7, 1].map { (x: $0, y: 0.02 * log($0) + 0.9) }
        let fit = try #require(LogLinearFit(points))
        #expect(abs(fit.slope - 0.02) < 1e-12 && abs(fit.intercept - 0.9) < 1e-12 && abs(fit.rSquared - 1) < 1e-12)
        #expect(LogLinearFit([(x: 0.5, y: 1), (x: 0.5, y: 2)]) == nil)
        let noisy = try #require(LogLinearFit([(x: 0.1, y: 0.5), (x: 0.4, y: 0.8), (x: 1, y: 0.8)]))
        #expect(noisy.rSquared > 0 && noisy.rSquared < 1)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
