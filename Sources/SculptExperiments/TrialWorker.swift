import SculptCore
import SculptData
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The worker side of `ProcessExecutor`: reads a job file, runs the trial in this process,
/// writes a result file. `sculpt trial-worker --job FILE --result FILE` calls `run`.
///
/// Result file JSON: `{"status": "done", "metrics": {...}, "details": ..., "series": [...]}` or
/// `{"status": "failed", "error": "..."}`. A worker that dies before writing it (a crash, a
/// signal) is reported by the parent from its exit status and the tail of its output.
public enum TrialWorker {
    /// Runs the job at `jobPath` and writes its outcome to `resultPath` (atomically). Throws
    /// only when the job file is unreadable or the result cannot be written; a failing trial
    /// is a "failed" result, not an error.
    /// A worker whose parent died meanwhile (`sculpt run` killed) removes its scratch folder,
    /// since nobody else will.
    public static func run(jobPath: String, resultPath: String, catalog: TrialKindCatalog) throws {
        let parent = getppid()
        let job = try TrialJob(json: JSONValue.parse(readFileBytes(jobPath)))
        let outcome = InProcessExecutor(catalog: catalog).execute(job)
        try writeFileAtomically(Array(resultJSON(outcome).canonicalText.utf8), to: resultPath)
        if getppid() != parent {
            let folder = String(resultPath[..<(resultPath.lastIndex(of: "/") ?? resultPath.startIndex)])
            ProcessExecutor.removeScratchFolder(folder)
        }
    }

    /// The result file's JSON for `outcome`.
    static func resultJSON(_ outcome: Result<TrialResult, TrialFailure>) -> JSONValue {
        switch outcome {
        case .success(let result):
            var members: [String: JSONValue] = [
                "status": "done", "metrics": .object(result.metrics.mapValues { .number($0) }),
            ]
            if let details = result.details { members["details"] = details }
            if !result.series.isEmpty { members["series"] = .array(result.series.map(\.json)) }
            return .object(members)
        case .failure(let failure):
            return .object(["status": "failed", "error": .string(failure.message)])
        }
    }

    /// Reads a result file's JSON.
    static func outcome(fromResultJSON json: JSONValue) throws -> Result<TrialResult, TrialFailure> {
        let r = try ConfigReader(json)
        switch try r.string("status", allowed: ["done", "failed"]) {
        case "done":
            let metricsText = try r.required("metrics").canonicalText
            let details = r.value("details")
            let series: [TrialSeries]
            switch r.value("series") {
            case .array(let items)?: series = try items.map(TrialSeries.init(json:))
            case nil: series = []
            default: throw ConfigError(keyPath: "series", reason: "expected an array of series")
            }
            try r.finish()
            return .success(
                TrialResult(metrics: try TrialRowText.metrics(fromText: metricsText), details: details, series: series))
        default:
            let message = try r.string("error")
            try r.finish()
            return .failure(TrialFailure(message))
        }
    }
}
