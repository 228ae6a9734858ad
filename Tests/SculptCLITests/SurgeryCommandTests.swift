import Foundation
import Testing

/// `sculpt surgery` through the real executable, on a network `sculpt paint` saved.
@Test func surgeryRemovesFoldsAndRecordsHistory() throws {
    let model = PaintCommandTests.temporaryFolder(), smaller = model + "-smaller", folded = model + "-folded"
    defer { for f in [model, smaller, folded] { try? FileManager.default.removeItem(atPath: f) } }
    let painted = try PaintCommandTests.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4",
                                                "--linear", "4", "--epochs", "5"])
    #expect(painted.status == 0, "\(painted.stderr)")
    let r = try PaintCommandTests.sculpt(["surgery", model, "--op", "remove", "--layer", "layers.0", "--units", "1,3",
                                          "--out", smaller, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    // Dense(2, 4) + ReLU + Dense(4, 1): removing 2 units takes 2 * (2 + 1) + 2 parameters.
    #expect(json["operation"] as? String == "remove")
    #expect((json["parametersBefore"] as? Int).map { $0 - 8 } == json["parametersAfter"] as? Int)
    #expect(json["outputMaxAbsDifference"] is Double && (json["changed"] as? [String])?.count == 3)
    let history = try String(contentsOfFile: smaller + "/history.json", encoding: .utf8)
    #expect(history.contains("\"remove\""))
    let collapse = try PaintCommandTests.sculpt(["surgery", smaller, "--op", "collapse", "--out", folded, "--json"])
    #expect(collapse.status == 0, "\(collapse.stderr)")
    // A painting is saved collapsed and has no BatchNorm: the whole-network folds say they found nothing.
    #expect((try #require(try JSONSerialization.jsonObject(with: Data(collapse.stdout.utf8)) as? [String: Any]))[
        "changed"] as? [String] == [])
    let noBatchNorm = try PaintCommandTests.sculpt(["surgery", model, "--op", "fold-bn", "--out", folded,
                                                    "--overwrite"])
    #expect(noBatchNorm.status == 0, "\(noBatchNorm.stderr)")
    #expect(noBatchNorm.stdout.contains("note: nothing to fold: no BatchNorm follows a dense or conv2d layer"))
    #expect(noBatchNorm.stdout.hasSuffix("(history: 1 operation)\n"), "\(noBatchNorm.stdout)")
    let bad = try PaintCommandTests.sculpt(["surgery", model, "--op", "remove", "--layer", "layers.0", "--units",
                                            "0,1,2,3", "--out", folded])
    #expect(
        bad.status == 2
            && bad.stderr.hasPrefix(
                "sculpt: error: --op remove --layer layers.0: removing these units would leave layer layers.0")
    )
    let unknown = try PaintCommandTests.sculpt(["surgery", model, "--op", "widen", "--out", folded])
    #expect(unknown.status == 2 && unknown.stderr.contains("--op widen"))
}

/// `sculpt surgery --op expand|zero-expand|eigenremove|minweight` with --to, --fraction and --rank-ratio.
@Test func surgeryExpandsAndShrinks() throws {
    let model = PaintCommandTests.temporaryFolder(), grown = model + "-grown", shrunk = model + "-shrunk"
    defer { for f in [model, grown, shrunk] { try? FileManager.default.removeItem(atPath: f) } }
    let painted = try PaintCommandTests.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4",
                                                "--linear", "4", "--epochs", "5"])
    #expect(painted.status == 0, "\(painted.stderr)")
    func run(_ args: [String], out: String) throws -> [String: Any] {
        let r = try PaintCommandTests.sculpt(["surgery", model, "--layer", "layers.0", "--out", out, "--json",
                                              "--overwrite"] + args)
        #expect(r.status == 0, "\(args) \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    for args in [["--op", "expand", "--to", "7"], ["--op", "zero-expand", "--fraction", "0.5"]] {
        let json = try run(args, out: grown)
        #expect(json["operation"] as? String == args[1])
        #expect((json["outputMaxAbsDifference"] as? Double).map { $0 <= 1e-5 } == true, "\(args)")
        #expect((json["parametersAfter"] as? Int ?? 0) > (json["parametersBefore"] as? Int ?? 0))
    }
    for args in [["--op", "minweight", "--to", "2"], ["--op", "eigenremove", "--fraction", "0.5", "--rank-ratio",
                                                      "0.5"]] {
        let json = try run(args, out: shrunk)
        #expect(json["operation"] as? String == args[1])
        #expect((json["parametersAfter"] as? Int ?? .max) < (json["parametersBefore"] as? Int ?? 0))
        let history = try String(contentsOfFile: shrunk + "/history.json", encoding: .utf8)
        #expect(history.contains("\"\(args[1])\""))
    }
    let noRatio = try PaintCommandTests.sculpt(["surgery", model, "--op", "eigenremove", "--layer", "layers.0", "--to",
                                                "2", "--out", shrunk])
    #expect(noRatio.status == 2 && noRatio.stderr.contains("--rank-ratio"))
    let badRatio = try PaintCommandTests.sculpt(["surgery", model, "--op", "eigenremove", "--layer", "layers.0", "--to",
                                                 "2", "--rank-ratio", "1.5", "--out", shrunk])
    #expect(badRatio.status == 2 && badRatio.stderr.contains("--rank-ratio 1.5"))
    let smaller = try PaintCommandTests.sculpt(["surgery", model, "--op", "expand", "--layer", "layers.0", "--to", "3",
                                                "--out", grown])
    #expect(smaller.status == 2 && smaller.stderr.contains("an expansion needs a target width above 4, got 3"),
            "\(smaller.stderr)")
}

/// `sculpt surgery` on a conv network with BatchNorm that `sculpt train` saved: the exact
/// operations keep the probe outputs, the shrinks take the expected parameters, and a failed
/// operation is a one-line usage error that writes nothing.
@Test func surgeryOnAConvNetworkWithBatchNorm() throws {
    let root = PaintCommandTests.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let data = root + "/data", modelFile = root + "/conv.json", model = root + "/model", out = root + "/out"
    try TrainCommandTests.writeData(data)
    try TrainCommandTests.convModel.write(toFile: modelFile, atomically: true, encoding: .utf8)
    let trained = try PaintCommandTests.sculpt(["train", "--model", modelFile, "--data", "mnist:" + data, "--epochs",
                                                "1", "--batch", "8",
                                                "--lr", "0.05", "--train-limit", "24", "--out", model, "--json"])
    #expect(trained.status == 0, "\(trained.stderr)")
    func run(_ args: [String]) throws -> [String: Any] {
        try? FileManager.default.removeItem(atPath: out)
        let r = try PaintCommandTests.sculpt(["surgery", model, "--out", out, "--json", "--probe", "32"] + args)
        #expect(r.status == 0, "\(args) \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    func parameters(_ json: [String: Any]) -> (before: Int, after: Int) {
        (json["parametersBefore"] as? Int ?? -1, json["parametersAfter"] as? Int ?? -1)
    }
    // Exact: WeakExpand (BatchNorm entries copied), ZeroExpand (zero outgoing weights), BatchNorm folding.
    // conv0 (1 -> 4) with BN, consumed by conv3 (4 -> 6) with BN, consumed through the flatten by the dense layer.
    let exact: [([String], Int)] = [
        (["--op", "expand", "--layer", "layers.0", "--to", "6"], 2 * (9 + 1 + 2 + 6 * 9)),
        (["--op", "zero-expand", "--layer", "layers.3", "--fraction", "0.5"], 3 * (4 * 9 + 1 + 2 + 16 * 10)),
        (["--op", "fold-bn", "--layer", "layers.0"], -2 * 4),
        (["--op", "fold-bn"], -2 * (4 + 6)),
    ]
    for (args, added) in exact {
        let json = try run(args)
        #expect(json["operation"] as? String == args[1])
        let difference = try #require(json["outputMaxAbsDifference"] as? Double)
        #expect(difference <= 1e-5, "\(args): \(difference)")
        let (before, after) = parameters(json)
        #expect(before == 1252 && after == before + added, "\(args): \(before) -> \(after)")
    }
    // Shrinks: minweight on conv3 removes 3 filters, their BN entries and 3 x 16 dense columns each.
    let minweight = try run(["--op", "minweight", "--layer", "layers.3", "--to", "3"])
    #expect(parameters(minweight).after == 1252 - 3 * (4 * 9 + 1 + 2 + 16 * 10))
    let eigen = try run(["--op", "eigenremove", "--layer", "layers.0", "--to", "2", "--rank-ratio", "0.5"])
    #expect(parameters(eigen).after == 1252 - 2 * (9 + 1 + 2 + 6 * 9))
    let history = try String(contentsOfFile: out + "/history.json", encoding: .utf8)
    #expect(history.contains("\"eigenremove\""))

    // Failures: exit 2, one line naming the flag, --out not created, or an existing --out untouched.
    let failures: [([String], String)] = [
        (["--op", "eigenremove", "--layer", "layers.0", "--to", "9", "--rank-ratio", "0.5"],
         "--op eigenremove --layer layers.0: layer layers.0 has 4 units: a removal needs a target width below 4, got " +
         "9"),
        (["--op", "minweight", "--layer", "layers.42", "--to", "2"], "--layer layers.42: layer layers.42 does not " +
                                                                     "exist"),
        (["--op", "fold-bn", "--layer", "layers.2"], "--op fold-bn --layer layers.2: layer layers.2 cannot be folded"),
        (["--op", "expand", "--layer", "layers.0"], "--to: expand needs --to or --fraction"),
    ]
    let existing = root + "/existing"
    _ = try run(["--op", "fold-bn"])
    try FileManager.default.moveItem(atPath: out, toPath: existing)
    let saved = try TrainCommandTests.contents(existing)
    for (args, message) in failures {
        for target in [out, existing] {
            let r = try PaintCommandTests.sculpt(["surgery", model, "--out", target] + args)
            TrainCommandTests.expectUsageError(r, message)
        }
        #expect(!FileManager.default.fileExists(atPath: out), "\(args) created \(out)")
        #expect(try TrainCommandTests.contents(existing) == saved, "\(args) changed \(existing)")
    }
}
