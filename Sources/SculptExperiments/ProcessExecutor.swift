import SculptCore
import SculptData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs each trial in a fresh worker process: `executable arguments... --job FILE --result FILE`
/// (for the CLI: `sculpt trial-worker`), with `OPENBLAS_NUM_THREADS=1` in its environment.
///
/// Files, not pipes: the job goes in a file, the result comes back in a file, and the worker's
/// stdout and stderr go to a log file whose tail explains a crash. Nothing a trial prints can
/// corrupt the result, no pipe can fill up and deadlock, and a worker that dies (a crash,
/// a precondition, a signal) fails only its own trial.
public struct ProcessExecutor: TrialExecutor {
    /// Path of the worker executable.
    public let executable: String
    /// Arguments before `--job` (for the CLI: `["trial-worker"]`).
    public let arguments: [String]
    /// Variables set in the worker's environment on top of this process's.
    public let environment: [String: String]

    public init(executable: String, arguments: [String], environment: [String: String] = ["OPENBLAS_NUM_THREADS": "1"])
    {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }

    /// This process's own executable: `/proc/self/exe` on Linux, else `CommandLine.arguments[0]`.
    public static func currentExecutable() -> String {
        #if os(Linux)
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        #endif
        return CommandLine.arguments[0]
    }

    public func execute(_ job: TrialJob) -> Result<TrialResult, TrialFailure> {
        var template = Array("/tmp/sculpt-trial-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            return .failure(TrialFailure("cannot create a scratch folder in /tmp: \(String(cString: strerror(errno)))"))
        }
        let folder = Timestamp.string(fromCString: template)
        let jobPath = folder + "/job.json", resultPath = folder + "/result.json", logPath = folder + "/log.txt"
        defer { Self.removeScratchFolder(folder) }
        do {
            try writeFileAtomically(Array(job.json.canonicalText.utf8), to: jobPath)
        } catch {
            return .failure(TrialFailure("cannot write the job file: \(error)"))
        }
        let status: Int32
        switch spawnAndWait(
            arguments: [executable] + arguments + ["--job", jobPath, "--result", resultPath], logPath: logPath)
        {
        case .success(let s): status = s
        case .failure(let failure): return .failure(failure)
        }
        if let bytes = try? readFileBytes(resultPath) {
            do {
                return try TrialWorker.outcome(fromResultJSON: JSONValue.parse(bytes))
            } catch {
                return .failure(TrialFailure("unreadable result file from the worker: \(error)"))
            }
        }
        let how: String
        if status & 0x7f == 0 {
            how = "worker exited with status \((status >> 8) & 0xff) without a result"
        } else {
            how = "worker killed by signal \(status & 0x7f)"
        }
        let log = (try? readFileBytes(logPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let tail = log.split(separator: "\n").suffix(5).joined(separator: " | ")
        return .failure(TrialFailure(tail.isEmpty ? how : "\(how): \(tail)"))
    }

    /// Removes a worker's scratch folder (`/tmp/sculpt-trial-XXXXXX` with its job, result and
    /// log files); any other folder is left alone.
    static func removeScratchFolder(_ folder: String) {
        guard folder.hasPrefix("/tmp/sculpt-trial-") else { return }
        for name in ["job.json", "result.json", "log.txt"] { unlink(folder + "/" + name) }
        rmdir(folder)
    }

    /// Starts the worker with stdin from /dev/null and stdout+stderr into `logPath`, and waits
    /// for it; returns the raw wait status.
    private func spawnAndWait(arguments: [String], logPath: String) -> Result<Int32, TrialFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var variables = ProcessInfo.processInfo.environment
        for (key, value) in environment { variables[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard rc == 0 else {
            return .failure(TrialFailure("cannot start worker \(executable): \(String(cString: strerror(rc)))"))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                return .failure(TrialFailure("waitpid failed: \(String(cString: strerror(errno)))"))
            }
        }
        return .success(status)
    }
}

import Foundation
