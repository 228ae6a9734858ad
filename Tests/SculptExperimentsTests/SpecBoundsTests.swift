import Foundation
import GRDB
import SculptCore
import Testing
@testable import SculptExperiments

@Suite struct SpecBoundsTests {
    func parseStandard(_ text: String) throws -> ExperimentSpec {
        try ExperimentSpec.parse(Array(text.utf8), file: "s.json", catalog: .standard)
    }

    func paintingSpec(trials: String = "1", metric: String = "loss") -> String {
        #"{"name": "t", "kind": "painting-linear-layers", "trials": \#(trials), "config": {"hidden": 3, "linear": [], "size": 8}, "#
            + #""tables": [{"title": "T", "columns": [{"title": "m", "metric": "\#(metric)", "aggregate": "mean"}]}]}"#
    }

    @Test func absurdTrialCountsAreRefused() throws {
        #expect(throws: SpecError.self) { try self.parseStandard(self.paintingSpec(trials: "1000000000000")) }
        do { _ = try parseStandard(paintingSpec(trials: "1000000000000")) } catch let e as SpecError {
            #expect(e.keyPath == "trials")
        }
        #expect(try parseStandard(paintingSpec(trials: "3")).variants[0].trials == 3)
    }

    @Test func unknownTableMetricsAreRejectedAgainstTheKind() throws {
        do {
            _ = try parseStandard(paintingSpec(metric: "nope"))
            Issue.record("a misspelled metric was accepted")
        } catch let e as SpecError {
            #expect(e.keyPath == "tables[0].columns[0].metric")
            #expect(e.reason.hasPrefix("unknown metric \"nope\" (kind \"painting-linear-layers\" records "))
        }
        _ = try parseStandard(paintingSpec(metric: "pixelAgreement"))
    }

    /// Validation builds the network a config describes: one past the memory limit is refused first
    /// (VGG16 at 64 times its width would need terabytes).
    @Test func validationRefusesNetworksPastTheMemoryLimit() throws {
        let text =
            #"{"name": "i", "kind": "interruptible", "trials": 1, "config": {"model": "vgg16", "widthMultiplier": 64, "#
            + #""method": "none", "epochs": 2}}"#
        do {
            _ = try parseStandard(text)
            Issue.record("a terabyte network was accepted")
        } catch let e as SpecError {
            #expect(e.keyPath == "config.widthMultiplier" && e.reason.contains("needs an estimated"), "\(e)")
        }
    }

    /// Config sizes are bounded: a painting of a billion hidden units is refused when the spec is read.
    @Test func configSizesAreBounded() throws {
        let huge = paintingSpec().replacingOccurrences(of: #""hidden": 3"#, with: #""hidden": 1000000000"#)
        do {
            _ = try parseStandard(huge)
            Issue.record("a billion-unit painting was accepted")
        } catch let e as SpecError {
            #expect(e.keyPath.hasSuffix("hidden"), "\(e)")
        }
        let overflow = paintingSpec().replacingOccurrences(of: #""hidden": 3"#, with: #""hidden": 4000000000000"#)
        #expect(throws: SpecError.self) { try self.parseStandard(overflow) }
    }

    @Test func numberedMetricNames() {
        let names = MetricNames(fixed: ["seconds"], numbered: ["accuracy"])
        #expect(names.contains("accuracy0") && names.contains("accuracy12") && names.contains("seconds"))
        #expect(!names.contains("accuracy") && !names.contains("accuracyX") && !names.contains("nope"))
    }

    /// Every spec in experiments/ names only metrics its kind records.
    @Test func shippedSpecsPassTheMetricCheck() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("experiments")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }
        #expect(!files.isEmpty)
        for file in files {
            _ = try ExperimentSpec.load(path: folder.appendingPathComponent(file).path, catalog: .standard)
        }
    }

    /// A reader opens the database read-only: the file's bytes stay as they were, and a read-only
    /// file can be read.
    @Test func readOnlyStoreLeavesTheFileUnchanged() throws {
        let folder = NSTemporaryDirectory() + "sculpt-ro-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/r.db"
        _ = try ResultStore(path: db)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: db)
        let store = try ResultStore(path: db, readOnly: true)
        #expect(try store.trials(runID: "x").isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(throws: ResultStoreError.self) { try ResultStore(path: folder + "/missing.db", readOnly: true) }
        try "text".write(toFile: folder + "/text.db", atomically: true, encoding: .utf8)
        do { _ = try ResultStore(path: folder + "/text.db", readOnly: true) } catch {
            #expect("\(error)".hasPrefix("results database \(folder)/text.db: "))
        }
    }
}
