import Foundation
import Testing

/// `sculpt surgery` through the real executable, on a network `sculpt paint` saved.
@Test func surgeryRemovesFoldsAndRecordsHistory() throws {
    let model = PaintCommandTests.temporaryFolder(), smaller = model + "-smaller", folded = model + "-folded"
    defer { for f in [model, smaller, folded] { try? FileManager.default.removeItem(atPath: f) } }
    let painted = try PaintCommandTests.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4", "--linear", "4", "--epochs", "5"])
    #expect(painted.status == 0, "\(painted.stderr)")
    let r = try PaintCommandTests.sculpt(["surgery", model, "--op", "remove", "--layer", "layers.0", "--units", "1,3", "--out", smaller, "--json"])
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
    let bad = try PaintCommandTests.sculpt(["surgery", model, "--op", "remove", "--layer", "layers.0", "--units", "0,1,2,3", "--out", folded])
    #expect(bad.status == 2 && bad.stderr.hasPrefix("sculpt: error: --op remove --layer layers.0: removing these units would leave layer layers.0"))
    let unknown = try PaintCommandTests.sculpt(["surgery", model, "--op", "widen", "--out", folded])
    #expect(unknown.status == 2 && unknown.stderr.contains("--op widen"))
}

/// `sculpt surgery --op expand|zero-expand|eigenremove|minweight` with --to, --fraction and --rank-ratio.
@Test func surgeryExpandsAndShrinks() throws {
    let model = PaintCommandTests.temporaryFolder(), grown = model + "-grown", shrunk = model + "-shrunk"
    defer { for f in [model, grown, shrunk] { try? FileManager.default.removeItem(atPath: f) } }
    let painted = try PaintCommandTests.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4", "--linear", "4", "--epochs", "5"])
    #expect(painted.status == 0, "\(painted.stderr)")
    func run(_ args: [String], out: String) throws -> [String: Any] {
        let r = try PaintCommandTests.sculpt(["surgery", model, "--layer", "layers.0", "--out", out, "--json"] + args)
        #expect(r.status == 0, "\(args) \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }
    for args in [["--op", "expand", "--to", "7"], ["--op", "zero-expand", "--fraction", "0.5"]] {
        let json = try run(args, out: grown)
        #expect(json["operation"] as? String == args[1])
        #expect((json["outputMaxAbsDifference"] as? Double).map { $0 <= 1e-5 } == true, "\(args)")
        #expect((json["parametersAfter"] as? Int ?? 0) > (json["parametersBefore"] as? Int ?? 0))
    }
    for args in [["--op", "minweight", "--to", "2"], ["--op", "eigenremove", "--fraction", "0.5", "--rank-ratio", "0.5"]] {
        let json = try run(args, out: shrunk)
        #expect(json["operation"] as? String == args[1])
        #expect((json["parametersAfter"] as? Int ?? .max) < (json["parametersBefore"] as? Int ?? 0))
        let history = try String(contentsOfFile: shrunk + "/history.json", encoding: .utf8)
        #expect(history.contains("\"\(args[1])\""))
    }
    let noRatio = try PaintCommandTests.sculpt(["surgery", model, "--op", "eigenremove", "--layer", "layers.0", "--to", "2", "--out", shrunk])
    #expect(noRatio.status == 2 && noRatio.stderr.contains("--rank-ratio"))
    let badRatio = try PaintCommandTests.sculpt(["surgery", model, "--op", "eigenremove", "--layer", "layers.0", "--to", "2", "--rank-ratio", "1.5", "--out", shrunk])
    #expect(badRatio.status == 2 && badRatio.stderr.contains("--rank-ratio 1.5"))
    let smaller = try PaintCommandTests.sculpt(["surgery", model, "--op", "expand", "--layer", "layers.0", "--to", "3", "--out", grown])
    #expect(smaller.status == 2 && smaller.stderr.contains("an expansion needs a target width above 4, got 3"), "\(smaller.stderr)")
}
