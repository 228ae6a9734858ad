import SculptCore
import SculptIO
import SculptNN
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct ReferenceOutputTests {
    /// Writes a checkpoint plus `reference.safetensors` (inputs and Sculpt's outputs) for
    /// `Reference/safetensors_check.py`, which rebuilds the forward pass in numpy from the
    /// safetensors bytes alone. Set SCULPT_REFERENCE_DIR to keep the files; the test itself only
    /// checks that the written outputs read back bit for bit.
    @Test func writesReferenceOutputs() throws {
        let kept = getenv("SCULPT_REFERENCE_DIR").map { String(cString: $0) }
        let temporary = TemporaryDirectory("reference")
        defer { temporary.remove() }
        let dir = kept ?? temporary.path
        var rng = RandomSource(seed: 12)
        let architecture = Architecture(inputShape: [20], layers: [
            .dense(inputs: 20, outputs: 16, bias: true), .activation(.relu),
            .dense(inputs: 16, outputs: 12, bias: false), .activation(.tanh),
            .dense(inputs: 12, outputs: 8, bias: true), .activation(.sigmoid),
            .dense(inputs: 8, outputs: 4, bias: true),
        ])
        let network = try Network(architecture, rng: &rng)
        let inputs = Tensor.uniform([7, 20], -2, 2, using: &rng)
        let outputs = network.predict(inputs)
        try Checkpoint(network: network).save(to: dir + "/checkpoint")
        try Safetensors(tensors: [("inputs", inputs), ("outputs", outputs)]).write(to: dir + "/reference.safetensors")
        let back = try Safetensors.read(dir + "/reference.safetensors")
        #expect(back["outputs"] == outputs)
        #expect(back["inputs"] == inputs)
    }
}
