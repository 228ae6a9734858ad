#if !Fleet
import Foundation
import Testing

/// Without the Fleet trait, every PostgreSQL entry point says in one line how to get it, and exits 2.
@Suite struct FleetDisabledTests {
    @Test(arguments: [
        ["worker", "--db", "postgres://u@localhost/db"],
        ["status", "--db", "postgres://u@localhost/db"],
        ["db", "migrate", "--db", "postgres://u@localhost/db"],
    ])
    func fleetCommandsNameTheTrait(_ arguments: [String]) throws {
        let r = try PaintCommandTests.sculpt(arguments)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stderr.hasPrefix("sculpt: error: sculpt \(arguments[0] == "db" ? "db migrate" : arguments[0]): this "
            + "sculpt was built without PostgreSQL; build it with the Fleet trait: "
            + "swift build -c release --traits Fleet"),
            "\(r.stderr)")
    }

    @Test func runWithAServerURLNamesTheTraitAndMasksThePassword() throws {
        let (folder, spec) = try RunCommandTests.specFolder()
        let r = try PaintCommandTests.sculpt(["run", spec, "--db", "postgres://u:secret@localhost/db"])
        #expect(r.status == 2)
        #expect(r.stderr == "sculpt: error: --db postgres://u:***@localhost/db: this sculpt was built without "
            + "PostgreSQL; build it with the Fleet trait: swift build -c release --traits Fleet\n")
        let table = try PaintCommandTests.sculpt(["table", spec, "--db", "postgres://u:secret@localhost/db"])
        #expect(table.status == 2 && table.stderr.hasPrefix("sculpt: error: --db postgres://u:***@localhost/db: this"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["tiny.json"])
        try? FileManager.default.removeItem(atPath: folder)
    }
}
#endif
