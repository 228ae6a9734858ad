import ArgumentParser
import Foundation
import SculptData
import SculptIO

/// A bad flag or input: printed as one line naming the flag and the reason, exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Shared CLI conventions: human output on a terminal, `--json` prints exactly one object on
/// stdout, errors are one line on stderr with exit code 2.
enum Output {
    /// Whether stderr is a terminal (progress lines are drawn only then).
    static let isTerminal = isatty(2) != 0

    /// Prints a progress line on stderr, overwriting the previous one on a terminal.
    static func progress(_ line: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    /// Writes `line` as a line of its own on stderr, stamped with the UTC time, where stderr is not a
    /// terminal (a log file, CI, a service's journal): long work reports its milestones there, where the
    /// overwritten progress line of a terminal would print nothing.
    static func logLine(_ line: String) {
        guard !isTerminal else { return }
        FileHandle.standardError.write(Data("[\(ISO8601DateFormatter().string(from: Date()))] \(line)\n".utf8))
    }

    /// A milestone of long work: the progress line on a terminal, a time-stamped `logLine` elsewhere.
    static func milestone(_ line: String) {
        progress(line)
        logLine(line)
    }

    /// Ends a progress line.
    static func endProgress() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Prints a finished step's line on stdout, or with `--json` (stdout is one object) on a
    /// terminal's stderr.
    static func stepLine(_ line: String, json: Bool) {
        if !json { print(line) } else if isTerminal { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Prints `value` as one JSON object on stdout (sorted keys).
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder.keepingNonFinite([.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Runs `body`, turning any error into a one-line message on stderr and exit code 2. When it
    /// fails, whatever it created at `outputs` (folders, files, databases that did not exist, or
    /// the contents of empty folders) is removed: a failed command leaves nothing behind.
    static func guarded(outputs: [String?] = [], _ body: () throws -> Void) throws {
        let created = CreatedOutputs(outputs)
        do { try created.removingCreatedOnFailure(body) } catch let e as ExitCode { throw e } catch {
            let line = "\(error)".split(separator: "\n", omittingEmptySubsequences: true).joined(separator: " ")
            FileHandle.standardError.write(Data("sculpt: error: \(line)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension Output {
    /// Refuses an `--out` checkpoint folder whose replacement would destroy something: a file, a
    /// non-empty folder that is no checkpoint, or a checkpoint unless `overwrite` (or `resuming` it).
    /// `offerResume` adds "--resume TARGET to continue it" to the advice, for commands that resume.
    static func checkCheckpointTarget(_ target: String, overwrite: Bool, resuming: Bool = false,
                                      offerResume: Bool = false) throws {
        guard FilePaths.exists(target) else { return }
        guard FilePaths.isDirectory(target) else { throw UsageError("--out \(target) is a file, not a checkpoint " +
                                                                    "folder") }
        if Checkpoint.exists(at: target) {
            guard !resuming, !overwrite else { return }
            let advice = offerResume
                ? "pass --resume \(target) to continue it, --overwrite to replace it, or choose another folder"
                : "pass --overwrite to replace it or choose another folder"
            throw UsageError("--out \(target) already holds a checkpoint; \(advice)")
        } else if !FilePaths.isEmptyDirectory(target) {
            throw UsageError("--out \(target) is a non-empty folder that is not a checkpoint; choose another folder")
        }
    }
}
