import Foundation
import Testing

/// `sculpt report` through the real executable, on the tiny painting spec of `RunCommandTests`
/// with a panels figure and a histogram added.
@Suite struct ReportCommandTests {
    static let figures = """
          "figures": [
            { "kind": "panels", "title": "Panels", "y": "activeNodes", "panels": 1, "xAxis": { "label": "x" }, "yAxis": { "label": "y" } },
            { "kind": "histogram", "title": "Active nodes", "y": "activeNodes", "xAxis": { "label": "active nodes" },
              "yAxis": { "label": "trials" } }
          ],
        """

    @Test func reportWritesOnePagePerSpecAndRefusesBadInput() throws {
        let (folder, spec) = try RunCommandTests.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = RunCommandTests.spec.replacingOccurrences(
            of: "\"tables\": [", with: Self.figures + "\n  \"tables\": [")
        try Data(text.utf8).write(to: URL(fileURLWithPath: spec))
        let db = folder + "/results.db"
        let out = folder + "/pages"

        // No database: one line, exit 2, nothing written.
        let missing = try PaintCommandTests.sculpt(["report", spec, "--db", db, "--out", out])
        #expect(
            missing.status == 2 && missing.stderr == "sculpt: error: --db: no database at \(db)\n"
                && missing.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: db))

        // After the run: one page with the panels and the histogram inline.
        let run = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--workers", "1", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try PaintCommandTests.sculpt(["report", spec, "--db", db, "--out", out, "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let pages = try #require(try RunCommandTests.object(report.stdout)["pages"] as? [[String: Any]])
        #expect(pages.count == 1 && pages[0]["finished"] as? Int == 4 && pages[0]["figures"] as? Int == 2)
        let html = try String(contentsOfFile: out + "/cli-run-test.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("<script"))
        #expect(html.components(separatedBy: "<svg xmlns").count - 1 == 3)  // two panels (one per variant) + the histogram
        #expect(html.contains("data:image/png;base64,") && html.contains("Tiny Table 1"))

        // A spec that is not one: exit 2, the existing page untouched.
        let bad = folder + "/bad.json"
        try Data("{\"name\": 3}".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try PaintCommandTests.sculpt(["report", spec, bad, "--db", db, "--out", out])
        #expect(refused.status == 2 && refused.stderr.hasPrefix("sculpt: error: \(bad): name: "))
        #expect(try String(contentsOfFile: out + "/cli-run-test.html", encoding: .utf8) == html)
    }
}
