import Foundation
import Testing

/// `sculpt lottery` through the real executable.
@Suite struct LotteryCommandTests {
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")

    @Test func badFlagsAreOneLineUsageErrors() throws {
        for (arguments, flag) in [(["--rate", "1"], "--rate"), (["--scope", "everywhere"], "--scope"),
                                  (["--norm", "l3"], "--norm"), (["--optimizer", "adam", "--momentum", "0.9"],
                                                                 "--momentum"),
                                  (["--model", "mlp:0"], "--model")] {
            let r = try PaintCommandTests.sculpt(["lottery"] + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.hasPrefix("sculpt: error: \(flag)") && r.stderr.split(separator: "\n").count == 1,
                    "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    /// The same words as the trial kinds' reader gives for the same values
    /// (`LotteryTrialTests.theSettingsReaderGivesTheWordsTheCommandsPrint`): the commands read
    /// their flags with it.
    @Test func flagsAreReadByTheTrialKindsReader() throws {
        let cases: [([String], String)] = [
            (["lottery", "--rate", "1.5"], "--rate: 1.5 is out of range 1e-09...0.999999"),
            (["lottery", "--init", "zeros"], "--init: unknown initializer; use pytorch, glorot, glorot-normal, he, "
                + "he-uniform, uniform:LOW:HIGH or normal:MEAN:STD (found \"zeros\")"),
            (["restart", "--init", "zeros"], "--init: unknown initializer; use pytorch, glorot, glorot-normal, he, "
                + "he-uniform, uniform:LOW:HIGH or normal:MEAN:STD (found \"zeros\")"),
            (["restart", "--fraction", "1.5"], "--fraction: must lie in (0, 1], found 1.5"),
        ]
        for (arguments, message) in cases {
            let r = try PaintCommandTests.sculpt(arguments + ["--data", "fashion-mnist:/nonexistent"])
            #expect(r.status == 2 && r.stderr == "sculpt: error: \(message)\n", "\(arguments): \(r.stderr)")
        }
    }

    @Test(.enabled(if: hasFashionMNIST)) func jsonReportsEveryRoundAndSavesTheTicket() throws {
        let folder = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try PaintCommandTests.sculpt(["lottery", "--model", "mlp:16", "--training-samples", "300",
            "--test-samples", "200", "--rounds", "2", "--rate", "0.5", "--epochs", "1",
                                              "--control", "--rewind", "3", "--out", folder, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        // The old names of the sample limits still work and say so, once each.
        #expect(r.stderr.components(separatedBy: "--training-samples is deprecated: use --train-limit").count == 2)
        #expect(r.stderr.components(separatedBy: "--test-samples is deprecated: use --test-limit").count == 2)
        #expect(FileManager.default.fileExists(atPath: folder + "/init.safetensors"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rounds = try #require(object["rounds"] as? [[String: Any]])
        #expect(rounds.count == 3)
        #expect(rounds[0]["controlAccuracy"] == nil && rounds[2]["controlAccuracy"] != nil)
        #expect((rounds[2]["weightFraction"] as? Double ?? 1) < 0.3)
        #expect(FileManager.default.fileExists(atPath: folder + "/history.json"))
        let history = try String(contentsOfFile: folder + "/history.json", encoding: .utf8)
        #expect(history.contains("lottery"))
        let again = try PaintCommandTests.sculpt(["lottery", "--model", "mlp:16", "--training-samples", "300", "--out",
                                                  folder])
        #expect(again.status == 2 && again.stderr.contains("--overwrite"))
    }

    @Test(.enabled(if: hasFashionMNIST)) func resumingASavedSearchContinuesItExactly() throws {
        let whole = PaintCommandTests.temporaryFolder(), part = PaintCommandTests.temporaryFolder()
        defer { for f in [whole, part] { try? FileManager.default.removeItem(atPath: f) } }
        let flags = ["--model", "mlp:16", "--train-limit", "300", "--test-limit", "200", "--rate", "0.5",
                     "--epochs", "1", "--control", "--threads", "1", "--json"]
        let a = try PaintCommandTests.sculpt(["lottery", "--rounds", "2", "--out", whole] + flags)
        #expect(a.status == 0, "\(a.stderr)")
        // A search stopped after round 1, as an interrupted one leaves its folder, then resumed to 2 rounds.
        let b = try PaintCommandTests.sculpt(["lottery", "--rounds", "1", "--out", part] + flags)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(FileManager.default.fileExists(atPath: part + "/lottery.json")
                && FileManager.default.fileExists(atPath: part + "/lottery.safetensors"))
        let c = try PaintCommandTests.sculpt(["lottery", "--resume", part, "--rounds", "2", "--json"])
        #expect(c.status == 0, "\(c.stderr)")
        func rounds(_ text: String) throws -> [[String: Any]] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return try #require(object["rounds"] as? [[String: Any]])
        }
        let expected = try rounds(a.stdout), resumed = try rounds(c.stdout)
        #expect(resumed.count == 3)
        for key in ["testLoss", "testAccuracy", "controlLoss", "weightFraction"] {
            #expect(resumed.map { $0[key] as? Double } == expected.map { $0[key] as? Double }, "\(key)")
        }
        let weights = try Data(contentsOf: URL(fileURLWithPath: whole + "/weights.safetensors"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: part + "/weights.safetensors")) == weights,
                "the same last ticket")
        // Bad input: not a lottery folder, fewer rounds than already finished.
        let notLottery = try PaintCommandTests.sculpt(["lottery", "--resume", "/nonexistent-folder"])
        #expect(notLottery.status == 2 && notLottery.stderr.hasPrefix("sculpt: error: --resume"))
        let fewer = try PaintCommandTests.sculpt(["lottery", "--resume", part, "--rounds", "1"])
        #expect(fewer.status == 2 && fewer.stderr.contains("--rounds 1"), "\(fewer.stderr)")
    }
}
