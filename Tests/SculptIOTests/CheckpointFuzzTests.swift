import SculptCore
import SculptData
import SculptIO
import SculptNN
import Testing
import TestSupport

@Suite(.serialized) struct CheckpointFuzzTests {
    /// Corrupts or truncates one file of a valid checkpoint, many times (seeded): loading must
    /// throw a typed error or give a network consistent with its architecture, never crash.
    @Test func corruptedCheckpointsNeverCrash() throws {
        let run = try Fixtures.trainedRun(Fixtures.adam, epochs: 1, mask: true)
        let (loaded, rejected) = try fuzz(run.checkpoint(), seed: 2024, rounds: 400)
        #expect(rejected > 200)
        #expect(loaded > 0)  // corrupting weight bytes gives other, still consistent weights
    }

    /// The same with convolutions, BatchNorm buffers and residual blocks (identity shortcut and
    /// projection) after an epoch of SGD with momentum: nested parameter names and more shapes to corrupt.
    @Test func corruptedResidualCheckpointsNeverCrash() throws {
        let architecture = Architecture(inputShape: [2, 6, 6], layers: [
            .conv2d(inputs: 2, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false),
            .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
            .residual(body: [.conv2d(inputs: 4, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                             .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
                             .conv2d(inputs: 4, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: false),
                             .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5)], projection: nil),
            .activation(.relu),
            .residual(body: [.conv2d(inputs: 4, outputs: 6, kernel: 3, stride: 2, padding: 1, bias: false),
                             .batchNorm(features: 6, momentum: 0.1, epsilon: 1e-5)],
                      projection: [.conv2d(inputs: 4, outputs: 6, kernel: 1, stride: 2, padding: 0, bias: false),
                                   .batchNorm(features: 6, momentum: 0.1, epsilon: 1e-5)]),
                .activation(.relu), .maxPool2d(kernel: 3, stride: 3, padding: 1), .flatten,
                .dense(inputs: 6, outputs: 3, bias: true),
        ])
        var rng = RandomSource(seed: 5)
        let network = try Network(architecture, rng: &rng)
        let x = Tensor.uniform([12, 2, 6, 6], -1, 1, using: &rng)
        let y = Tensor((0..<12).map { Float($0 % 3) })
        let run = try TrainingRun(
            network: network, configuration: TrainingConfiguration(optimizer: Fixtures.sgd, batchSize: 4, seed: 1),
            rng: rng)
        try run.runEpoch(train: TensorDataset(inputs: x, targets: y, classCount: 3))
        #expect(network.namedBuffers.contains { $0.name == "layers.5.projection.1.running_var" })
        let (loaded, rejected) = try fuzz(run.checkpoint(), seed: 77, rounds: 400)
        #expect(rejected > 200)
        #expect(loaded > 0)
    }

    /// Writes `rounds` copies of `checkpoint` with one file damaged and loads each; returns how
    /// many loaded (and were consistent) and how many were rejected with a typed error.
    private func fuzz(_ checkpoint: Checkpoint, seed: UInt64, rounds: Int) throws -> (loaded: Int, rejected: Int) {
        let dir = TemporaryDirectory("fuzz")
        defer { dir.remove() }
        var checkpoint = checkpoint
        checkpoint.history = [HistoryRecord(operation: "noop", epoch: 1)]
        let files = try checkpoint.files()
        var rng = RandomSource(seed: seed)
        var loaded = 0, rejected = 0
        let target = dir.file("c")
        #expect(mkdir(target, 0o755) == 0)
        for _ in 0..<rounds {
            let victim = rng.index(below: files.count)
            for (i, f) in files.enumerated() {
                var bytes = f.bytes
                if i == victim {
                    switch rng.index(below: 4) {
                    case 0: bytes = Array(bytes.prefix(rng.index(below: bytes.count)))  // truncate
                    case 1:  // overwrite 1-4 bytes with random values
                        for _ in 0...rng.index(below: 4) {
                            bytes[rng.index(below: bytes.count)] = UInt8(rng.index(below: 256))
                        }
                    case 2:  // replace one byte by a digit (numbers in headers and JSON)
                        bytes[rng.index(below: bytes.count)] = UInt8(ascii: "0") + UInt8(rng.index(below: 10))
                    default:  // corrupt inside the first 64 bytes (headers)
                        bytes[rng.index(below: Swift.min(64, bytes.count))] ^= UInt8(1 << rng.index(below: 8))
                    }
                }
                try writeFileAtomically(bytes, to: target + "/" + f.name)
            }
            do {
                let c = try Checkpoint.load(from: target)
                loaded += 1
                // consistent: the network is what its architecture says, with finite-size tensors
                var rebuildRNG = RandomSource(seed: 0)
                let rebuilt = try Network(c.network.architecture, rng: &rebuildRNG)
                #expect(rebuilt.namedParameters.map(\.name) == c.network.namedParameters.map(\.name))
                #expect(
                    rebuilt.namedParameters.map(\.parameter.value.shape)
                        == c.network.namedParameters.map(\.parameter.value.shape))
                #expect(rebuilt.namedBuffers.map(\.name) == c.network.namedBuffers.map(\.name))
                #expect(rebuilt.namedBuffers.map(\.buffer.shape) == c.network.namedBuffers.map(\.buffer.shape))
                for (_, p) in c.network.namedParameters {
                    for (_, t) in p.state { #expect(t.shape == p.value.shape) }
                    if let m = p.mask { #expect(m.shape == p.value.shape) }
                }
                if let t = c.training { #expect(t.rng.state.count == 4) }
            } catch is CheckpointError {
                rejected += 1
            } catch is SafetensorsError {
                rejected += 1
            } catch {
                Issue.record("untyped error: \(error)")
            }
        }
        return (loaded, rejected)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
