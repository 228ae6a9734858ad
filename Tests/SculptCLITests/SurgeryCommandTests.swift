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
