#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SculptCore
import SculptData
@testable import SculptIO
import SculptNN
import Testing
import TestSupport

@Suite struct OutputSafetyTests {
    @Test func createdOutputsAreRemovedOnFailureAndNothingElse() throws {
        let dir = TemporaryDirectory("sculpt-created")
        defer { dir.remove() }
        let fresh = dir.file("new/deeper/run"), empty = dir.file("empty"), full = dir.file("full")
        mkdir(empty, 0o755)
        mkdir(full, 0o755)
        try writeFileAtomically([1], to: full + "/keep")
        let created = CreatedOutputs([fresh, empty, full, nil])
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try created.removingCreatedOnFailure {
                try writeFileAtomically([1], to: full + "/added")  // inside a folder that held something: kept
                for path in [fresh, empty] {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                    try writeFileAtomically([2], to: path + "/file")
                }
                throw Failure()
            }
        }
        #expect(!FilePaths.exists(dir.file("new")))  // the outermost folder it created goes too
        #expect(FilePaths.isEmptyDirectory(empty))
        #expect(directoryEntries(full).sorted() == ["added", "keep"])
        #expect(try created.removingCreatedOnFailure { 7 } == 7)
    }

    @Test func staleTemporaryFoldersOfDeadWritersAreRemovedOnTheNextWrite() throws {
        let dir = TemporaryDirectory("sculpt-stale")
        defer { dir.remove() }
        // A pid that is not running (pid_max on Linux is at most 2^22).
        let dead: pid_t = 4_194_303
        let stale = dir.file(".run.partial-\(dead)-17"), aside = dir.file(".run.old-\(dead)")
        let live = dir.file(".run.partial-\(getpid())-5"), other = dir.file(".other.partial-\(dead)-1")
        for path in [stale, aside, live, other] { mkdir(path, 0o755) }
        try AtomicDirectory.write([(name: "a", bytes: [1])], to: dir.file("run"))
        #expect(!FilePaths.exists(stale) && !FilePaths.exists(aside))
        #expect(FilePaths.exists(live) && FilePaths.exists(other))
        #expect(AtomicDirectory.writerProcess(of: ".run.partial-12-3", base: "run") == 12)
        #expect(AtomicDirectory.writerProcess(of: ".runner.partial-12-3", base: "run") == nil)
    }

    @Test func aFileWhereACheckpointFolderBelongsIsSaidSo() throws {
        let dir = TemporaryDirectory("sculpt-notfolder")
        defer { dir.remove() }
        try writeFileAtomically([1], to: dir.file("f"))
        #expect(throws: CheckpointError.notAFolder(path: dir.file("f"))) { try Checkpoint.load(from: dir.file("f")) }
        #expect(throws: CheckpointError.notFound(path: dir.file("g"))) { try Checkpoint.load(from: dir.file("g")) }
    }

    @Test func resumedConfigurationKeepsSavedSettingsUnlessOverridden() throws {
        let saved = TrainingConfiguration(optimizer: Fixtures.sgd, batchSize: 32, seed: 4, data: "mnist:/d",
                                          epochs: 2, trainLimit: 512)
        let kept = try saved.resumed(with: TrainingOverrides(batchSize: 32, seed: 4))
        #expect(kept.configuration == saved && kept.overrides.isEmpty)
        let changed = try saved.resumed(with: TrainingOverrides(epochs: 5, learningRate: 0.5))
        #expect(changed.configuration.epochs == 5 && changed.configuration.trainLimit == 512)
        #expect(
            changed.overrides.map { $0.description } == [
                "--epochs 5 overrides the saved 2", "--lr 0.5 overrides the saved 0.1",
            ])
        #expect(throws: ResumeConflict.self) { try saved.resumed(with: TrainingOverrides(seed: 5)) }
        #expect(throws: ResumeConflict.self) { try saved.resumed(with: TrainingOverrides(optimizerKind: "adam")) }
        #expect(throws: CheckpointError.self) { try saved.resumed(with: TrainingOverrides(batchSize: 0)) }
    }
}
