import Foundation
import Testing

/// `sculpt surgery` refusals (issue 18): an existing checkpoint at --out, absurd sizes, NaN weights.
/// Each is exit 2, one line naming the flag, and nothing written.
@Suite struct SurgeryRefusalTests {
    /// A small painted network (Dense(2, 4) ... ) in a fresh folder.
    static func paintedModel() throws -> String {
        let model = PaintCommandTests.temporaryFolder()
        let painted = try PaintCommandTests.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4",
                                                    "--linear", "4", "--epochs", "1"])
        #expect(painted.status == 0, "\(painted.stderr)")
        return model
    }

    @Test func existingCheckpointAtOutNeedsOverwrite() throws {
        let model = try Self.paintedModel(), out = model + "-out", file = model + "-file"
        defer { for f in [model, out, file] { try? FileManager.default.removeItem(atPath: f) } }
        let args = ["surgery", model, "--op", "zero-expand", "--layer", "layers.0", "--to", "6", "--out", out]
        #expect(try PaintCommandTests.sculpt(args).status == 0)
        let saved = try TrainCommandTests.contents(out)
        let again = try PaintCommandTests.sculpt(args)
        TrainCommandTests.expectUsageError(again, "--out \(out) already holds a checkpoint; pass --overwrite")
        #expect(try TrainCommandTests.contents(out) == saved)
        // In place, too, is a replacement.
        let inPlace = try PaintCommandTests.sculpt(["surgery", model, "--op", "fold-bn", "--out", model])
        TrainCommandTests.expectUsageError(inPlace, "--out \(model) already holds a checkpoint")
        let replaced = try PaintCommandTests.sculpt(args + ["--overwrite", "--seed", "3"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(try TrainCommandTests.contents(out) != saved)
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        let onFile = try PaintCommandTests.sculpt(["surgery", model, "--op", "fold-bn", "--out", file, "--overwrite"])
        TrainCommandTests.expectUsageError(onFile, "--out \(file) is a file")
    }

    @Test func absurdSizesAreRefusedNamingTheFlagEstimateAndLimit() throws {
        let model = try Self.paintedModel(), out = model + "-out"
        defer { for f in [model, out] { try? FileManager.default.removeItem(atPath: f) } }
        let cases: [([String], String)] = [
            (["--op", "expand", "--layer", "layers.0", "--to", "1e12"],
             "--to 1000000000000: --to 1000000000000 exceeds the largest layer width, 16777216"),
            (["--op", "zero-expand", "--layer", "layers.0", "--to", "10000000000"],
             "--to 10000000000: --to 10000000000 exceeds the largest layer width, 16777216"),
            // Within the width bound but past --max-memory: the estimate and the limit are named.
            (["--op", "zero-expand", "--layer", "layers.0", "--to", "1000000", "--max-memory", "1M"],
             "--to 1000000: layer layers.0 at 1000000 units needs an estimated "),
            (["--op", "zero-expand", "--layer", "layers.0", "--fraction", "1e300"], "--fraction 1e+300: "),
            (["--op", "fold-bn", "--probe", "1e9"], "--probe 1000000000: probe samples 1000000000: at most 1048576"),
            (["--op", "fold-bn", "--probe", "0"], "--probe 0: probe samples 0: must be positive"),
        ]
        for (args, message) in cases {
            let r = try PaintCommandTests.sculpt(["surgery", model, "--out", out] + args)
            TrainCommandTests.expectUsageError(r, message)
            if args.contains("--max-memory") { #expect(r.stderr.contains("above the limit of 1.0 MiB"), "\(r.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: out), "\(args) created \(out)")
        }
    }

    @Test func nonFiniteWeightsAreNamedAndRefusedUnlessAllowed() throws {
        let model = try Self.paintedModel(), out = model + "-out"
        defer { for f in [model, out] { try? FileManager.default.removeItem(atPath: f) } }
        let name = try Self.poisonFirstTensor(model + "/weights.safetensors")
        let args = ["surgery", model, "--op", "zero-expand", "--layer", "layers.0", "--to", "6", "--out", out]
        let refused = try PaintCommandTests.sculpt(args)
        TrainCommandTests.expectUsageError(refused, "\(model): \(name) holds NaN or infinite values; pass " +
                                                    "--allow-nonfinite")
        #expect(!FileManager.default.fileExists(atPath: out))
        let allowed = try PaintCommandTests.sculpt(args + ["--allow-nonfinite", "--json"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(allowed.stdout.utf8)) as? [String: Any])
        #expect(json["nonFiniteTensor"] as? String == name)
    }

    @Test func randomRemoveAndTheScheduleRoundingRule() throws {
        let model = try Self.paintedModel(), out = model + "-out"
        defer { for f in [model, out] { try? FileManager.default.removeItem(atPath: f) } }
        // 0.7499 of 4 units is 2.9996: the schedule's rule (floor with a 1e-3 tolerance) keeps 3.
        let r = try PaintCommandTests.sculpt(["surgery", model, "--op", "random-remove", "--layer", "layers.0",
                                              "--fraction", "0.7499", "--seed", "5", "--out", out, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["operation"] as? String == "random-remove")
        let plan = try #require(json["plan"] as? [String: Any])
        let shrink = try #require(plan["shrink"] as? [String: Any])
        #expect(shrink["to"] as? Int == 3)
        let wrong = try PaintCommandTests.sculpt(["surgery", model, "--op", "minweight", "--layer", "layers.0",
                                                  "--units", "1",
                                                  "--out", out])
        TrainCommandTests.expectUsageError(wrong, "--units 1: --units applies to remove, reinit, freeze and unfreeze")
    }

    /// Writes a NaN over the first float of the tensor stored first in `path`; returns its name.
    static func poisonFirstTensor(_ path: String) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try #require(
            try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        let first = try #require(
            header.first { ($0.value as? [String: Any])?["data_offsets"].flatMap { $0 as? [Int] }?.first == 0 })
        let nan = Float.nan.bitPattern
        for i in 0..<4 { bytes[8 + headerLength + i] = UInt8((nan >> (8 * UInt32(i))) & 0xFF) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return first.key
    }
}
