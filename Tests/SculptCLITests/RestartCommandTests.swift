import Foundation
import Testing

/// `sculpt restart` through the real executable.
@Suite struct RestartCommandTests {
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")
    static let tiny = [
        "restart", "--model", "mininet", "--width", "0.25", "--train-limit", "200", "--test-limit", "100",
                       "--epochs-high", "1", "--epochs-low", "0", "--restart-epochs-high", "1",
                       "--restart-epochs-low", "0", "--measure-samples", "50", "--batch", "50"]

    @Test func badFlagsAreOneLineUsageErrors() throws {
        var cases: [([String], String)] = [(["--fraction", "1.5"], "--fraction"), (["--fraction", "0"], "--fraction"),
                                           (["--reset", "gaussian"], "--reset"), (["--count", "0"], "--count"),
                                           (["--restarts=-1"], "--restarts"), (["--resume"], "--resume")]
        if Self.hasFashionMNIST {
            cases += [(["--count", "9"], "--count"), (["--layers", "layers.99"], "--layers"), (["--layers",
                "layers.10"], "--layers")]
        }
        for (arguments, flag) in cases {
            let r = try PaintCommandTests.sculpt(Self.tiny + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.hasPrefix("sculpt: error: \(flag)") && r.stderr.split(separator: "\n").count == 1,
                    "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test(.enabled(if: hasFashionMNIST)) func jsonReportsRoundsAndResumeContinues() throws {
        let folder = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = Self.tiny + ["--restarts", "1", "--reset", "xavier", "--out", folder, "--json"]
        let r = try PaintCommandTests.sculpt(arguments)
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rounds = try #require(object["rounds"] as? [[String: Any]])
        #expect(rounds.count == 2)
        #expect(rounds[0]["controlAccuracy"] == nil && rounds[1]["controlAccuracy"] != nil)
        let useless = try #require(rounds[1]["useless"] as? [[String: Any]])
        #expect(useless.map { $0["layer"] as? String } == ["layers.0", "layers.3", "layers.6"])
        #expect(useless.map { ($0["filters"] as? [Int])?.count } == [1, 2, 3])  // 10 % of 8, 16 and 32 filters
        let configuration = try #require(object["configuration"] as? [String: Any])
        #expect((configuration["useless"] as? [String: Any])?["fraction"] as? Double == 0.1
                && configuration["reset"] as? String == "xavier")
        #expect(object["stop"] as? String == "restarts" && object["baselineAccuracy"] is Double
                && object["finalAccuracy"] is Double)
        #expect(FileManager.default.fileExists(atPath: folder + "/round-1/history.json"))
        #expect(FileManager.default.fileExists(atPath: folder + "/round-1-control/weights.safetensors"))
        for round in ["round-1", "round-1-control"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/\(round)/init.safetensors"), "\(round)")
        }

        let again = try PaintCommandTests.sculpt(arguments)
        #expect(again.status == 2 && again.stderr.contains("--resume"))
        let resumed = try PaintCommandTests.sculpt(arguments + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(resumed.stdout.utf8)) as? [String: Any])
        #expect(second["resumedAfterRound"] as? Int == 1)
        #expect(second["finalAccuracy"] as? Double == object["finalAccuracy"] as? Double)
        let other = try PaintCommandTests.sculpt(Self.tiny + ["--restarts", "2", "--out", folder, "--resume"])
        #expect(other.status == 2 && other.stderr.contains("other flags"))
    }
}
