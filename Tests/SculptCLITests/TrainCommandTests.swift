import Foundation
import Testing

/// `sculpt train` and `sculpt eval` end to end through the real executable, on a tiny generated
/// MNIST-layout folder (`mnist:DIR`).
@Suite struct TrainCommandTests {
    /// A folder with 8x8 images in the MNIST layout (plain IDX): 40 training and 10 test samples.
    static func writeData(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func idx(_ dimensions: [Int], _ values: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
            for d in dimensions { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
            return Data(bytes + values)
        }
        for (prefix, n) in [("train", 40), ("t10k", 10)] {
            let labels = (0..<n).map { UInt8($0 % 10) }
            // The label's row is bright: learnable.
            let pixels: [UInt8] = (0..<(n * 64)).map { (k: Int) -> UInt8 in
                let row: Int = k % 64 / 8, bright: Int = Int(labels[k / 64]) % 8
                return row == bright ? 250 : UInt8((k * 13) % 40)
            }
            try idx([n, 8, 8], pixels).write(to: URL(fileURLWithPath: dir + "/\(prefix)-images-idx3-ubyte"))
            try idx([n], labels).write(to: URL(fileURLWithPath: dir + "/\(prefix)-labels-idx1-ubyte"))
        }
    }

    static let model = #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 10}]}"#
    static let brokenModel = #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 10}, {"type": "dense", "inputs": 20, "outputs": 10}]}"#

    func json(_ r: PaintCommandTests.Outcome) throws -> [String: Any] {
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// Files of a checkpoint folder and their bytes.
    func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// A usage error: exit code 2, one line on stderr starting with `prefix`, nothing on stdout.
    func expectUsageError(_ r: PaintCommandTests.Outcome, _ prefix: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 2, sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("sculpt: error: " + prefix), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasSuffix("\n") && r.stderr.dropLast().split(separator: "\n").count == 1, "\(r.stderr)",
                sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func trainEvalResumeAndBadInputs() throws {
        let root = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data", out = root + "/run", modelFile = root + "/model.json", broken = root + "/broken.json"
        try Self.writeData(data)
        try Self.model.write(toFile: modelFile, atomically: true, encoding: .utf8)
        try Self.brokenModel.write(toFile: broken, atomically: true, encoding: .utf8)
        let common = ["--data", "mnist:" + data, "--json", "--lr", "0.1", "--momentum", "0.9", "--batch", "8"]

        // Train one epoch into --out.
        let trained = try json(PaintCommandTests.sculpt(["train", "--model", modelFile, "--epochs", "1", "--out", out] + common))
        #expect(trained["epochs"] as? Int == 1 && trained["epochsThisRun"] as? Int == 1)
        #expect(trained["parameters"] as? Int == 650)
        let accuracy = try #require(trained["testAccuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1 && trained["testLoss"] is Double && trained["seconds"] is Double)
        for name in ["architecture.json", "weights.safetensors", "history.json", "training.json", "optimizer.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }

        // Eval reads the checkpoint and gives the same test figures.
        let evaluated = try json(PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + data, "--json"]))
        #expect(evaluated["testAccuracy"] as? Double == accuracy)
        #expect(evaluated["testLoss"] as? Double == trained["testLoss"] as? Double)
        #expect(evaluated["samples"] as? Int == 10 && evaluated["epochs"] as? Int == 1)

        // Resume for one more epoch.
        let resumed = try json(PaintCommandTests.sculpt(["train", "--resume", out, "--epochs", "2"] + common))
        #expect(resumed["epochs"] as? Int == 2 && resumed["epochsThisRun"] as? Int == 1)
        #expect(resumed["checkpoint"] as? String == out)
        let saved = try contents(out)

        // Bad input: exit 2, one line, the existing checkpoint untouched even with --overwrite.
        let fresh = root + "/fresh"
        let unknown = try PaintCommandTests.sculpt(["train", "--model", "no-such-model", "--out", out, "--overwrite"] + common)
        expectUsageError(unknown, "--model: 'no-such-model' is neither")
        #expect(unknown.stderr.contains("cnn-small") && unknown.stderr.contains("mlp"))
        let missing = try PaintCommandTests.sculpt(["train", "--model", modelFile, "--out", fresh, "--data", "mnist:" + root + "/nowhere"])
        expectUsageError(missing, "--data mnist:\(root)/nowhere: ")
        let unchained = try PaintCommandTests.sculpt(["train", "--model", broken, "--out", out, "--overwrite"] + common)
        expectUsageError(unchained, "--model ")
        #expect(unchained.stderr.contains("[10]") && unchained.stderr.contains("[20]") && unchained.stderr.contains("layers.2"),
                "\(unchained.stderr)")
        let badWidth = try PaintCommandTests.sculpt(["train", "--model", "mlp", "--width", "0", "--out", fresh] + common)
        expectUsageError(badWidth, "--width must be positive")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(try contents(out) == saved)
    }

    @Test func builtinModelTakesTheDataShapeAndWidth() throws {
        let root = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.writeData(root + "/data")
        let r = try json(PaintCommandTests.sculpt(["train", "--model", "mlp", "--width", "0.05", "--epochs", "1",
                                                   "--data", "mnist:" + root + "/data", "--json"]))
        // mlp at width 0.05 on 8x8 images: 64-26-26-10
        #expect(r["parameters"] as? Int == 64 * 26 + 26 + 26 * 26 + 26 + 26 * 10 + 10)
    }
}
