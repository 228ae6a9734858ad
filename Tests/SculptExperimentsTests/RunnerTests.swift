import SculptCore
import Foundation
import GRDB
import Testing
@testable import SculptExperiments
import SculptExperimentsTestKinds

@Suite struct RunnerTests {
    func run(_ spec: ExperimentSpec, db: String, workers: Int = 2) throws -> RunSummary {
        let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: db),
                                      executor: InProcessExecutor(catalog: ArithmeticTrial.catalog), workers: workers)
        return try runner.run()
    }

    @Test func inProcessRunRecordsEveryTrialWithItsSeedConfigAndMetrics() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let spec = try parseSpec(arithmeticSpec(trials: 3))
        let reports = ProgressLog()
        let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: db),
                                      executor: InProcessExecutor(catalog: ArithmeticTrial.catalog), workers: 3)
        let summary = try runner.run { reports.append($0) }
        #expect(
            summary.progress
                == RunProgress(planned: 6, skipped: 0, done: 6, failed: 0, elapsed: summary.progress.elapsed))
        #expect(reports.all.map { $0.done } == [1, 2, 3, 4, 5, 6])
        #expect(reports.all.last?.estimatedSecondsLeft == 0)

        let records = try ResultStore(path: db).trials(runID: spec.runID)
        #expect(records.count == 6)
        for planned in spec.plan() {
            let r = try #require(records.first { $0.variant == planned.variant && $0.index == planned.index })
            #expect(r.seed == planned.seed)
            #expect(r.config == planned.config)
            #expect(r.metrics["sum"] == (planned.variant == "small" ? 2 : 11))
            #expect(r.metrics["seedLow"] == Double(planned.seed % 1000))
            #expect(r.details == ["note": "a + b"])
            #expect(r.status == .done && r.error == nil && r.attempts == 1)
            #expect(r.specName == "arithmetic-test" && r.kind == "arithmetic" && !r.host.isEmpty)
            #expect(r.startedAt.count == 24 && r.startedAt <= r.finishedAt)
        }
    }

    @Test func resumeNeverDuplicatesFinishedTrials() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let first = try run(try parseSpec(arithmeticSpec(trials: 2)), db: db)
        #expect(first.progress.done == 4)
        let before = try ResultStore(path: db).trials(runID: first.runID)

        // Raising trials keeps the run id: only the 2 new indices per variant run.
        let second = try run(try parseSpec(arithmeticSpec(trials: 4)), db: db)
        #expect(second.runID == first.runID)
        #expect(second.progress.skipped == 4 && second.progress.done == 4)
        // Same spec again: nothing to do.
        let third = try run(try parseSpec(arithmeticSpec(trials: 4)), db: db)
        #expect(third.progress.skipped == 8 && third.progress.done == 0 && third.progress.failed == 0)

        let after = try ResultStore(path: db).trials(runID: first.runID)
        #expect(after.count == 8)
        #expect(Set(after.map { TrialKey(variant: $0.variant, index: $0.index) }).count == 8)
        for old in before {
            // Finished trials were never run again: same start time, one attempt.
            #expect(after.contains(old))
        }
    }

    @Test("a spec given another variant keeps the finished trials of its unchanged variants; a changed variant runs again")
    func addingAVariantAdoptsTheEarlierRunsTrials() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let before = try parseSpec(arithmeticSpec(trials: 2))
        #expect(try run(before, db: db).progress.done == 4)
        let store = try ResultStore(path: db)
        // A done row of an index the new plan does not hold.
        let extra = try #require(try store.trials(runID: before.runID).first { $0.variant == "small" })
        try store.record(TrialRecord(
            runID: before.runID, specName: before.name, kind: before.kind, variant: "small", index: 5,
            seed: 1, config: extra.config, metrics: ["sum": 2], details: nil, status: .done, error: nil,
            startedAt: extra.startedAt, finishedAt: extra.finishedAt, seconds: 0, host: "h"))

        // "large" changes its config, "huge" is new, "small" is as it was.
        let text = arithmeticSpec(trials: 2)
            .replacingOccurrences(of: "{\"name\": \"large\", \"config\": {\"b\": 10}}",
                                  with: "{\"name\": \"large\", \"config\": {\"b\": 12}}, "
                                      + "{\"name\": \"huge\", \"config\": {\"b\": 100}}")
        let after = try parseSpec(text)
        #expect(after.runID != before.runID && after.variants.count == 3)
        let summary = try run(after, db: db)
        #expect(summary.adopted == 2)
        #expect(summary.progress.skipped == 2 && summary.progress.done == 4 && summary.progress.planned == 6)
        let rows = try store.trials(runID: after.runID)
        let old = try store.trials(runID: before.runID)
        for index in 0..<2 {
            let copied = try #require(rows.first { $0.variant == "small" && $0.index == index })
            var original = try #require(old.first { $0.variant == "small" && $0.index == index })
            original.runID = after.runID
            #expect(copied == original, "the copy is the earlier row, field for field, under the new run")
            let large = try #require(rows.first { $0.variant == "large" && $0.index == index })
            #expect(large.metrics["sum"] == 13 && large.startedAt > original.finishedAt)
        }
        #expect(!rows.contains { $0.index == 5 }, "a trial the plan does not hold is not copied")
        #expect(old.count == 5, "the earlier run keeps its rows")

        // Run again: nothing is adopted or run.
        let again = try run(after, db: db)
        #expect(again.adopted == 0 && again.progress.skipped == 6 && again.progress.done == 0)
    }

    @Test("an adopted trial brings its series")
    func adoptedTrialsBringTheirSeries() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let store = try ResultStore(path: db)
        let before = try parseSpec(arithmeticSpec(trials: 1))
        try store.registerRun(before)
        let curve = TrialSeries(name: "loss", x: [1, 2], y: [3, 4])
        let planned = try #require(before.plan().first { $0.variant == "small" })
        try store.record(TrialRecord(
            runID: before.runID, specName: before.name, kind: before.kind, variant: "small", index: 0,
            seed: planned.seed, config: planned.config, metrics: ["sum": 2], details: nil, status: .done, error: nil,
            startedAt: "2026-12-04T10:00:00.000Z", finishedAt: "2026-12-04T10:00:01.000Z", seconds: 1, host: "h",
            series: [curve]))
        let after = try parseSpec(arithmeticSpec(trials: 1).replacingOccurrences(of: "\"b\": 10", with: "\"b\": 11"))
        let summary = try run(after, db: db)
        #expect(summary.adopted == 1 && summary.progress.done == 1)
        #expect(try store.series(runID: after.runID)[TrialKey(variant: "small", index: 0)] == [curve])
    }

    @Test func failedTrialsAreRecordedWithTheirErrorAndRetriedNextRun() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let marker = folder + "/marker"
        let spec = try parseSpec(arithmeticSpec(trials: 2, extraConfig: ", \"failUnlessFileExists\": \"\(marker)\""))
        let first = try run(spec, db: db)
        #expect(first.progress.failed == 4 && first.progress.done == 0)
        #expect(first.failures.first?.error == "marker file \(marker) is missing")
        let failed = try ResultStore(path: db).trials(runID: spec.runID)
        #expect(
            failed.count == 4 && failed.allSatisfy { $0.status == .failed && $0.metrics.isEmpty && $0.attempts == 1 })

        #expect(FileManager.default.createFile(atPath: marker, contents: Data()))
        let second = try run(spec, db: db)
        #expect(second.progress.skipped == 0 && second.progress.done == 4)
        let retried = try ResultStore(path: db).trials(runID: spec.runID)
        #expect(retried.count == 4 && retried.allSatisfy { $0.status == .done && $0.error == nil && $0.attempts == 2 })
    }

    @Test func aDoneRowIsNeverOverwritten() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try ResultStore(path: folder + "/results.db")
        let spec = try parseSpec(arithmeticSpec(trials: 1))
        try store.registerRun(spec)
        var record = TrialRecord(
            runID: spec.runID, specName: spec.name, kind: spec.kind, variant: "small", index: 0, seed: 5,
            config: ["a": 1], metrics: ["sum": 2, "loss": .nan, "big": .infinity], details: nil, status: .done,
                                 error: nil, startedAt: "t0", finishedAt: "t1", seconds: 1, host: "h")
        try store.record(record)
        record.metrics = ["sum": 99]
        try store.record(record)
        let rows = try store.trials(runID: spec.runID)
        #expect(rows.count == 1)
        #expect(rows[0].metrics["sum"] == 2 && rows[0].metrics["loss"]!.isNaN && rows[0].metrics["big"] == .infinity)
        #expect(try store.finishedTrials(runID: spec.runID) == [TrialKey(variant: "small", index: 0)])
    }

    @Test func workerProtocolRoundTripsThroughFiles() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let job = TrialJob(kind: "arithmetic", config: ["a": 2, "b": 3], seed: 1234)
        #expect(try TrialJob(json: JSONValue.parse(job.json.canonicalText)) == job)
        let jobPath = try writeFile(job.json.canonicalText, named: "job.json", in: folder)
        try TrialWorker.run(jobPath: jobPath, resultPath: folder + "/result.json", catalog: ArithmeticTrial.catalog)
        let outcome = try TrialWorker.outcome(
            fromResultJSON: JSONValue.parse(String(contentsOfFile: folder + "/result.json", encoding: .utf8)))
        let result = try outcome.get()
        #expect(result.metrics["sum"] == 5 && result.metrics["seedLow"] == 234)

        let bad = try writeFile(
            TrialJob(kind: "arithmetic", config: ["b": 3], seed: 1).json.canonicalText, named: "bad.json", in: folder)
        try TrialWorker.run(jobPath: bad, resultPath: folder + "/bad-result.json", catalog: ArithmeticTrial.catalog)
        let failure = try TrialWorker.outcome(
            fromResultJSON: JSONValue.parse(String(contentsOfFile: folder + "/bad-result.json", encoding: .utf8)))
        #expect(throws: TrialFailure("a: missing required key")) { try failure.get() }
    }
}

/// Progress reports collected from runner threads.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RunProgress] = []
    func append(_ p: RunProgress) { lock.lock(); items.append(p); lock.unlock() }
    var all: [RunProgress] { lock.lock(); defer { lock.unlock() }; return items }
}
