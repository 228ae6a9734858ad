import SculptCore
import SculptData
import SculptNN
import SculptSurgery
import Testing

@testable import SculptAnalysis

/// A 4 -> 6 (relu) -> 3 dense network on 64 seeded samples of 3 classes.
func smallNetworkAndData(seed: UInt64 = 1) throws -> (Network, TensorDataset) {
    var rng = RandomSource(seed: seed)
    let network = try Network(
        Architecture(
            inputShape: [4],
            layers: [
                .dense(inputs: 4, outputs: 6, bias: true), .activation(.relu),
                .dense(inputs: 6, outputs: 3, bias: true),
            ]), rng: &rng)
    let x = Tensor.normal([64, 4], using: &rng)
    let y = Tensor((0..<64).map { Float($0 % 3) }, shape: [64])
    return (network, TensorDataset(inputs: x, targets: y, classCount: 3))
}

@Suite struct InitialDistanceTests {
    @Test func frobeniusDistanceAndUpdateSpectrum() throws {
        let w0 = Tensor([1, 0, 0, 1], shape: [2, 2])
        let w = Tensor([4, 0, 0, 1], shape: [2, 2])  // update diag(3, 0)
        let d = try InitialDistance(name: "w", weight: w, initial: w0)
        #expect(d.frobenius == 3 && abs(d.initialFrobenius - 2.0.squareRoot()) < 1e-12)
        #expect(abs(d.relative! - 3 / 2.0.squareRoot()) < 1e-12)
        #expect(d.updateSingularValues == [3, 0])
        #expect(d.topEnergy.map(\.k) == [1, 2] && d.topEnergy[0].fraction == 1)
    }

    @Test func convolutionUpdatesAreFilterRows() throws {
        var rng = RandomSource(seed: 2)
        let w0 = Tensor.normal([4, 2, 3, 3], using: &rng)
        let w = Tensor.normal([4, 2, 3, 3], using: &rng)
        let d = try InitialDistance(name: "c", weight: w, initial: w0)
        let s = try (w - w0).reshaped([4, 18]).singularValues()
        #expect(d.updateSingularValues == (0..<4).map { Double(s.data[$0]) })
    }

    @Test func shapeMismatchNamesTheTensorAndBothShapes() {
        #expect(throws: AnalysisError.initialShapeMismatch(name: "layers.0.weight", trained: [2, 2], initial: [3, 2])) {
            try InitialDistance(
                name: "layers.0.weight", weight: Tensor(zeros: [2, 2]), initial: Tensor(zeros: [3, 2]))
        }
        let text = AnalysisError.initialShapeMismatch(name: "layers.0.weight", trained: [2, 2], initial: [3, 2])
            .description
        #expect(text.contains("layers.0.weight") && text.contains("[3, 2]") && text.contains("[2, 2]"))
        #expect(AnalysisError.noInitialWeights(reason: "x").description.contains("--init"))
    }
}

@Suite struct ProjectionTestTests {
    @Test func fullRankRestoresTheTrainedNetworkAndRankZeroTheInitialOne() throws {
        let (network, data) = try smallNetworkAndData()
        let initial = Dictionary(
            uniqueKeysWithValues: NetworkAnalysis.weights(of: network).map { ($0.name, $0.parameter.value.copy()) })
        var rng = RandomSource(seed: 4)
        for (_, p) in NetworkAnalysis.weights(of: network) {
            p.value.assign(p.value + Tensor.normal(p.value.shape, std: 0.3, using: &rng))
        }
        let before = network.namedParameters.map { $0.parameter.value.copy() }
        let trained = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 1)).evaluate(
            data)
        let test = try ProjectionTest.run(network: network, initial: initial, test: data, loss: SoftmaxCrossEntropy())
        #expect(test.points.map(\.k) == [1, 2, 4])  // ranks 4 (layers.0) and 3 (layers.2)
        #expect(abs(test.points.last!.testLoss - Double(trained.loss)) < 1e-5)
        #expect(test.points.last!.residualSpectralNorms.values.allSatisfy { $0 == 0 })
        #expect(test.trainedLoss == Double(trained.loss))
        // k = 0 is the initial weights with the trained biases.
        let copy = try Network(network.architecture, rng: &rng)
        copy.restore(network.namedParameters.map { $0.parameter.value })
        for (name, p) in NetworkAnalysis.weights(of: copy) { p.value.assign(initial[name]!) }
        let atInit = Trainer(network: copy, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 1)).evaluate(data)
        #expect(test.initialLoss == Double(atInit.loss))
        #expect(zip(before, network.namedParameters).allSatisfy { $0 == $1.parameter.value })
        // Rank 1 of layers.0 removes σ₂ of its update.
        let s = try (network.namedParameters[0].parameter.value - initial["layers.0.weight"]!).singularValues()
        #expect(test.points[0].residualSpectralNorms["layers.0.weight"] == Double(s.data[1]))
    }
}

@Suite struct ActivationRedundancyTests {
    @Test func duplicatedUnitsCorrelateAndDeadOnesAreRemovable() throws {
        let (network, data) = try smallNetworkAndData(seed: 3)
        let first = network.namedParameters[0].parameter.value
        let bias = network.namedParameters[1].parameter.value
        for j in 0..<4 { first.data[1 * 4 + j] = 2 * first.data[0 * 4 + j] }  // unit 1 = 2 x unit 0 (before relu)
        bias.data[1] = 2 * bias.data[0]
        for j in 0..<4 { first.data[5 * 4 + j] = 0 }  // unit 5 is dead
        bias.data[5] = -1
        let group = try UnitGroup(network: network, layer: LayerPath(0))
        let (r, observations) = try ActivationRedundancy.correlations(network: network, group: group, data: data)
        #expect(observations == 64)
        #expect(abs(r[0 * 6 + 1] - 1) < 1e-6)
        let report = try ActivationRedundancy.measure(
            network: network, group: group, data: data, loss: SoftmaxCrossEntropy())
        #expect(report.activationGroups.contains([0, 1]))
        #expect(report.constantUnits == [5])
        #expect(report.removable.contains(5))
        #expect(report.repeatedCount >= 1)
        // The same units by hand.
        var a: [Double] = []
        var b: [Double] = []
        try UnitOutputs.forEachBatch(network: network, group: group, data: data) { t in
            for s in 0..<t.shape[0] {
                a.append(Double(t.data[s * 6 + 2]))
                b.append(Double(t.data[s * 6 + 3]))
            }
        }
        #expect(abs(r[2 * 6 + 3] - (pearsonCorrelation(a, b) ?? 0)) < 1e-6)
    }
}

@Suite struct TicketDistributionTests {
    @Test func concentratedSurvivorsAreDetected() throws {
        // 4 units x 5 weights; unit 0 keeps all 5, unit 1 keeps 1.
        var mask = [Float](repeating: 0, count: 20)
        for j in 0..<5 { mask[j] = 1 }
        mask[5] = 1
        let t = try TicketDistribution(name: "w", mask: mask, shape: [4, 5])
        #expect(t.perUnit == [5, 1, 0, 0] && t.survivors == 6 && t.emptyUnits == 2)
        #expect(abs(t.chiSquare!.statistic - (12.25 + 0.25 + 2.25 + 2.25) / 1.5) < 1e-12)
        #expect(abs(t.conditionalSurvival! - 20.0 / 24) < 1e-12)  // Σ s(s-1) = 20, Σ s(m-1) = 24
        #expect(abs(t.uniformConditionalSurvival! - 5.0 / 19) < 1e-12)
        #expect(t.lift! > 3)
        // n C(nm-m, S) / C(nm, S) with n 4, m 5, S 6: 4 * C(15,6)/C(20,6)
        #expect(abs(t.expectedEmptyUnits - 4 * 5005.0 / 38760) < 1e-12)
        #expect(throws: AnalysisError.maskMismatch(name: "w", expected: 20, actual: 3)) {
            try TicketDistribution(name: "w", mask: [1, 1, 1], shape: [4, 5])
        }
    }
}

@Suite struct NetworkAnalysisTests {
    @Test func nanWeightsAreReportedPerLayerNotFitted() throws {
        let (network, data) = try smallNetworkAndData()
        network.namedParameters[2].parameter.value.data[0] = .nan
        let initial = Dictionary(
            uniqueKeysWithValues: NetworkAnalysis.weights(of: network).map { ($0.name, $0.parameter.value.copy()) })
        let report = try NetworkAnalysis.analyze(network: network, initial: initial, sample: data, test: data)
        #expect(report.layers[0].spectrum != nil && report.layers[0].nonFiniteValues == 0)
        #expect(report.layers[1].nonFiniteValues == 1 && report.layers[1].spectrum == nil)
        #expect(report.layers[1].problems.first?.contains("NaN or Inf") == true)
        #expect(report.projection == nil && report.problems.count == 2)
    }

    @Test func initialWeightsOfAnotherShapeAreRefusedByName() throws {
        let (network, data) = try smallNetworkAndData()
        var initial = Dictionary(
            uniqueKeysWithValues: NetworkAnalysis.weights(of: network).map { ($0.name, $0.parameter.value.copy()) })
        initial["layers.2.weight"] = Tensor(zeros: [3, 7])
        #expect(throws: AnalysisError.initialShapeMismatch(name: "layers.2.weight", trained: [3, 6], initial: [3, 7])) {
            try NetworkAnalysis.analyze(network: network, initial: initial, test: data)
        }
    }
}
