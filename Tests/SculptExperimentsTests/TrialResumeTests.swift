import Foundation
import SculptCore
import SculptIO
import SculptRecipes
import Testing
@testable import SculptExperiments
import SculptExperimentsTestKinds

/// Trials resume from their working folder: a worker killed with SIGKILL part-way (after its
/// recipe's first save) leaves a folder from which the next attempt ends with exactly the metrics
/// of an uninterrupted trial; a folder of another job is wiped; the runner removes a done trial's
/// folder and keeps a failed one's.
@Suite struct TrialResumeTests {
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")

    /// Log lines a test collects.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var all: [String] { lock.withLock { stored } }
        func append(_ line: String) { lock.withLock { stored.append(line) } }
    }

    // MARK: - Folders, job files, the runner

    @Test func folderNamesAreSafeAndDistinctForAnyVariantName() {
        let names = ["plain-1.5", "a/b", "a_b", "..", ".hidden", "", "x y\u{e9}", String(repeating: "w", count: 80)]
        let paths = names.map { TrialFolder.path(root: "/r", runID: "run/1", variant: $0, index: 3) }
        #expect(Set(paths).count == names.count)
        #expect(paths[0] == "/r/run_1~" + SHA256.hex(Array("run/1".utf8)).prefix(8) + "/plain-1.5-3")
        for path in paths {
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            #expect(parts.count == 4, "\(path)")
            #expect(parts.dropFirst().allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") }, "\(path)")
            #expect(parts.allSatisfy { $0.count <= 60 }, "\(path)")
        }
    }

    @Test func jobFilesCarryTheFolderAndOldOnesStillRead() throws {
        let old = try TrialJob(json: JSONValue.parse(#"{"kind": "arithmetic", "config": {"a": 1}, "seed": "7"}"#))
        #expect(old == TrialJob(kind: "arithmetic", config: ["a": 1], seed: 7) && old.folder == nil)
        #expect(!old.json.canonicalText.contains("folder"))
        let job = TrialJob(kind: "arithmetic", config: ["a": 1], seed: 7, folder: "/tmp/t/x-0")
        #expect(try TrialJob(json: JSONValue.parse(Array(job.json.canonicalText.utf8))) == job)
        #expect(throws: ConfigError.self) {
            try TrialJob(json: JSONValue.parse(#"{"kind": "k", "config": {}, "seed": "1", "folder": 3}"#))
        }
    }

    @Test func aFolderOfAnotherJobIsWipedAndOneOfTheSameJobKept() throws {
        let root = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/trial"
        let job = TrialJob(kind: "arithmetic", config: ["a": 1], seed: 7, folder: folder)
        let first = try TrialFolder.prepare(folder, for: job, version: 1)
        #expect(first.run == folder + "/run" && first.note == nil)
        try FileManager.default.createDirectory(atPath: first.run, withIntermediateDirectories: true)
        _ = try writeFile("saved", named: "state.json", in: first.run)
        let again = try TrialFolder.prepare(folder, for: job, version: 1)
        #expect(again.note?.contains("resuming") == true)
        #expect(FileManager.default.fileExists(atPath: first.run + "/state.json"))
        for other in [TrialJob(kind: "arithmetic", config: ["a": 1], seed: 8, folder: folder),
                      TrialJob(kind: "arithmetic", config: ["a": 2], seed: 7, folder: folder)] {
            try FileManager.default.createDirectory(atPath: first.run, withIntermediateDirectories: true)
            _ = try writeFile("saved", named: "state.json", in: first.run)
            let wiped = try TrialFolder.prepare(folder, for: other, version: 1)
            #expect(wiped.note?.contains("wiped, starting fresh") == true)
            #expect(!FileManager.default.fileExists(atPath: first.run))
        }
        // Another version of the kind computes something else: its folder is not reused either.
        #expect(try TrialFolder.prepare(folder, for: job, version: 1).note?.contains("wiped") == true)
        #expect(try TrialFolder.prepare(folder, for: job, version: 2).note?.contains("wiped") == true)
        // A folder holding files but no trial.json is not a trial's: left alone.
        let foreign = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: foreign) }
        _ = try writeFile("mine", named: "notes.txt", in: foreign)
        #expect(throws: TrialFolderError.notATrialFolder(foreign)) {
            try TrialFolder.prepare(foreign, for: job, version: 1)
        }
        #expect(FileManager.default.fileExists(atPath: foreign + "/notes.txt"))
    }

    @Test func theRunnerRemovesDoneTrialsFoldersAndKeepsFailedOnes() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let marker = folder + "/marker", root = folder + "/trials"
        let spec = try parseSpec(arithmeticSpec(trials: 2, extraConfig: ", \"failUnlessFileExists\": \"\(marker)\""))
        let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: folder + "/results.db"),
                                      executor: InProcessExecutor(catalog: ArithmeticTrial.catalog), workers: 2,
                                      trialFolders: root)
        let trials = spec.plan()
        let failed = try runner.run()
        #expect(failed.progress.failed == 4)
        for trial in trials {
            let path = try #require(runner.folder(of: trial))
            #expect(path.hasPrefix(root + "/"))
            #expect(FileManager.default.fileExists(atPath: path + "/" + TrialFolder.identityFile), "\(path)")
        }
        _ = try writeFile("", named: "marker", in: folder)
        let done = try runner.run()
        #expect(done.progress.done == 4)
        for trial in trials {
            let path = try #require(runner.folder(of: trial))
            #expect(!FileManager.default.fileExists(atPath: path), "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: root), "an empty root is removed too")
    }

    @Test func aFolderIsHeldByOneAttemptAtATime() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/run/trial-0"
        let first = try #require(try TrialFolder.lock(path))
        #expect(first.path == path + ".lock" && FileManager.default.fileExists(atPath: first.path))
        #expect(try TrialFolder.lock(path) == nil, "a second open file description is refused while the first holds")
        first.release()
        first.release()
        #expect(!FileManager.default.fileExists(atPath: first.path))
        #expect(!FileManager.default.fileExists(atPath: folder + "/run"), "the emptied run folder goes too")
        let second = try #require(try TrialFolder.lock(path))
        second.release()
    }

    /// A lease that expired while its trial still ran lets a second attempt start on the same machine; the runner
    /// (and the fleet worker) then runs it without the folder, so the first attempt's files are never touched.
    @Test func theRunnerLeavesAFolderAnotherAttemptHoldsAlone() throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let root = folder + "/trials"
        let spec = try parseSpec(arithmeticSpec(trials: 2))
        let runner = ExperimentRunner(spec: spec, store: try ResultStore(path: folder + "/results.db"),
                                      executor: InProcessExecutor(catalog: ArithmeticTrial.catalog), workers: 2,
                                      trialFolders: root)
        let held = try #require(runner.folder(of: spec.plan()[0]))
        let lock = try #require(try TrialFolder.lock(held))
        let other = TrialJob(kind: "arithmetic", config: ["other": 1], seed: 99, folder: held)
        let prepared = try TrialFolder.prepare(held, for: other, version: 1)
        try FileManager.default.createDirectory(atPath: prepared.run, withIntermediateDirectories: true)
        _ = try writeFile("saved", named: "state.json", in: prepared.run)
        #expect(try runner.run().progress.done == 4)
        #expect(FileManager.default.fileExists(atPath: prepared.run + "/state.json"), "the holder's files stay")
        for trial in spec.plan().dropFirst() {
            #expect(!FileManager.default.fileExists(atPath: try #require(runner.folder(of: trial))))
        }
        lock.release()
    }

    // MARK: - Killed part-way, then resumed

    /// Removes the temporary folder holding a trial folder.
    func removeTemporary(_ trialFolder: String) {
        try? FileManager.default.removeItem(atPath: (trialFolder as NSString).deletingLastPathComponent)
    }

    /// Runs `job` in a worker process (`sculpt trial-worker` with the standard kinds) and kills it
    /// with SIGKILL once `ready(run folder)` holds; true when it died before writing a result.
    func killWorker(_ job: TrialJob, when ready: (String) -> Bool) throws -> Bool {
        let scratch = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let jobPath = try writeFile(job.json.canonicalText, named: "job.json", in: scratch)
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: fixtureExecutable())
        worker.arguments = ["standard-worker", "--job", jobPath, "--result", scratch + "/result.json"]
        worker.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        let run = (job.folder ?? "") + "/" + TrialFolder.runFolder
        let deadline = Date().addingTimeInterval(120)
        while worker.isRunning && Date() < deadline && !ready(run) { usleep(2_000) }
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        return worker.terminationReason == .uncaughtSignal
            && !FileManager.default.fileExists(atPath: scratch + "/result.json")
    }

    /// Kills a worker running `config` part-way (`ready`), runs the same job again from its folder
    /// and expects the metrics of an uninterrupted run (without a folder), timings aside. Returns
    /// the folder (still holding the finished run: only the runner removes it).
    @discardableResult
    func expectResumesExactly(_ kind: String, _ config: String, seed: UInt64 = 3,
                              when ready: (String) -> Bool) throws -> String {
        let config = try JSONValue.parse(config)
        try TrialKindCatalog.standard.kind(named: kind).validate(config: config)
        let folder = try makeTemporaryFolder() + "/trial"
        let job = TrialJob(kind: kind, config: config, seed: seed, folder: folder)
        #expect(try killWorker(job, when: ready), "the worker finished before it was killed")
        #expect(ready(folder + "/" + TrialFolder.runFolder), "nothing was saved before the kill")
        let lines = Lines()
        let resumed = try InProcessExecutor(catalog: .standard, log: lines.append).execute(job).get().metrics
        #expect(lines.all.contains { $0.contains("resuming an earlier attempt") }, "\(lines.all)")
        let straight = try InProcessExecutor(catalog: .standard).execute(
            TrialJob(kind: kind, config: config, seed: seed)).get().metrics
        let timings = Set(straight.keys.filter { $0.lowercased().contains("seconds") })
        #expect(Set(resumed.keys) == Set(straight.keys))
        for (key, value) in straight where !timings.contains(key) {
            #expect(resumed[key]?.bitPattern == value.bitPattern, "\(kind) \(key): \(resumed[key] ?? .nan) != \(value)")
        }
        return folder
    }

    @Test(.enabled(if: hasFashionMNIST)) func partialTrainingResumesAfterTheLastEpochAndWipesAnotherSeed() throws {
        let config = #"""
            {"model": "cnn-small", "widthMultiplier": 0.125, "trainLimit": 256, "testLimit": 100, "epochs": 3,
             "batchSize": 32, "mode": "filters:0.5", "rest": "zeroed", "batchNorm": true}
            """#
        let folder = try expectResumesExactly("partial-training", config) { run in
            ((try? PartialTrainingRunState.load(from: run))?.run.completedEpochs ?? 0) >= 1
        }
        defer { removeTemporary(folder) }
        // The folder holds seed 3's run: seed 4 wipes it and ends as a fresh seed-4 trial.
        let other = TrialJob(kind: "partial-training", config: try JSONValue.parse(config), seed: 4, folder: folder)
        let lines = Lines()
        let wiped = try InProcessExecutor(catalog: .standard, log: lines.append).execute(other).get().metrics
        #expect(lines.all.contains { $0.contains("wiped, starting fresh") }, "\(lines.all)")
        let log = try String(contentsOfFile: folder + "/" + TrialFolder.logFile, encoding: .utf8)
        #expect(log.contains("wiped, starting fresh") && !log.contains("resuming"), "\(log)")
        var fresh = other
        fresh.folder = nil
        let expected = try InProcessExecutor(catalog: .standard).execute(fresh).get().metrics
        #expect(wiped["accuracy"] == expected["accuracy"] && wiped["trainLoss"] == expected["trainLoss"])
    }

    @Test(.enabled(if: hasFashionMNIST)) func lotteryResumesAfterTheLastRound() throws {
        let killedRounds = Lines()
        let folder = try expectResumesExactly("lottery", #"""
            {"model": "mlp:32", "trainingSamples": 600, "testSamples": 300, "rounds": 3, "rate": 0.5,
             "epochs": 1, "batchSize": 60, "learningRate": 0.002}
            """#) { run in
            guard let rounds = try? LotteryTicketRunState.load(from: run).state.rounds, !rounds.isEmpty else {
                return false
            }
            killedRounds.append("\(rounds[0].seconds.bitPattern)")
            return true
        }
        defer { removeTemporary(folder) }
        // The killed attempt's round 0 was kept, not run again: its measured time is the one saved.
        let saved = try LotteryTicketRunState.load(from: folder + "/" + TrialFolder.runFolder).state.rounds
        #expect(saved.count == 4 && killedRounds.all.first == "\(saved[0].seconds.bitPattern)")
    }

    @Test(.enabled(if: hasFashionMNIST)) func cheapEnsemblesResumeAfterTheLastMember() throws {
        removeTemporary(try expectResumesExactly("cheap-ensembles", #"""
            {"model": "cnn-small", "widthMultiplier": 0.125, "trainLimit": 256, "testLimit": 100, "members": 4,
             "batchSize": 32, "mode": "filters:0.5"}
            """#) { run in
            Checkpoint.exists(at: run)
        })
    }

    @Test(.enabled(if: hasFashionMNIST)) func partialRestartResumesAfterTheLastRound() throws {
        removeTemporary(try expectResumesExactly("partial-restart", #"""
            {"model": "mininet", "widthMultiplier": 0.25, "trainLimit": 160, "testLimit": 100,
             "resets": ["uniform", "he"], "restarts": 2, "epochsHigh": 1, "epochsLow": 0, "restartEpochsHigh": 1,
             "restartEpochsLow": 0, "stopWhenUnchanged": false, "batchSize": 32, "measureSamples": 32}
            """#) { run in
            Checkpoint.exists(at: run + "/uniform/round-1")
        })
    }

    @Test(.enabled(if: hasFashionMNIST)) func redundancyResumesAfterTheLastEpochAndRestartsFromADamagedOne() throws {
        let config = try JSONValue.parse(#"""
            {"model": "mlp", "width": 32, "trainLimit": 512, "testLimit": 200, "epochs": 4, "batchSize": 32,
             "samples": 64}
            """#)
        let folder = try expectResumesExactly("redundancy", config.canonicalText) { run in Checkpoint.exists(at: run) }
        defer { removeTemporary(folder) }
        // Saved progress that does not read (here: truncated weights) is replaced, not a failure at every retry.
        let weights = folder + "/" + TrialFolder.runFolder + "/weights.safetensors"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: weights))
        let again = try InProcessExecutor(catalog: .standard, log: { _ in })
            .execute(TrialJob(kind: "redundancy", config: config, seed: 3, folder: folder)).get().metrics
        let straight = try RedundancyTrial().run(config: config, seed: 3).metrics
        #expect(again["testAccuracy"] == straight["testAccuracy"] && again["trainLoss"] == straight["trainLoss"])
    }

    @Test(.enabled(if: hasFashionMNIST)) func interruptibleResumesAfterTheLastEpoch() throws {
        removeTemporary(try expectResumesExactly("interruptible", #"""
            {"model": "cnn-small", "widthMultiplier": 0.125, "trainLimit": 512, "testLimit": 200, "epochs": 4,
             "batchSize": 32, "method": "minweight", "ratio": 0.5, "layers": ["layers.0"], "firstEpoch": 1,
             "every": 1, "probeSamples": 64}
            """#) { run in
            Checkpoint.exists(at: run)
        })
    }
}
