import Foundation
import Testing

/// `--resume` keeps the run's saved length, sample limit and settings; flags override them and say so.
@Suite struct ResumeSettingsTests {
    func json(_ r: PaintCommandTests.Outcome) throws -> [String: Any] {
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    @Test func resumeKeepsTheSavedRunUnlessAFlagOverridesIt() throws {
        let fixture = BadInputTests.fixture
        let root = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = "mnist:" + fixture.root + "/data", out = root + "/run"
        // --epochs 0 still writes the (untrained) checkpoint it names.
        let zero = try json(PaintCommandTests.sculpt(["train", "--model", fixture.root + "/dense.json", "--data", data,
                "--epochs", "0", "--train-limit", "16", "--batch", "8", "--out", out, "--json",
            ]))
        #expect(zero["epochs"] as? Int == 0 && zero["checkpoint"] as? String == out)
        #expect(FileManager.default.fileExists(atPath: out + "/weights.safetensors"))

        // The saved length is 0: resuming without --epochs trains nothing.
        let same = try json(PaintCommandTests.sculpt(["train", "--data", data, "--resume", out, "--json"]))
        #expect(same["epochsThisRun"] as? Int == 0)

        // --epochs and --lr override the saved values and are reported (on stderr with --json).
        let more = try PaintCommandTests.sculpt(["train", "--data", data, "--resume", out, "--epochs", "2", "--lr",
                                                 "0.05", "--json"])
        let result = try json(more)
        #expect(result["epochs"] as? Int == 2 && result["epochsThisRun"] as? Int == 2)
        #expect(more.stderr.contains("--epochs 2 overrides the saved 0"), "\(more.stderr)")
        #expect(more.stderr.contains("--lr 0.05 overrides the saved 0.01"), "\(more.stderr)")

        // The new length is saved; the sample limit too: 16 samples in batches of 8 is 2 steps an epoch.
        let text = try PaintCommandTests.sculpt(["train", "--data", data, "--resume", out])
        #expect(text.status == 0 && text.stdout.contains("after 2 epochs (0 here"), "\(text.stdout)")
        let file = try Data(contentsOf: URL(fileURLWithPath: out + "/training.json"))
        let training = try #require(try JSONSerialization.jsonObject(with: file) as? [String: Any])
        let state = try #require(training["state"] as? [String: Any])
        let configuration = try #require(state["configuration"] as? [String: Any])
        #expect(configuration["trainLimit"] as? Int == 16 && configuration["epochs"] as? Int == 2)
    }
}
