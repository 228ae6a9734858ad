import Foundation
import SculptCore

/// One trial to execute: everything a worker needs, nothing about where the result goes.
public struct TrialJob: Sendable, Equatable {
    /// The trial kind's name.
    public var kind: String
    /// The variant's resolved config.
    public var config: JSONValue
    /// The trial's seed.
    public var seed: UInt64
    /// The trial's working folder (`TrialFolder`), stable across attempts, where a resumable kind
    /// keeps its recipe's run folder; nil: the trial runs without one and cannot resume.
    public var folder: String?

    public init(kind: String, config: JSONValue, seed: UInt64, folder: String? = nil) {
        self.kind = kind
        self.config = config
        self.seed = seed
        self.folder = folder
    }

    /// The job file's JSON (`{"kind", "config", "seed", "folder"}`; the seed as a decimal string,
    /// `folder` only when there is one).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["kind": .string(kind), "config": config, "seed": .string(String(seed))]
        if let folder { members["folder"] = .string(folder) }
        return .object(members)
    }

    /// Reads a job file's JSON.
    public init(json: JSONValue) throws {
        let r = try ConfigReader(json)
        let seedText = try r.string("seed")
        guard let seed = UInt64(seedText) else {
            throw ConfigError(keyPath: "seed", reason: "expected a decimal UInt64, found \"\(seedText)\"")
        }
        var folder: String? = nil
        switch r.value("folder") {
        case .string(let path)?: folder = path
        case nil: break
        case let other?: throw ConfigError(keyPath: "folder", reason: "expected a path, found \(other.canonicalText)")
        }
        self.init(kind: try r.string("kind"), config: try r.required("config"), seed: seed, folder: folder)
        try r.finish()
    }
}

/// Why a trial produced no result: the trial's own error, or its worker's death.
public struct TrialFailure: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Runs trials somewhere: in this process or in a worker process. Called from several runner
/// threads at once; each call blocks until its trial ends.
public protocol TrialExecutor: Sendable {
    /// Runs `job` and returns its result or why it failed.
    func execute(_ job: TrialJob) -> Result<TrialResult, TrialFailure>
}

/// Runs trials on the calling thread with the kinds of `catalog` (tests, library users). A job
/// with a folder gets it prepared (`TrialFolder.prepare`: kept for the same job, else wiped) and
/// its recipe's run folder passed to the kind; what happened to the folder goes to `log` and to
/// the folder's `trial.log`.
public struct InProcessExecutor: TrialExecutor {
    public let catalog: TrialKindCatalog
    /// Where the trial's log lines go (by default standard error: a worker's log file).
    public let log: @Sendable (String) -> Void

    public init(catalog: TrialKindCatalog, log: @escaping @Sendable (String) -> Void = InProcessExecutor.standardError)
    {
        self.catalog = catalog
        self.log = log
    }

    /// Writes `line` to standard error.
    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func execute(_ job: TrialJob) -> Result<TrialResult, TrialFailure> {
        do {
            let kind = try catalog.kind(named: job.kind)
            guard let folder = job.folder else { return .success(try kind.run(config: job.config, seed: job.seed)) }
            let prepared = try TrialFolder.prepare(folder, for: job, version: kind.version)
            if let note = prepared.note {
                log(note)
                TrialFolder.log(note, in: folder)
            }
            return .success(try kind.run(config: job.config, seed: job.seed, folder: prepared.run))
        } catch {
            return .failure(TrialFailure("\(error)"))
        }
    }
}
