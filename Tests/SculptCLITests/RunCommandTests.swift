import Foundation
import Testing

/// `sculpt run` and `sculpt table` through the real executable, on a tiny painting-linear-layers spec.
@Suite struct RunCommandTests {
    /// Two variants x two trials of an 8 x 8 square, 30 epochs at most: a second or two per trial in a debug build.
    static let spec = """
    {
      "name": "cli-run-test",
      "description": "sculpt run / sculpt table end to end",
      "kind": "painting-linear-layers",
      "seed": 5,
      "trials": 2,
      "config": { "shape": "square", "size": 8, "batchSize": 16, "patience": 5, "maxEpochs": 30 },
      "variants": [
        { "name": "model 1", "config": { "hidden": 3, "linear": [] } },
        { "name": "model 2", "config": { "hidden": 3, "linear": [9] } }
      ],
      "tables": [
        {
          "title": "Tiny Table 1",
          "columns": [
            { "title": "# parameters trained", "metric": "parametersTrained", "aggregate": "mean", "digits": 0 },
            { "title": "# parameters collapsed", "metric": "parametersFinal", "aggregate": "mean", "digits": 0 },
            { "title": "epochs", "metric": "epochs", "aggregate": "meanStd", "digits": 1 }
          ]
        }
      ]
    }
    """

    /// A fresh folder holding the spec as tiny.json; the caller removes the folder.
    static func specFolder() throws -> (folder: String, spec: String) {
        let folder = PaintCommandTests.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(spec.utf8).write(to: URL(fileURLWithPath: folder + "/tiny.json"))
        return (folder, folder + "/tiny.json")
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func trialFoldersThatIsAFileIsRefusedNamingTheFlag() throws {
        let (folder, spec) = try Self.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let result = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--trial-folders", spec])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--trial-folders \(spec): is a file, not a folder"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "a refused run leaves no database")
    }

    @Test(
        "sculpt run runs every trial in worker processes, a second run resumes without re-running, and sculpt table reads the database"
    )
    func runResumesAndTableReadsTheDatabase() throws {
        let (folder, spec) = try Self.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"

        let first = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--workers", "2", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let run1 = try Self.object(first.stdout)
        #expect(run1["spec"] as? String == "cli-run-test")
        #expect(run1["planned"] as? Int == 4 && run1["done"] as? Int == 4)
        #expect(run1["skipped"] as? Int == 0 && run1["failed"] as? Int == 0)
        #expect((run1["failures"] as? [Any])?.isEmpty == true)
        let runID = try #require(run1["runId"] as? String)
        // stderr is a pipe, not a terminal: one time-stamped line per finished trial, naming it (stdout stays one object).
        let logged = first.stderr.split(separator: "\n")
        #expect(logged.count == 4, "\(first.stderr)")
        #expect(logged.allSatisfy { $0.hasPrefix("[20") && $0.contains("Z] run \(runID): ") && $0.contains(" done in ") })
        #expect(logged.last?.contains("4/4 done, 0 failed") == true, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: db))
        // Every trial was done: the trials' working folders, and their root, are gone.
        #expect(run1["trialFolders"] as? String == db + ".trials")
        #expect(!FileManager.default.fileExists(atPath: db + ".trials"))

        let second = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--workers", "2", "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        let run2 = try Self.object(second.stdout)
        #expect(run2["runId"] as? String == runID)
        #expect(run2["planned"] as? Int == 4 && run2["skipped"] as? Int == 4)
        #expect(run2["done"] as? Int == 0 && run2["failed"] as? Int == 0)

        let text = try PaintCommandTests.sculpt(["run", spec, "--db", db])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(
            text.stdout.hasPrefix("cli-run-test (run \(runID)): 0 done, 0 failed, 4 already done, 4 planned"),
            "\(text.stdout)")

        let table = try PaintCommandTests.sculpt(["table", spec, "--db", db, "--json"])
        #expect(table.status == 0, "\(table.stderr)")
        let report = try Self.object(table.stdout)
        #expect(report["runId"] as? String == runID && report["trials"] as? Int == 4)  // the database holds 4 trials, none twice
        let tables = try #require(report["tables"] as? [[String: Any]])
        #expect(tables.count == 1 && tables.first?["title"] as? String == "Tiny Table 1")
        let rows = try #require(tables.first?["rows"] as? [[String: Any]])
        #expect(rows.map { $0["label"] as? String } == ["model 1", "model 2"])
        #expect(rows.map { $0["n"] as? Int } == [2, 2] && rows.map { $0["failed"] as? Int } == [0, 0])
        // Parameters trained: 2-3-1 has 13; 2-3-9-1 has 9 + 36 + 10 = 55. Both collapse to 13.
        let values = rows.map { row in (row["cells"] as? [[String: Any]] ?? []).map { $0["value"] as? Double } }
        #expect(values.map { $0.prefix(2) } == [[13, 13], [55, 13]])
        let epochs = values.compactMap { $0.last ?? nil }
        #expect(epochs.count == 2 && epochs.allSatisfy { $0 >= 1 && $0 <= 30 })

        let markdown = try PaintCommandTests.sculpt(["table", spec, "--db", db, "--markdown"])
        #expect(markdown.status == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.contains("**Tiny Table 1**"))
        #expect(
            markdown.stdout.contains("| variant | n | # parameters trained | # parameters collapsed | epochs |"),
            "\(markdown.stdout)")
        #expect(markdown.stdout.contains("|---|---:|"))
        #expect(markdown.stdout.contains("| model 2 | 2 | 55 | 13 |"), "\(markdown.stdout)")
    }

    @Test("sculpt run --variants runs only the named variants' trials; a run without it resumes the rest")
    func variantsFilter() throws {
        let (folder, spec) = try Self.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let first = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--variants", "model 2", "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.object(first.stdout)
        #expect(report["planned"] as? Int == 2 && report["done"] as? Int == 2, "\(report)")
        let rest = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--json"])
        let second = try Self.object(rest.stdout)
        #expect(second["planned"] as? Int == 4 && second["skipped"] as? Int == 2 && second["done"] as? Int == 2,
                "\(second)")
        for bad in ["model 3", "model 1,,model 2", ""] {
            let refused = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--variants", bad])
            #expect(refused.status == 2, "\(bad)")
            #expect(refused.stderr.contains("--variants") && refused.stderr.contains("model 1; model 2"),
                    "\(refused.stderr)")
        }
    }

    @Test("sculpt run --variants takes a name that holds a comma whole, whatever the spaces around its comma")
    func variantNamesWithCommas() throws {
        let (folder, spec) = try Self.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"model 2\"", with: "\"model 2, deep\"").utf8)
            .write(to: URL(fileURLWithPath: spec))
        let db = folder + "/results.db"
        for bad in ["model 2", "deep", "model 2, deep, deep"] {
            let refused = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--variants", bad])
            #expect(refused.status == 2 && refused.stderr.contains("is not a variant of cli-run-test"), "\(bad)")
            #expect(refused.stderr.contains("(variants: model 1; model 2, deep)"), "\(refused.stderr)")
        }
        let run = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--variants", "model 2,deep", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.object(run.stdout)
        #expect(report["planned"] as? Int == 2 && report["done"] as? Int == 2, "\(report)")
        let both = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--variants", " model 1 ,model 2 , deep",
                                                 "--json"])
        let second = try Self.object(both.stdout)
        #expect(second["planned"] as? Int == 4 && second["skipped"] as? Int == 2 && second["done"] as? Int == 2,
                "\(second)")
    }

    @Test("sculpt table without a database and sculpt run with no workers are one-line usage errors")
    func badInvocationsAreUsageErrors() throws {
        let (folder, spec) = try Self.specFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/missing.db"
        let table = try PaintCommandTests.sculpt(["table", spec, "--db", db])
        #expect(table.status == 2 && table.stderr == "sculpt: error: --db: no database at \(db)\n", "\(table.stderr)")
        let run = try PaintCommandTests.sculpt(["run", spec, "--db", db, "--workers", "0"])
        #expect(
            run.status == 2 && run.stderr == "sculpt: error: --workers: must be at least 1, found 0\n", "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}
