import Foundation
import Testing

/// `sculpt lottery` through the real executable.
@Suite struct LotteryCommandTests {
    static let hasFashionMNIST = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")

    @Test func badFlagsAreOneLineUsageErrors() throws {
        for (arguments, flag) in [(["--rate", "1"], "--rate"), (["--scope", "everywhere"], "--scope"),
                                  (["--norm", "l3"], "--norm"), (["--optimizer", "adam", "--momentum", "0.9"], "--momentum"),
                                  (["--model", "mlp:0"], "--model")] {
            let r = try PaintCommandTests.sculpt(["lottery"] + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stderr.hasPrefix("sculpt: error: \(flag)") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test(.enabled(if: hasFashionMNIST)) func jsonReportsEveryRoundAndSavesTheTicket() throws {
        let folder = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try PaintCommandTests.sculpt(["lottery", "--model", "mlp:16", "--training-samples", "300", "--test-samples", "200",
                                              "--rounds", "2", "--rate", "0.5", "--epochs", "1", "--control", "--rewind", "3",
                                              "--out", folder, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rounds = try #require(object["rounds"] as? [[String: Any]])
        #expect(rounds.count == 3)
        #expect(rounds[0]["controlAccuracy"] == nil && rounds[2]["controlAccuracy"] != nil)
        #expect((rounds[2]["weightFraction"] as? Double ?? 1) < 0.3)
        #expect(FileManager.default.fileExists(atPath: folder + "/history.json"))
        let history = try String(contentsOfFile: folder + "/history.json", encoding: .utf8)
        #expect(history.contains("lottery"))
        let again = try PaintCommandTests.sculpt(["lottery", "--model", "mlp:16", "--training-samples", "300", "--out", folder])
        #expect(again.status == 2 && again.stderr.contains("--overwrite"))
    }
}
