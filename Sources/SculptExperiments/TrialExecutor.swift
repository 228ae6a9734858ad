import SculptCore

/// One trial to execute: everything a worker needs, nothing about where the result goes.
public struct TrialJob: Sendable, Equatable {
    /// The trial kind's name.
    public var kind: String
    /// The variant's resolved config.
    public var config: JSONValue
    /// The trial's seed.
    public var seed: UInt64

    public init(kind: String, config: JSONValue, seed: UInt64) {
        self.kind = kind
        self.config = config
        self.seed = seed
    }

    /// The job file's JSON (`{"kind", "config", "seed"}`; the seed as a decimal string).
    public var json: JSONValue {
        .object(["kind": .string(kind), "config": config, "seed": .string(String(seed))])
    }

    /// Reads a job file's JSON.
    public init(json: JSONValue) throws {
        let r = try ConfigReader(json)
        let seedText = try r.string("seed")
        guard let seed = UInt64(seedText) else {
            throw ConfigError(keyPath: "seed", reason: "expected a decimal UInt64, found \"\(seedText)\"")
        }
        self.init(kind: try r.string("kind"), config: try r.required("config"), seed: seed)
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

/// Runs trials on the calling thread with the kinds of `catalog` (tests, library users).
public struct InProcessExecutor: TrialExecutor {
    public let catalog: TrialKindCatalog

    public init(catalog: TrialKindCatalog) { self.catalog = catalog }

    public func execute(_ job: TrialJob) -> Result<TrialResult, TrialFailure> {
        do {
            let kind = try catalog.kind(named: job.kind)
            return .success(try kind.run(config: job.config, seed: job.seed))
        } catch {
            return .failure(TrialFailure("\(error)"))
        }
    }
}
