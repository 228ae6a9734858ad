import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

@Test(
    "folding BatchNorm into the preceding conv/dense keeps eval outputs (dense, conv, residual bodies and projections)")
func foldBatchNormIsExact() throws {
    for (net, shape, expectedFolds) in [(try denseBatchNormNetwork(), [4], 1), (try convFlattenNetwork(), [2, 6, 6], 1),
                                        (try residualNetwork(), [3, 6, 6], 6)] {
        let x = randomBatch(8, shape, seed: 4)
        let before = net.predict(x)
        #expect(try net.foldBatchNorms() == expectedFolds)
        #expect(!net.layerPaths.contains { $0.layer is BatchNorm })
        #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
    }
    // One fold by the producer's path or the BatchNorm's path; a conv without bias gains one.
    let net = try makeUnitNetwork(
        [2, 5, 5],
        [
            .conv2d(inputs: 2, outputs: 3, kernel: 3, stride: 1, padding: 1, bias: false), bn(3), relu,
                                              .flatten, .dense(inputs: 75, outputs: 2, bias: true)], seed: 6)
    let x = randomBatch(4, [2, 5, 5], seed: 1)
    let before = net.predict(x)
    #expect(try net.foldBatchNorm(at: path("layers.1")) == path("layers.0"))
    #expect((net.layers[0] as! Conv2D).bias != nil && net.layers.count == 4)
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)
}

@Test("a 1x1 identity-activation conv collapses into the next conv exactly; a biased one before padding is refused")
func collapseConvolution() throws {
    let net = try makeUnitNetwork([3, 5, 5], [conv(3, 4, 1), .activation(.identity), conv(4, 2, 3), relu, .flatten,
                                              .dense(inputs: 18, outputs: 2, bias: true)], seed: 7)
    let x = randomBatch(6, [3, 5, 5], seed: 2)
    let before = net.predict(x)
    let parameters = net.parameterCount
    try net.collapse(at: path("layers.0"))
    #expect(net.layers.count == 4 && (net.layers[0] as! Conv2D).weight.value.shape == [2, 3, 3, 3])
    #expect(net.parameterCount == parameters - (3 * 4 + 4) - (4 * 2 * 9 + 2) + (3 * 2 * 9 + 2))
    #expect(relativeDifference(before, net.predict(x)) <= 1e-5)

    let padded = try makeUnitNetwork([3, 5, 5], [conv(3, 4, 1), conv(4, 2, 3, padding: 1), .flatten,
                                                 .dense(inputs: 50, outputs: 2, bias: true)], seed: 8)
    let state = fullState(padded)
    #expect(throws: SurgeryError.self) { try SurgeryPlan.collapse(layer: path("layers.0")).apply(to: padded) }
    #expect(sameState(state, fullState(padded)))
    // Without the 1x1 conv's bias the padded case is exact too; collapse-all finds it.
    (padded.layers[0] as! Conv2D).bias!.value.fill(0)
    let y = padded.predict(x)
    #expect(try padded.collapseAllLinearLayers() == 1)
    #expect(relativeDifference(y, padded.predict(x)) <= 1e-5)
}
