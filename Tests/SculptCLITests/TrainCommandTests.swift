import Foundation
import Testing

/// `sculpt train` and `sculpt eval` end to end through the real executable, on a tiny generated
/// MNIST-layout folder (`mnist:DIR`).
@Suite struct TrainCommandTests {
    /// A folder with `size` x `size` images in the MNIST layout (plain IDX): 40 training and 10 test samples.
    static func writeData(_ dir: String, size: Int = 8) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func idx(_ dimensions: [Int], _ values: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
            for d in dimensions { bytes += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255),
                                            UInt8(d & 255)] }
            return Data(bytes + values)
        }
        for (prefix, n) in [("train", 40), ("t10k", 10)] {
            let labels = (0..<n).map { UInt8($0 % 10) }
            // The label's row is bright: learnable.
            let area = size * size
            let pixels: [UInt8] = (0..<(n * area)).map { (k: Int) -> UInt8 in
                let row: Int = k % area / size, bright: Int = Int(labels[k / area]) % size
                return row == bright ? 250 : UInt8((k * 13) % 40)
            }
            try idx([n, size, size], pixels).write(to: URL(fileURLWithPath: dir + "/\(prefix)-images-idx3-ubyte"))
            try idx([n], labels).write(to: URL(fileURLWithPath: dir + "/\(prefix)-labels-idx1-ubyte"))
        }
    }

    static let model =
        #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 10}]}"#
    /// conv 3x3 (4) -> BN -> relu -> conv 3x3 (6) -> BN -> relu -> maxpool 2 -> flatten -> dense: 1252 parameters.
    static let convModel =
        #"{"inputShape": [1, 8, 8], "layers": [{"type": "conv2d", "inputs": 1, "outputs": 4, "kernel": 3, "padding": 1}, {"type": "batchnorm", "features": 4}, {"type": "relu"}, {"type": "conv2d", "inputs": 4, "outputs": 6, "kernel": 3, "padding": 1}, {"type": "batchnorm", "features": 6}, {"type": "relu"}, {"type": "maxpool2d", "kernel": 2}, {"type": "flatten"}, {"type": "dense", "inputs": 96, "outputs": 10}]}"#
    static let brokenModel =
        #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 10}, {"type": "dense", "inputs": 20, "outputs": 10}]}"#

    func json(_ r: PaintCommandTests.Outcome) throws -> [String: Any] {
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    /// Files of a checkpoint folder and their bytes.
    static func contents(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))
        }
        return out
    }

    /// A usage error: exit code 2, one line on stderr starting with `prefix`, nothing on stdout.
    static func expectUsageError(_ r: PaintCommandTests.Outcome, _ prefix: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
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
        let trained = try json(PaintCommandTests.sculpt(["train", "--model", modelFile, "--epochs", "1", "--out",
                                                         out] + common))
        #expect(trained["epochs"] as? Int == 1 && trained["epochsThisRun"] as? Int == 1)
        #expect(trained["parameters"] as? Int == 650)
        let accuracy = try #require(trained["testAccuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1 && trained["testLoss"] is Double && trained["seconds"] is Double)
        for name in ["architecture.json", "weights.safetensors", "history.json", "training.json",
                     "optimizer.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }

        // Eval reads the checkpoint and gives the same test figures.
        let evaluated = try json(PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + data, "--json"]))
        #expect(evaluated["testAccuracy"] as? Double == accuracy)
        #expect(evaluated["testLoss"] as? Double == trained["testLoss"] as? Double)
        #expect(evaluated["samples"] as? Int == 10 && evaluated["epochs"] as? Int == 1)
        // --test-limit evaluates the first N test samples (0 or more than there are: all of them).
        let firstFour = try json(PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + data, "--test-limit", "4",
                                                           "--json"]))
        #expect(firstFour["samples"] as? Int == 4)
        let all = try json(PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + data, "--test-limit", "99",
                                                     "--json"]))
        #expect(all["samples"] as? Int == 10 && all["testLoss"] as? Double == trained["testLoss"] as? Double)
        Self.expectUsageError(try PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + data, "--test-limit",
                                                            "-1"]), "--test-limit must be >= 0, got -1")

        // Resume for one more epoch.
        let resumed = try json(PaintCommandTests.sculpt(["train", "--resume", out, "--epochs", "2"] + common))
        #expect(resumed["epochs"] as? Int == 2 && resumed["epochsThisRun"] as? Int == 1)
        #expect(resumed["checkpoint"] as? String == out)
        let saved = try Self.contents(out)

        // Bad input: exit 2, one line, the existing checkpoint untouched even with --overwrite.
        let fresh = root + "/fresh"
        let unknown = try PaintCommandTests.sculpt(["train", "--model", "no-such-model", "--out", out,
                                                    "--overwrite"] + common)
        Self.expectUsageError(unknown, "--model: 'no-such-model' is neither")
        #expect(unknown.stderr.contains("cnn-small") && unknown.stderr.contains("mlp"))
        let missing = try PaintCommandTests.sculpt(["train", "--model", modelFile, "--out", fresh, "--data",
                                                    "mnist:" + root + "/nowhere"])
        Self.expectUsageError(missing, "--data mnist:\(root)/nowhere: ")
        let unchained = try PaintCommandTests.sculpt(["train", "--model", broken, "--out", out, "--overwrite"] + common)
        Self.expectUsageError(unchained, "--model ")
        #expect(
            unchained.stderr.contains("[10]") && unchained.stderr.contains("[20]")
                && unchained.stderr.contains("layers.2"),
                "\(unchained.stderr)")
        let badWidth = try PaintCommandTests.sculpt(["train", "--model", "mlp", "--width", "0", "--out",
                                                     fresh] + common)
        Self.expectUsageError(badWidth, "--width must lie in (0, 4096]")
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(try Self.contents(out) == saved)
    }

    /// A folder with CIFAR-100 binary files (`train.bin`, `test.bin`) of `count` patterned images each.
    static func writeCIFAR100(_ dir: String, count: Int = 2) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for name in ["train.bin", "test.bin"] {
            // a record is the coarse label, the fine label, then 3 x 32 x 32 pixel bytes
            var bytes: [UInt8] = []
            for i in 0..<count {
                bytes += [UInt8(i % 20), UInt8(i % 100)]
                bytes += (0..<3072).map { (k: Int) -> UInt8 in UInt8((k * 7 + i) % 256) }
            }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
    }

    @Test("a checkpoint that does not fit the data or --model is a one-line usage error and nothing is overwritten")
    func incompatibleCheckpointIsAUsageError() throws {
        let root = PaintCommandTests.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data", small = root + "/small", cifar = root + "/cifar", out = root + "/run"
        let modelFile = root + "/model.json", convFile = root + "/conv.json"
        try Self.writeData(data)
        try Self.writeData(small, size: 6)
        try Self.writeCIFAR100(cifar)
        try Self.model.write(toFile: modelFile, atomically: true, encoding: .utf8)
        try Self.convModel.write(toFile: convFile, atomically: true, encoding: .utf8)
        _ = try json(PaintCommandTests.sculpt(["train", "--model", modelFile, "--epochs", "1", "--out", out, "--data",
                                               "mnist:" + data,
                                               "--batch", "8", "--train-limit", "16", "--json"]))
        let saved = try Self.contents(out)

        // eval: samples of another size, then another number of classes.
        let shape = try PaintCommandTests.sculpt(["eval", out, "--data", "mnist:" + small])
        Self.expectUsageError(shape, "the network in \(out) takes samples of shape [1, 8, 8] but --data " +
                                     "mnist:\(small) gives [1, 6, 6]")
        let classes = try PaintCommandTests.sculpt(["eval", out, "--data", "cifar100-coarse:" + cifar, "--json"])
        Self.expectUsageError(classes, "the network in \(out) outputs [10] but --data cifar100-coarse:\(cifar) has " +
                                       "20 classes")

        // train --resume with a --model that is not the checkpoint's: a built-in and a file.
        for model in ["mlp", convFile] {
            let r = try PaintCommandTests.sculpt(["train", "--resume", out, "--model", model, "--epochs", "2", "--data",
                                                  "mnist:" + data])
            Self.expectUsageError(r, "--model \(model) is not the architecture of the checkpoint --resume \(out)")
        }
        // The same --model file is the checkpoint's architecture: that resume is accepted (0 more epochs).
        let same = try json(PaintCommandTests.sculpt(["train", "--resume", out, "--model", modelFile, "--epochs", "1",
                                                      "--data", "mnist:" + data, "--json"]))
        #expect(same["epochsThisRun"] as? Int == 0)
        #expect(try Self.contents(out) == saved)
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
