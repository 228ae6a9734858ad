import Foundation
import Testing

/// `sculpt analyze` through the real executable, on networks `sculpt paint` saved (no init.safetensors).
@Test func analyzeReportsJSONFiguresAndBadInitialWeights() throws {
    let model = PaintCommandTests.temporaryFolder()
    let other = model + "-other"
    let figures = model + "-figures"
    defer { for f in [model, other, figures] { try? FileManager.default.removeItem(atPath: f) } }
    for (folder, hidden) in [(model, "6"), (other, "5")] {
        let painted = try PaintCommandTests.sculpt([
            "paint", "--json", "--out", folder, "--size", "8", "--hidden", hidden, "--epochs", "3",
        ])
        #expect(painted.status == 0, "\(painted.stderr)")
    }
    // A painting keeps its initial weights; without them analyze says so and refuses --distance.
    #expect(FileManager.default.fileExists(atPath: model + "/init.safetensors"))
    try FileManager.default.removeItem(atPath: model + "/init.safetensors")
    let r = try PaintCommandTests.sculpt(["analyze", model, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let report = try #require(json["report"] as? [String: Any])
    let layers = try #require(report["layers"] as? [[String: Any]])
    #expect(layers.count == 2)
    let spectrum = try #require(layers[0]["spectrum"] as? [String: Any])
    let fit = try #require(spectrum["powerLaw"] as? [String: Any])
    #expect(fit["alpha"] == nil && (fit["reason"] as? String)?.contains("fewer than the 50") == true)
    #expect((json["initialWeightsNote"] as? String)?.contains("init.safetensors") == true)

    // The table for people: every row of the spectra table as long as its header (columns as wide as
    // their widest cell, numbers right-aligned), the layer names under "layer".
    let human = try PaintCommandTests.sculpt(["analyze", model])
    #expect(human.status == 0, "\(human.stderr)")
    let lines = human.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let header = try #require(lines.firstIndex { $0.hasPrefix("layer ") && $0.contains("alpha") })
    let rows = lines[(header + 1)...].prefix { $0.hasPrefix("layers.") }
    #expect(rows.count == 2 && rows.allSatisfy { $0.count == lines[header].count }, "\(human.stdout)")
    #expect(lines[header].hasSuffix("KS p") && rows.allSatisfy { !$0.hasSuffix(" ") })

    let distance = try PaintCommandTests.sculpt(["analyze", model, "--distance"])
    #expect(distance.status == 2 && distance.stderr.hasSuffix("; pass --init RUN0\n") && distance.stdout.isEmpty)
    let mismatch = try PaintCommandTests.sculpt(["analyze", model, "--init", other])
    #expect(mismatch.status == 2)
    #expect(
        mismatch.stderr
            == "sculpt: error: --init \(other): initial weights: layers.0.weight has shape [5, 2], "
            + "the trained network's has [6, 2]\n"
    )

    let written = try PaintCommandTests.sculpt(["analyze", model, "--init", model, "--out", figures])
    #expect(written.status == 0, "\(written.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: figures).sorted()
    #expect(
        files.contains("analysis.json") && files.contains("esd-layers-0-weight.svg")
            && files.contains("angles-layers-0-weight.svg"))
    let again = try PaintCommandTests.sculpt(["analyze", model, "--out", figures])
    #expect(again.status == 2 && again.stderr.contains("--out \(figures) already exists"))
}

/// A lottery folder holds the ticket's initial weights (its rewind point) and its masks: `sculpt analyze`
/// reports distances and the survivors per unit.
@Test func analyzeReadsALotteryTicket() throws {
    let folder = PaintCommandTests.temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let lottery = try PaintCommandTests.sculpt([
        "lottery", "--model", "mlp:60,20", "--data", "fashion-mnist", "--rounds", "1", "--epochs", "1",
        "--training-samples", "300", "--test-samples", "100", "--out", folder,
    ])
    #expect(lottery.status == 0, "\(lottery.stderr)")
    #expect(FileManager.default.fileExists(atPath: folder + "/init.safetensors"))
    let r = try PaintCommandTests.sculpt(["analyze", folder, "--distance", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let layers = try #require((json["report"] as? [String: Any])?["layers"] as? [[String: Any]])
    let ticket = try #require(layers[0]["ticket"] as? [String: Any])
    #expect(ticket["units"] as? Int == 60 && (ticket["survivors"] as? Int ?? 0) > 0)
    #expect(layers[0]["distance"] is [String: Any])
}
