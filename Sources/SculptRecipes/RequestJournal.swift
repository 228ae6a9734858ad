#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One acknowledged request of a run's journal.
public struct JournalEntry: Codable, Equatable, Sendable {
    /// 1, 2, 3, ... in the order the requests were acknowledged.
    public var id: Int
    /// The request as `ScheduledTraining` reads it: an operation (`expand:fc1:to=40`), `stop`,
    /// `pause`, `resume` or `epochs N`.
    public var text: String
    /// Who asked (`dashboard`, `requests-file`, ...).
    public var who: String
}

/// Errors of the request journal.
public enum JournalError: Error, LocalizedError, Equatable {
    case cannotWrite(String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .cannotWrite(let file, let reason): return "\(file): cannot write the request journal (\(reason))"
        }
    }
}

/// A run's request journal: one JSON line per acknowledged request, appended under an exclusive
/// lock and fsync'ed before `append` returns, so a request acknowledged to a person survives a
/// crash. Any process may append (the training process, `sculpt serve`); the training process
/// reads the entries it has not applied yet between batches, and its checkpoint records the last
/// id it applied, so after `--resume` the remaining entries run, each exactly once.
public final class RequestJournal: @unchecked Sendable {
    /// The journal of a run folder: beside it (the folder is replaced at every save).
    public static func path(forRun folder: String) -> String {
        (folder.hasSuffix("/") ? String(folder.dropLast()) : folder) + ".journal"
    }

    public let path: String
    /// Bytes of the file already read by `entries(after:)`, and the last id seen there.
    private var readOffset = 0
    private var readEntries: [JournalEntry] = []

    public init(path: String) { self.path = path }

    /// Appends `text` and returns its id once the line is on disk (fsync).
    @discardableResult
    public func append(_ text: String, who: String) throws -> Int {
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalError.cannotWrite(path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw JournalError.cannotWrite(path, reason: "cannot lock it") }
        defer { _ = flock(fd, LOCK_UN) }
        let existing = Self.parse(Self.readAll(fd: fd))
        let entry = JournalEntry(id: (existing.last?.id ?? 0) + 1, text: text, who: who)
        let line = Array(try JSONEncoder().encode(entry)) + [UInt8(ascii: "\n")]
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(fd) == 0 else {
            throw JournalError.cannotWrite(path, reason: String(cString: strerror(errno)))
        }
        return entry.id
    }

    /// The entries with ids above `id`, in order. Cheap when nothing was added: one `stat`.
    public func entries(after id: Int) -> [JournalEntry] {
        var info = stat()
        if stat(path, &info) == 0, Int(info.st_size) > readOffset {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                defer { close(fd) }
                let bytes = Self.readAll(fd: fd)
                // Only whole lines: a line being written is read next time.
                if let end = bytes.lastIndex(of: UInt8(ascii: "\n")), end + 1 > readOffset {
                    readEntries = Self.parse(Array(bytes[..<(end + 1)]))
                    readOffset = end + 1
                }
            }
        }
        return readEntries.filter { $0.id > id }
    }

    private static func readAll(fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        _ = lseek(fd, 0, SEEK_SET)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    /// The entries of `bytes`; a line that is not an entry (a person's edit) is skipped, so it
    /// can never stop the run.
    private static func parse(_ bytes: [UInt8]) -> [JournalEntry] {
        let decoder = JSONDecoder()
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap {
            try? decoder.decode(JournalEntry.self, from: Data($0))
        }
    }
}
