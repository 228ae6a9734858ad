import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SculptCore
import SculptData

/// Why a trial's working folder cannot be used.
public enum TrialFolderError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The folder holds files but no `trial.json`: it is not a trial's, and is left alone.
    case notATrialFolder(String)
    /// The folder cannot be created, written or wiped.
    case cannotPrepare(path: String, reason: String)

    public var description: String {
        switch self {
        case .notATrialFolder(let path):
            return "trial folder \(path) holds files but no \(TrialFolder.identityFile): not a trial's folder, "
                + "left alone (remove it or choose another --trial-folders)"
        case .cannotPrepare(let path, let reason): return "trial folder \(path): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// A trial's working folder, where a resumable trial kind keeps its recipe's run folder
/// (`RecipeRunFolder`'s layout) so that a trial killed part-way resumes on its next attempt:
///
/// - `trial.json`: the job it belongs to (`kind`, the kind's `version`, `config`, `seed`);
/// - `trial.log`: a line for each attempt that resumed the folder or wiped another job's;
/// - `run/`: the recipe's run folder, given to `TrialKind.run(config:seed:folder:)`.
///
/// `ExperimentRunner` gives each planned trial the folder `path(root:runID:variant:index:)`,
/// creates it before the trial runs and removes it once the trial is recorded done; a failed
/// trial's folder stays, so the retry resumes from it. A folder that holds another job
/// (another config, seed, kind or kind version) is wiped before the trial starts afresh.
public enum TrialFolder {
    /// The job the folder belongs to.
    public static let identityFile = "trial.json"
    /// The recipe's run folder inside the trial's folder.
    public static let runFolder = "run"
    /// What happened to the folder at each attempt (resumed, wiped), one timestamped line each.
    public static let logFile = "trial.log"

    /// `root/<runID>/<variant>-<index>`, each name made safe for any file system (`safeName`).
    public static func path(root: String, runID: String, variant: String, index: Int) -> String {
        FilePaths.join(FilePaths.join(root, safeName(runID)), safeName(variant) + "-\(index)")
    }

    /// `name` with every character outside `A-Z a-z 0-9 . _ -` replaced by `_`, cut to 48
    /// characters; when anything was replaced or cut, 8 hex digits of the name's SHA-256 follow,
    /// so distinct names never share a folder. A leading dot becomes `_` (no hidden folders).
    static func safeName(_ name: String) -> String {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
        var safe = String(name.map { allowed.contains($0) ? $0 : "_" }.prefix(48))
        if safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        if safe.isEmpty || safe != name { safe += "~" + SHA256.hex(Array(name.utf8)).prefix(8) }
        return safe
    }

    /// The identity `trial.json` holds for `job` run by a kind of `version`.
    static func identity(of job: TrialJob, version: Int) -> String {
        JSONValue.object([
            "kind": .string(job.kind), "version": .number(Double(version)), "config": job.config,
            "seed": .string(String(job.seed)),
        ]).canonicalText
    }

    /// Makes `folder` ready for `job`: kept when its `trial.json` is the job's (the recipe inside
    /// resumes), else wiped and marked as the job's. Returns the recipe's run folder and, when the
    /// folder was reused or wiped, a line saying so for the trial's log.
    static func prepare(_ folder: String, for job: TrialJob, version: Int) throws -> (run: String, note: String?) {
        let identity = identity(of: job, version: version)
        let identityPath = FilePaths.join(folder, identityFile), run = FilePaths.join(folder, runFolder)
        var note: String? = nil
        if FilePaths.isFile(identityPath) {
            let stored = try? JSONValue.parse(readFileBytes(identityPath)).canonicalText
            if stored == identity {
                let resumable = FilePaths.isDirectory(run) && !FilePaths.isEmptyDirectory(run)
                return (run, resumable ? "trial folder \(folder): resuming an earlier attempt of this trial" : nil)
            }
            note = "trial folder \(folder) held another job (a different kind version, config or seed): "
                + "wiped, starting fresh"
        } else if FilePaths.exists(folder) && !FilePaths.isEmptyDirectory(folder) {
            throw TrialFolderError.notATrialFolder(folder)
        }
        let fm = FileManager.default
        do {
            if FilePaths.exists(folder) { try fm.removeItem(atPath: folder) }
            try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try writeFileAtomically(Array(identity.utf8), to: identityPath)
        } catch {
            throw TrialFolderError.cannotPrepare(path: folder, reason: "\(error)")
        }
        return (run, note)
    }

    /// What `load` reads of an earlier attempt's progress in a kind's run folder: nil when there is
    /// none, or when it does not read (said on standard error): the trial then starts afresh and its
    /// saves replace it, instead of failing the same way at every retry.
    static func earlierProgress<T>(in folder: String, _ load: () throws -> T?) -> T? {
        do { return try load() } catch {
            InProcessExecutor.standardError("trial folder \(folder): the saved progress does not read (\(error)); "
                + "starting afresh")
            return nil
        }
    }

    /// Appends `line` to the folder's `trial.log` (best effort: the log is for people).
    static func log(_ line: String, in folder: String) {
        let path = FilePaths.join(folder, logFile)
        if !FilePaths.exists(path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        try? handle.write(contentsOf: Data((Timestamp.now() + " " + line + "\n").utf8))
    }

    /// Creates `folder` (and its parents) if missing.
    static func create(_ folder: String) throws {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw TrialFolderError.cannotPrepare(path: folder, reason: "cannot create the folder (\(error))")
        }
    }

    /// Removes a trial's folder (only one holding `trial.json`, or an empty one), then its run's
    /// folder when that is left empty.
    public static func remove(_ folder: String) {
        let fm = FileManager.default
        guard FilePaths.isFile(FilePaths.join(folder, identityFile)) || FilePaths.isEmptyDirectory(folder) else {
            return
        }
        try? fm.removeItem(atPath: folder)
        // rmdir, not removeItem: it removes only an empty folder, so a trial folder another
        // runner thread (or another run sharing the root) creates meanwhile is never removed.
        let parent = (folder as NSString).deletingLastPathComponent
        if !parent.isEmpty { rmdir(parent) }
    }

    /// Takes the folder for this attempt: an exclusive advisory lock (`flock`) on `<folder>.lock`
    /// beside it, held until `TrialFolderLock.release()` or the process's end (a killed worker's
    /// lock goes with it). Nil when another attempt on this machine holds it: a fleet worker whose
    /// lease expired while its trial still ran, or a second `sculpt run` on the same database. That
    /// attempt runs without a folder (it cannot resume, and it never touches the holder's files).
    public static func lock(_ folder: String) throws -> TrialFolderLock? {
        let path = folder + ".lock", parent = (folder as NSString).deletingLastPathComponent
        while true {
            try create(parent)
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            if fd < 0, errno == ENOENT { continue }  // another attempt's release removed the emptied parent
            guard fd >= 0 else {
                throw TrialFolderError.cannotPrepare(
                    path: folder, reason: "cannot open its lock file (\(String(cString: strerror(errno))))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                if errno == EWOULDBLOCK || errno == EINTR { return nil }
                throw TrialFolderError.cannotPrepare(
                    path: folder, reason: "cannot lock \(path) (\(String(cString: strerror(errno))))")
            }
            // The holder before us may have unlinked the file between our open and our flock: then the
            // lock is on a file nobody else can find, and the path (if any) is another's. Try again.
            var held = stat(), named = stat()
            if fstat(fd, &held) == 0, stat(path, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                return TrialFolderLock(fd: fd, folder: folder, path: path)
            }
            close(fd)
        }
    }

    /// Removes the root of the trials' folders when no trial folder is left in it.
    static func removeRootIfEmpty(_ root: String) {
        rmdir(root)
    }
}

/// A trial folder held by this attempt (`TrialFolder.lock`).
public final class TrialFolderLock: @unchecked Sendable {
    private var fd: Int32
    /// The trial folder held.
    public let folder: String
    /// The lock file, `<folder>.lock`.
    public let path: String

    init(fd: Int32, folder: String, path: String) {
        self.fd = fd
        self.folder = folder
        self.path = path
    }

    /// Ends the attempt once its row is recorded: the folder goes when the trial is done (a failed or killed
    /// attempt's stays, so the retry resumes from it), then the lock.
    public func finish(trialDone: Bool) {
        if trialDone { TrialFolder.remove(folder) }
        release()
    }

    /// Removes the lock file and lets the lock go (idempotent). The file goes first, while still
    /// locked, so an attempt that opens the path afterwards makes a fresh file and locks that. The
    /// run's folder goes too when nothing is left in it.
    public func release() {
        guard fd >= 0 else { return }
        unlink(path)
        close(fd)
        fd = -1
        rmdir((path as NSString).deletingLastPathComponent)
    }

    deinit { release() }
}
