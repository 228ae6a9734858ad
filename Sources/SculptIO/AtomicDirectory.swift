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

/// Writes a folder of files so that readers see either the old folder or the complete new one.
///
/// The files go into a temporary sibling folder (flushed to disk), which then takes the target's
/// place: by an atomic exchange (`renameat2(RENAME_EXCHANGE)` on Linux) when the target exists,
/// else by `rename`. Where the exchange is unavailable the old folder is first renamed aside,
/// so a crash leaves either the old or the new folder under a known name, never a partial one.
enum AtomicDirectory {
    /// Writes `files` (name, bytes) as the folder `target`, replacing an existing folder.
    /// Creates missing parent folders. On failure the target is left as it was.
    static func write(_ files: [(name: String, bytes: [UInt8])], to target: String) throws {
        let target = target.hasSuffix("/") && target.count > 1 ? String(target.dropLast()) : target
        let parent = parentDirectory(of: target)
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw CheckpointError.cannotWrite(path: parent, reason: "cannot create the folder (\(error))")
        }
        let base = lastComponent(of: target)
        removeStaleSiblings(of: base, in: parent)
        let temporary = parent + "/." + base + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(temporary, 0o755) == 0 else {
            throw CheckpointError.cannotWrite(path: temporary, reason: String(cString: strerror(errno)))
        }
        do {
            for (name, bytes) in files { try writeDurably(bytes, to: temporary + "/" + name) }
            try syncDirectory(temporary)
            try replace(target, with: temporary)
            try? syncDirectory(parent)
        } catch {
            try? fm.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Removes `.BASE.partial-PID-*` and `.BASE.old-PID` folders left by writers that were killed:
    /// those whose process no longer exists.
    static func removeStaleSiblings(of base: String, in parent: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in entries {
            guard let pid = writerProcess(of: name, base: base), pid != getpid() else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH { try? FileManager.default.removeItem(atPath: parent + "/" + name) }
        }
    }

    /// The process id in a temporary or set-aside name of `base` written by this type, else nil.
    static func writerProcess(of name: String, base: String) -> pid_t? {
        for marker in [".partial-", ".old-"] {
            let prefix = "." + base + marker
            guard name.hasPrefix(prefix) else { continue }
            let digits = name.dropFirst(prefix.count).prefix { $0.isNumber }
            return pid_t(digits)
        }
        return nil
    }

    private static func replace(_ target: String, with temporary: String) throws {
        var s = stat()
        guard stat(target, &s) == 0 else {
            guard rename(temporary, target) == 0 else {
                throw CheckpointError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
            }
            return
        }
        if exchange(temporary, target) {
            try? FileManager.default.removeItem(atPath: temporary)  // now holds the old folder
            return
        }
        let aside = parentDirectory(of: target) + "/." + lastComponent(of: target) + ".old-\(getpid())"
        guard rename(target, aside) == 0 else {
            throw CheckpointError.cannotWrite(path: target, reason: String(cString: strerror(errno)))
        }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = rename(aside, target)
            throw CheckpointError.cannotWrite(path: target, reason: reason)
        }
        try? FileManager.default.removeItem(atPath: aside)
    }

    /// Atomically swaps two paths; false where the system cannot.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 2
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
        #else
        return false
        #endif
    }

    private static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        guard let f = fopen(path, "wb") else {
            throw CheckpointError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
        let ok = written == bytes.count && fflush(f) == 0 && fsync(fileno(f)) == 0
        let reason = String(cString: strerror(errno))
        fclose(f)
        guard ok else { throw CheckpointError.cannotWrite(path: path, reason: reason) }
    }

    private static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = fsync(fd)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
