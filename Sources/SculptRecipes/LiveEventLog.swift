import SculptCore
import SculptData

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

/// A `TrainingObserver` that appends every event as a JSON line to a file beside the run folder
/// (`RUN.events`), so another process (`sculpt serve RUN`) can follow the run. Batch lines are
/// buffered and written at most every `flushInterval` seconds; every other event is written at once.
public final class LiveEventLog: TrainingObserver {
    /// The event log of a run folder: beside it (the folder is replaced at every save).
    public static func path(forRun folder: String) -> String {
        (folder.hasSuffix("/") ? String(folder.dropLast()) : folder) + ".events"
    }

    public let path: String
    public var flushInterval = 0.5
    public var wantsNetworkCopies: Bool { false }
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var lastFlush = Clock.now()

    /// Opens `path` for appending (`truncating`: starts it empty, for a fresh run).
    public init(path: String, truncating: Bool) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncating ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw JournalError.cannotWrite(path, reason: String(cString: strerror(errno))) }
    }

    deinit {
        flush()
        close(fd)
    }

    public func training(_ event: LiveEvent) {
        guard let line = try? event.jsonLine() else { return }
        buffer += line
        if case .batch = event, Clock.now() - lastFlush < flushInterval { return }
        flush()
    }

    public func training(networkChanged copy: NetworkCopy) {}

    /// Writes the buffered lines.
    public func flush() {
        var offset = 0
        while offset < buffer.count {
            let n = buffer[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            offset += n
        }
        buffer.removeAll(keepingCapacity: true)
        lastFlush = Clock.now()
    }

    /// Every event of a log file (lines that do not decode, such as a line cut by a crash, skipped).
    public static func read(_ path: String) -> [LiveEvent] {
        guard let bytes = try? readFileBytes(path) else { return [] }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { try? LiveEvent(jsonLine: $0) }
    }
}
