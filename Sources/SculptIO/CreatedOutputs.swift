#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptData

/// The outputs a command may create (folders, files, databases), noted before it starts, so that
/// a command that fails can remove what it created and nothing else.
///
/// A path that did not exist is removed whole; an empty folder that existed is emptied again;
/// a path that held something (a checkpoint being resumed or replaced) is left as it is.
public struct CreatedOutputs: Sendable {
    /// Paths that did not exist when noted.
    public private(set) var absent: [String] = []
    /// Empty folders that existed when noted.
    public private(set) var emptyFolders: [String] = []

    /// Notes the state of `paths` (nil entries are skipped).
    public init(_ paths: [String?]) {
        for case let path? in paths {
            if !FilePaths.exists(path) {
                absent.append(Self.outermostAbsent(path))
            } else if FilePaths.isEmptyDirectory(path) {
                emptyFolders.append(path)
            }
        }
    }

    /// The outermost folder of `path` that does not exist (writers create missing parents).
    static func outermostAbsent(_ path: String) -> String {
        var current = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        while let slash = current.lastIndex(of: "/"), slash != current.startIndex {
            let parent = String(current[..<slash])
            if FilePaths.exists(parent) { break }
            current = parent
        }
        return current
    }

    /// Removes what was created at the noted paths since `init`.
    public func removeCreated() {
        let fm = FileManager.default
        for path in absent where FilePaths.exists(path) { try? fm.removeItem(atPath: path) }
        for folder in emptyFolders {
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] {
                try? fm.removeItem(atPath: FilePaths.join(folder, name))
            }
        }
    }

    /// Runs `body`; when it throws, removes what it created at the noted paths and rethrows.
    public func removingCreatedOnFailure<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            removeCreated()
            throw error
        }
    }
}
