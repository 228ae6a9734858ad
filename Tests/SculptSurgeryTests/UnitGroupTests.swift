import Testing
import SculptCore
import SculptNN
@testable import SculptSurgery

@Test("layer paths parse, print, order and name unknown layers")
func layerPaths() throws {
    #expect(try LayerPath(parsing: "layers.5.body.0").description == "layers.5.body.0")
    #expect(try LayerPath(parsing: "3") == LayerPath(3))
    #expect(path("layers.2") < path("layers.3.body.0") && path("layers.3.body.4") < path("layers.3.projection.0"))
    #expect(throws: SurgeryError.invalidLayerPath("layers.x")) { try LayerPath(parsing: "layers.x") }
    #expect(throws: SurgeryError.invalidLayerPath("body.1")) { try LayerPath(parsing: "body.1") }
    let net = try residualNetwork()
    #expect(throws: SurgeryError.unknownLayer(path: "layers.12", reason: "layers has 9 layers (0..<9)")) {
        try net.layer(at: path("layers.12"))
    }
    #expect(
        throws: SurgeryError.unknownLayer(
            path: "layers.3.projection.0", reason: "layers.3 has an identity shortcut, no projection")
    ) {
        try net.layer(at: path("layers.3.projection.0"))
    }
    #expect(throws: SurgeryError.unknownLayer(path: "layers.0.body.0", reason: "layers.0 is not a residual block")) {
        try net.layer(at: path("layers.0.body.0"))
    }
}

@Test("a dense group with BatchNorm owns the row, bias, four BN entries and the next dense column")
func denseGroup() throws {
    let net = try denseBatchNormNetwork()
    let g = try UnitGroup(network: net, layer: 0)
    #expect(g.count == 6)
    #expect(g.producers.map(\.path) == [path("layers.0")])
    #expect(g.normalizations.map(\.path) == [path("layers.1")])
    #expect(g.consumers.map(\.path) == [path("layers.3")] && g.consumers[0].span == 1)
    #expect(g.slices.map(\.name) == ["weight", "bias", "weight", "bias", "running_mean", "running_var", "weight"])
    #expect(g.measurementPoint == path("layers.2"))
    #expect(throws: SurgeryError.unitsAreOutputs(path: "layers.5")) { try UnitGroup(network: net, layer: 5) }
    #expect(throws: SurgeryError.notUnitLayer(path: "layers.1", found: "batchnorm(6)")) {
        try UnitGroup(network: net, layer: 1)
    }
}

@Test("conv units reach the next conv's input channel, and a flattened dense layer's H*W columns")
func convGroups() throws {
    let net = try convFlattenNetwork()
    let first = try UnitGroup(network: net, layer: 0)
    #expect(
        first.consumers.map(\.path) == [path("layers.3")] && first.consumers[0].span == 1
            && first.slices.last!.axis == 1)
    let second = try UnitGroup(network: net, layer: 3)
    #expect(second.consumers.map(\.path) == [path("layers.7")])
    #expect(second.consumers[0].span == 9)  // 6x6 pooled to 3x3
}

@Test("residual streams couple every layer that adds into them")
func residualGroups() throws {
    let net = try residualNetwork()
    let stem = try UnitGroup(network: net, layer: 0)
    // The stem and the identity block's last conv add into one stream, read by both blocks.
    #expect(stem.producers.map(\.path) == [path("layers.0"), path("layers.3.body.3")])
    #expect(stem.normalizations.map(\.path) == [path("layers.1"), path("layers.3.body.4")])
    #expect(
        stem.consumers.map(\.path) == [path("layers.3.body.0"), path("layers.5.body.0"), path("layers.5.projection.0")])
    let fromBody = try UnitGroup(network: net, layer: path("layers.3.body.3"))
    #expect(fromBody.producers.map(\.path) == stem.producers.map(\.path) && fromBody.anchor == path("layers.3.body.3"))
    let inner = try UnitGroup(network: net, layer: path("layers.3.body.0"))
    #expect(!inner.isCoupled && inner.consumers.map(\.path) == [path("layers.3.body.3")])
    let projected = try UnitGroup(network: net, layer: path("layers.5.projection.0"))
    #expect(projected.producers.map(\.path) == [path("layers.5.body.3"), path("layers.5.projection.0")])
    #expect(projected.normalizations.map(\.path) == [path("layers.5.body.4"), path("layers.5.projection.1")])
    #expect(projected.consumers.map(\.path) == [path("layers.8")] && projected.consumers[0].span == 1)
    #expect(
        UnitGroup.all(in: net).map(\.anchor) == [
            path("layers.0"), path("layers.3.body.0"), path("layers.5.body.0"), path("layers.5.body.3"),
        ])
    // A block right after the input: its stream is the input's channels.
    let stemless = try makeUnitNetwork(
        [4, 5, 5],
        [
            .residual(body: [conv(4, 4, 3, padding: 1)], projection: nil), .globalAvgPool,
                                                   .dense(inputs: 4, outputs: 2, bias: true)], seed: 1)
    #expect(throws: SurgeryError.unitsAreInputs(path: "layers.0.body.0")) {
        try UnitGroup(network: stemless, layer: path("layers.0.body.0"))
    }
}
