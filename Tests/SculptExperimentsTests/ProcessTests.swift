import Foundation
import GRDB
import Testing
@testable import SculptExperiments
import SculptExperimentsTestKinds

/// Runs through real worker processes: the fixture executable built beside this test binary
/// (`sculpt` itself registers no test kind).
@Suite struct ProcessTests {
    @Test func multiProcessRunUsesOneBLASThreadPerWorker() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = try parseSpec(arithmeticSpec(trials: 2))
        let executor = ProcessExecutor(executable: fixtureExecutable(), arguments: ["trial-worker"])
        let store = try ResultStore(path: folder + "/results.db")
        let summary = try ExperimentRunner(spec: spec, store: store, executor: executor, workers: 2).run()
        #expect(summary.progress.done == 4 && summary.progress.failed == 0, "\(summary.failures)")
        let records = try store.trials(runID: spec.runID)
        #expect(records.count == 4)
        #expect(records.allSatisfy { $0.metrics["blasThreads"] == 1 })
        let pids = Set(records.compactMap { $0.metrics["pid"] })
        #expect(pids.count == 4 && !pids.contains(Double(getpid())))
        // The same seeds give the same metrics as in-process.
        for r in records {
            let local = try ArithmeticTrial().run(config: r.config, seed: r.seed)
            #expect(local.metrics["noise"] == r.metrics["noise"])
        }
    }

    @Test func aCrashingWorkerFailsOnlyItsTrial() throws {
        let executor = ProcessExecutor(executable: fixtureExecutable(), arguments: ["trial-worker"])
        let crash = executor.execute(TrialJob(kind: "arithmetic", config: ["a": 1, "crash": true], seed: 1))
        guard case .failure(let failure) = crash else { Issue.record("a crash must fail"); return }
        #expect(failure.message.hasPrefix("worker killed by signal \(SIGABRT)"))
        let missing = ProcessExecutor(executable: "/nonexistent/sculpt", arguments: ["trial-worker"])
        guard case .failure(let notStarted) = missing.execute(TrialJob(kind: "arithmetic", config: ["a": 1], seed: 1))
        else {
            Issue.record("a missing executable must fail"); return
        }
        #expect(notStarted.message.contains("/nonexistent/sculpt"))
    }

    @Test func aRunKilledMidwayResumesToExactlyThePlannedRows() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/results.db"
        let text = arithmeticSpec(trials: 6, extraConfig: ", \"sleepSeconds\": 0.15")
        let specPath = try writeFile(text, named: "spec.json", in: folder)
        let spec = try parseSpec(text)

        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: fixtureExecutable())
        parent.arguments = ["run", specPath, db, "2"]
        parent.standardOutput = FileHandle.nullDevice
        try parent.run()
        // Wait until some (not all) trials are recorded, then SIGKILL the parent.
        let deadline = Date().addingTimeInterval(30)
        var recorded = 0
        while Date() < deadline {
            // Read-only, as readers open it: a writer here would race the parent to migrate the new file.
            if let rows = try? ResultStore(path: db, readOnly: true).trials(runID: spec.runID) {
                recorded = rows.count
                if recorded >= 3 { break }
            }
            usleep(20_000)
        }
        kill(parent.processIdentifier, SIGKILL)
        parent.waitUntilExit()
        #expect(parent.terminationReason == .uncaughtSignal)

        let store = try ResultStore(path: db)
        let survivors = try store.trials(runID: spec.runID)
        #expect(survivors.count >= 3 && survivors.count < 12)
        #expect(survivors.allSatisfy { $0.status == .done })
        let check = try DatabaseQueue(path: db).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")

        let resumed = try ExperimentRunner(
            spec: spec, store: store, executor: InProcessExecutor(catalog: ArithmeticTrial.catalog),
                                           workers: 4).run()
        #expect(resumed.progress.skipped == survivors.count)
        #expect(resumed.progress.done == 12 - survivors.count)
        let all = try store.trials(runID: spec.runID)
        #expect(all.count == 12)
        #expect(Set(all.map { TrialKey(variant: $0.variant, index: $0.index) }).count == 12)
        for old in survivors { #expect(all.contains(old)) }
    }
}

/// Several writers opening one fresh database at the same moment (two `sculpt run`s, a test polling
/// the file while its run creates it) all get a migrated store: the one that loses the race to
/// migrate does not fail with "table runs already exists".
@Suite struct ConcurrentOpenTests {
    @Test func writersOpeningOneFreshDatabaseAllSucceed() throws {
        for round in 0..<40 {
            let folder = try makeTemporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let db = folder + "/results.db"
            let failures = FailureList()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try ResultStore(path: db) } catch { failures.append("\(error)") }
            }
            #expect(failures.all.isEmpty, "round \(round)")
            #expect(try ResultStore(path: db, readOnly: true).trials(runID: "x").isEmpty)
        }
    }
}

/// Error texts collected from several threads.
private final class FailureList: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String] = []
    func append(_ text: String) { lock.withLock { texts.append(text) } }
    var all: [String] { lock.withLock { texts } }
}
