import Testing
import SculptCore
import SculptNN
import TestSupport

@Suite("Residual")
struct ResidualTests {
    @Test("identity shortcut: y = body(x) + x")
    func identity() {
        let block = Residual(body: [Activation(.relu)])
        let x = Tensor([-1, 2], shape: [1, 2])
        #expect(block.forward(x, training: false).scalars == [-1, 4])
        #expect(block.backward(Tensor([1, 1], shape: [1, 2]), needInputGradient: true)!.scalars == [1, 2])
    }

    @Test("finite-difference gradients through body and projection, BN in train mode")
    func gradients() {
        var rng = RandomSource(seed: 8)
        let block = Residual(
            body: [
                Conv2D(
                    inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 2, padding: 1, bias: false, rng: &rng),
                   BatchNorm(features: 3), Activation(.tanh),
                   Conv2D(inputChannels: 3, outputChannels: 3, kernelSize: 3, padding: 1, rng: &rng)],
            projection: [Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 1, stride: 2, bias: false, rng: &rng),
                         BatchNorm(features: 3)])
        let x = Tensor.uniform([3, 2, 5, 5], -1, 1, using: &rng)
        let e = GradientCheck.maxRelativeError(layer: block, input: x)
        #expect(e.input < 5e-3)
        #expect(e.parameters.count == 8)
        for (name, error) in e.parameters { #expect(error < 5e-3, "\(name)") }
    }

    @Test("parameters and buffers are named body.N / projection.N")
    func names() {
        var rng = RandomSource(seed: 1)
        let block = Residual(
            body: [
                Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, rng: &rng),
                BatchNorm(features: 2),
            ],
            projection: [Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 1, bias: false, rng: &rng)])
        #expect(
            block.namedParameters.map(\.name) == [
                "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "projection.0.weight",
            ])
        #expect(block.namedBuffers.map(\.name) == ["body.1.running_mean", "body.1.running_var"])
    }

    @Test("branches of different shapes are rejected with both shapes")
    func branchMismatch() {
        let spec = LayerSpec.residual(
            body: [.conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: true)], projection: nil)
        #expect(throws: ShapeError.self) { try spec.outputShape(for: [2, 8, 8]) }
        do { _ = try spec.outputShape(for: [2, 8, 8]) } catch {
            #expect("\(error)".contains("[4, 8, 8]") && "\(error)".contains("[2, 8, 8]"))
        }
    }
}
