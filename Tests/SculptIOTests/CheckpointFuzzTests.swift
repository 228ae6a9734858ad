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
        let dir = TemporaryDirectory("fuzz")
        defer { dir.remove() }
        let run = try Fixtures.trainedRun(Fixtures.adam, epochs: 1, mask: true)
        var checkpoint = run.checkpoint()
        checkpoint.history = [HistoryRecord(operation: "noop", epoch: 1)]
        let files = try checkpoint.files()
        var rng = RandomSource(seed: 2024)
        var loaded = 0, rejected = 0
        let target = dir.file("c")
        #expect(mkdir(target, 0o755) == 0)
        for _ in 0..<400 {
            let victim = rng.index(below: files.count)
            for (i, f) in files.enumerated() {
                var bytes = f.bytes
                if i == victim {
                    switch rng.index(below: 4) {
                    case 0: bytes = Array(bytes.prefix(rng.index(below: bytes.count)))  // truncate
                    case 1:  // overwrite 1-4 bytes with random values
                        for _ in 0...rng.index(below: 4) { bytes[rng.index(below: bytes.count)] = UInt8(rng.index(below: 256)) }
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
                #expect(rebuilt.namedParameters.map(\.parameter.value.shape) == c.network.namedParameters.map(\.parameter.value.shape))
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
        #expect(rejected > 200)
        #expect(loaded > 0)  // corrupting weight bytes gives other, still consistent weights
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
