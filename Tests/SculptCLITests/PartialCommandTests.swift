import Foundation
import Testing

/// `sculpt partial` through the real executable: errors before training, and a tiny run.
@Suite struct PartialCommandTests {
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")

    @Test func impossibleModesAreOneLineUsageErrors() throws {
        let cases: [([String], String)] = [
            (["--mode", "filters:0"], "--mode filters:0: the fraction learned must lie in (0, 1]"),
            (["--mode", "count:33"], "layer layers.0 has only 32"),
            (["--mode", "block:layers.50"], "unknown block 'layers.50'"),
            (["--mode", "slice:7:0.5"], "slice dimension"),
            (["--rest", "random"], "--rest must be fixed or zeroed"),
            (["--mode", "filters:0.5", "--rest", "zeroed", "--members", "3"], "rest must be fixed"),
        ]
        for (extra, message) in cases {
            let r = try PaintCommandTests.sculpt(["partial", "--model", "cnn-small", "--data",
                                                  "fashion-mnist:/nonexistent"] + extra)
            #expect(r.status == 2, "\(extra)")
            #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
    }

    @Test(.enabled(if: hasFashionMNIST)) func tinyRunPrintsOneJSONObject() throws {
        let r = try PaintCommandTests.sculpt(["partial", "--model", "cnn-small", "--width", "0.125",
            "--data", "fashion-mnist", "--mode", "count:2", "--rest", "zeroed", "--dense-layers", "split",
                                              "--epochs", "1", "--train-limit", "128", "--test-limit", "64", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Any])
        // count:2 at width 0.125: 2 of 4 filters (9+1), 2 of 8 (36+1), 2 of 16 units (392+1), classifier 170.
        #expect(summary["learnedParameters"] as? Int == 20 + 74 + 786 + 170)
        #expect(summary["rest"] as? String == "zeroed")
        // stderr is a pipe: the epoch is logged as a time-stamped line (stdout stays one JSON object).
        #expect(r.stderr.split(separator: "\n").contains { $0.hasPrefix("[20") && $0.contains("Z] epoch 1/1: loss ") },
                "\(r.stderr)")
    }

    @Test(.enabled(if: hasFashionMNIST)) func savedRunsResumeExactly() throws {
        let whole = PaintCommandTests.temporaryFolder(), part = PaintCommandTests.temporaryFolder()
        defer { for f in [whole, part] { try? FileManager.default.removeItem(atPath: f) } }
        let flags = ["partial", "--model", "cnn-small", "--width", "0.125", "--data", "fashion-mnist", "--mode",
                     "filters:0.5",
                     "--rest", "fixed", "--train-limit", "256", "--test-limit", "128", "--json"]
        func accuracy(_ r: PaintCommandTests.Outcome) throws -> [Double] {
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return [object["testAccuracy"] as? Double ?? -1, object["testLoss"] as? Double ?? -1,
                    object["trainLoss"] as? Double ?? -1]
        }
        let straight = try accuracy(try PaintCommandTests.sculpt(flags + ["--epochs", "2"]))
        let saved = try accuracy(try PaintCommandTests.sculpt(flags + ["--epochs", "2", "--out", whole]))
        #expect(saved == straight, "checkpointing every epoch does not change the run")
        // An interrupted run: one epoch saved, then resumed to two.
        _ = try accuracy(try PaintCommandTests.sculpt(flags + ["--epochs", "1", "--out", part]))
        let resumed = try accuracy(try PaintCommandTests.sculpt(["partial", "--resume", part, "--epochs", "2",
                                                                 "--json"]))
        #expect(resumed == straight)
        let bad = try PaintCommandTests.sculpt(["partial", "--resume", part, "--epochs", "1"])
        #expect(bad.status == 2 && bad.stderr.contains("already trained 2 epochs"), "\(bad.stderr)")
    }

    @Test(.enabled(if: hasFashionMNIST)) func savedEnsemblesResumeExactly() throws {
        let whole = PaintCommandTests.temporaryFolder(), part = PaintCommandTests.temporaryFolder()
        defer { for f in [whole, part] { try? FileManager.default.removeItem(atPath: f) } }
        let flags = ["partial", "--model", "cnn-small", "--width", "0.125", "--data", "fashion-mnist", "--mode",
                     "filters:0.5",
                     "--selection", "random", "--train-limit", "256", "--test-limit", "128", "--json"]
        func figures(_ r: PaintCommandTests.Outcome) throws -> [Double] {
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return [object["ensembleAccuracy"] as? Double ?? -1, object["baseAccuracy"] as? Double ?? -1]
                + (object["memberAccuracies"] as? [Double] ?? [])
        }
        let straight = try figures(try PaintCommandTests.sculpt(flags + ["--members", "3", "--out", whole]))
        #expect(straight.count == 5)
        _ = try figures(try PaintCommandTests.sculpt(flags + ["--members", "1", "--out", part]))
        let resumed = try figures(try PaintCommandTests.sculpt(["partial", "--resume", part, "--members", "3",
                                                                "--json"]))
        #expect(resumed == straight)
        // The run log has every epoch of the base model and of each member; the initial weights are kept.
        let log = try String(contentsOfFile: whole + "/metrics.jsonl", encoding: .utf8)
        for series in ["base", "member 1", "member 2", "member 3"] {
            #expect(log.contains("\"series\":\"\(series)\""), "\(series)")
        }
        #expect(FileManager.default.fileExists(atPath: whole + "/init.safetensors"))
        let ensemble = try Data(contentsOf: URL(fileURLWithPath: whole + "/ensemble.safetensors"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: part + "/ensemble.safetensors")) == ensemble,
                "the same saved members")
        let bad = try PaintCommandTests.sculpt(["partial", "--resume", part, "--members", "2"])
        #expect(bad.status == 2 && bad.stderr.contains("already has 3 members"), "\(bad.stderr)")
    }
}
