import ArgumentParser
import Foundation
import SculptCore
import SculptExperiments
#if Fleet
import SculptFleet
#endif

/// `sculpt status --db URL [SPEC]`: a fleet's progress.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a PostgreSQL store's trials (pending, running, done, failed per spec) and its workers.",
        discussion: "Throughput is over the last 10 minutes; the time left assumes that pace. Fleet trait only."
    )

    @Argument(help: "Only this spec (its name or its file).")
    var spec: String?

    @Option(help: "The store: postgres://USER@HOST[:PORT]/DB[?sslmode=require] (default: $SCULPT_DB).")
    var db: String?

    @Flag(help: "Print one JSON object (runs and workers) instead of text.")
    var json = false

    func run() throws {
        try Output.guarded {
            #if Fleet
            let location = try ResultsDatabase.server(ResultsDatabase.resolve(db), for: "sculpt status")
            var name = spec
            if let spec, spec.hasSuffix(".json") || FileManager.default.fileExists(atPath: spec) {
                name = try ExperimentSpec.load(path: spec, catalog: .standard).name
            }
            let status = try PostgresResultStore(location: location).status(specName: name)
            if let name, status.runs.isEmpty {
                throw UsageError("SPEC: no spec named \(name) is enqueued at \(location)")
            }
            if json {
                try Output.printJSON(status)
                return
            }
            print(location.description)
            for line in Self.lines(status) { print(line) }
            #else
            throw UsageError(ResultsDatabase.disabled("sculpt status"))
            #endif
        }
    }

    #if Fleet
    /// The status for people: one line per spec (and its first failures), one per worker.
    static func lines(_ status: FleetStatus) -> [String] {
        var out: [String] = []
        if status.runs.isEmpty { out.append("no spec enqueued") }
        for r in status.runs {
            var line = "\(r.spec) (run \(r.runId), \(r.kind) v\(r.kindVersion)): \(r.pending) pending, "
                + "\(r.running) running, \(r.done) done, \(r.failed) failed"
            if r.trialsPerMinute > 0 { line += "; \(NumberFormatting.fixed(r.trialsPerMinute, digits: 1)) trials/min" }
            if let left = r.secondsLeft { line += ", ETA \(RunCommand.duration(left))" }
            out.append(line)
            for failure in r.failures { out.append("  failed: \(failure)") }
        }
        let alive = status.workers.filter(\.alive).count
        out.append("workers: \(alive) alive, \(status.workers.count - alive) gone or stopped (last hour)")
        for w in status.workers {
            out.append("  \(w.id) (\(w.processes) processes): \(w.alive ? w.state : "gone (\(w.state))"), heartbeat "
                + "\(NumberFormatting.fixed(w.secondsSinceHeartbeat, digits: 0)) s ago, \(w.done) done, "
                + "\(w.failed) failed")
        }
        return out
    }
    #endif
}
