import Foundation
import Testing

/// `sculpt schedule` end to end through the real executable, on the tiny generated MNIST-layout
/// folder of `TrainCommandTests` and its conv + BatchNorm model.
@Suite struct ScheduleCommandTests {
    func json(_ r: PaintCommandTests.Outcome) throws -> [String: Any] {
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func setUp() throws -> (dir: String, data: String, model: String) {
        let dir = NSTemporaryDirectory() + "sculpt-schedule-cli-\(UUID().uuidString)"
        try TrainCommandTests.writeData(dir + "/data")
        try Data(TrainCommandTests.convModel.utf8).write(to: URL(fileURLWithPath: dir + "/model.json"))
        return (dir, "mnist:" + dir + "/data", dir + "/model.json")
    }

    @Test("a schedule runs its operations after their epochs, reports loss factors, and resumes with more entries")
    func scheduleRunsAndResumes() throws {
        let (dir, data, model) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let common = ["--data", data, "--batch", "8", "--lr", "0.05", "--momentum", "0.9", "--probe-samples", "16",
                      "--json"]
        let first = try json(try PaintCommandTests.sculpt(["schedule", "--model", model, "--epochs", "3", "--out", out,
                    "--at", "1:zero-expand:c1:to=6", "--at", "2:minweight:c2:0.5",
                ] + common))
        #expect(first["epochs"] as? Int == 3)
        #expect(first["operations"] as? Int == 2)
        let events = try #require(first["events"] as? [[String: Any]])
        #expect(events.map { $0["epoch"] as? Int } == [1, 2])
        #expect(events.map { $0["widthAfter"] as? Int } == [6, 3])
        let before = try #require(events[0]["lossBefore"] as? Double),
            after = try #require(events[0]["lossAfter"] as? Double)
        #expect(abs(after / before - 1) < 1e-5)  // ZeroExpand keeps the function (BN present, eval mode)
        #expect(first["parameters"] as? Int != first["parametersAtStart"] as? Int)
        #expect(FileManager.default.fileExists(atPath: out + "/schedule.json"))
        let history = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/history.json")))
                as? [[String: Any]])
        #expect(history.map { $0["operation"] as? String } == ["zero-expand", "minweight"])

        // Resume: two more epochs and an entry after epoch 4; one before the end is refused.
        let late = try PaintCommandTests.sculpt(["schedule", "--resume", out, "--epochs", "5", "--at",
                                                 "2:expand:c1:0.5"] + common)
        #expect(late.status == 2 && late.stderr.contains("already run"), "\(late.stderr)")
        let resumed = try json(try PaintCommandTests.sculpt(["schedule", "--resume", out, "--epochs", "5", "--at",
                                                             "4:expand:c2:0.5"] + common))
        #expect(resumed["epochs"] as? Int == 5 && resumed["epochsThisRun"] as? Int == 2)
        #expect((resumed["events"] as? [[String: Any]])?.count == 3)
    }

    @Test("a dry run prints the schedule on the network as it will evolve and writes nothing")
    func dryRunPrintsThePlan() throws {
        let (dir, data, model) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try json(try PaintCommandTests.sculpt(["schedule", "--model", model, "--data", data, "--epochs", "4",
                                                       "--dry-run", "--out", dir + "/never",
                "--at", "1:eigenremove:c2:0.5:rank=0.5", "--at", "2:expand:c2:to=5", "--json",
            ]))
        let steps = try #require(r["steps"] as? [[String: Any]])
        #expect(steps.map { $0["widthBefore"] as? Int } == [6, 3])
        #expect(steps.map { $0["widthAfter"] as? Int } == [3, 5])
        #expect(!FileManager.default.fileExists(atPath: dir + "/never"))
    }

    @Test("bad schedules fail before training with one line naming the entry and the reason, and write nothing")
    func badSchedulesFailFirst() throws {
        let (dir, data, model) = try setUp()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/run"
        let file = dir + "/schedule.json"
        try Data(#"{"entries": [{"epoch": 1, "operation": "minweight", "layer": "c2", "fractio": 0.5}]}"#.utf8).write(
            to: URL(fileURLWithPath: file))
        let cases: [([String], String)] = [
            (["--at", "1:minweight:c3:0.5"], "the network has 2 Conv2D layers"),
            (["--at", "1:fold-bn:layers.1", "--at", "2:minweight:layers.4:0.5"], "schedule entry 2"),
            (["--at", "1:minweight:c2:1.5"], "(0, 1)"),
            (["--at", "1:remove:c1:units=0,9"], "9"),
            (["--at", "9:expand:c1:0.5"], "after the run's last epoch 3"),
            (["--at", "one:expand:c1:0.5"], "--at"),
            (["--schedule", file], "entries[0].fractio: unknown key"),
            (["--schedule", dir + "/missing.json"], "--schedule"),
        ]
        for (flags, fragment) in cases {
            let r = try PaintCommandTests.sculpt(["schedule", "--model", model, "--data", data, "--epochs", "3",
                                                  "--out", out] + flags)
            #expect(r.status == 2, "\(flags)")
            #expect(r.stderr.contains(fragment), "\(flags): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(flags)")
        }
    }
}
