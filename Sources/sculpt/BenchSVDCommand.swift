import ArgumentParser
import Foundation
import SculptCore
import SculptSurgery

/// `sculpt bench-svd`: W4 of the peer benchmarks (SVD, Tucker, partial Tucker) and the surgery
/// timings (HOSVD, EigenRemove, WeakExpand), to be folded into `sculpt bench`.
struct BenchSVDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-svd",
        abstract: "Time W4 (sgesdd 2048, Tucker 2048^2 rank 256, partial Tucker 512x512x3x3 rank 64) and EigenRemove/WeakExpand."
    )

    @Option(help: "BLAS threads.")
    var threads = 1

    @Option(help: "Timed repetitions per workload (the median is reported).")
    var reps = 3

    @Option(help: "Comma-separated workloads: sgesdd, tucker, partial-tucker, hosvd, eigenremove, weakexpand (default: all).")
    var workloads = "sgesdd,tucker,partial-tucker,hosvd,eigenremove,weakexpand"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Report: Encodable {
        var threads: Int
        var results: [BenchmarkTiming]
    }

    func run() throws {
        try Output.guarded {
            guard threads >= 1 else { throw UsageError("--threads: must be at least 1, found \(threads)") }
            guard reps >= 1 else { throw UsageError("--reps: must be at least 1, found \(reps)") }
            let known = ["sgesdd", "tucker", "partial-tucker", "hosvd", "eigenremove", "weakexpand"]
            let chosen = workloads.split(separator: ",").map(String.init)
            if let bad = chosen.first(where: { !known.contains($0) }) {
                throw UsageError("--workloads: unknown workload \"\(bad)\" (expected: \(known.joined(separator: ", ")))")
            }
            BLAS.setThreads(threads)
            var results: [BenchmarkTiming] = []
            for name in chosen {
                let r: BenchmarkTiming
                switch name {
                case "sgesdd": r = try SVDBenchmarks.sgesdd(repetitions: reps)
                case "tucker": r = try SVDBenchmarks.tucker(repetitions: reps)
                case "partial-tucker": r = try SVDBenchmarks.partialTucker(repetitions: reps)
                case "hosvd": r = try SVDBenchmarks.hosvd(repetitions: reps)
                case "eigenremove": r = try SVDBenchmarks.eigenRemove(repetitions: reps)
                default: r = try SVDBenchmarks.weakExpand(repetitions: reps)
                }
                if !json {
                    let its = r.iterations.map { ", \($0) sweeps" } ?? ""
                    print("\(r.name): \(String(format: "%.1f", r.medianMilliseconds)) ms median of \(r.milliseconds.map { String(format: "%.1f", $0) }.joined(separator: ", "))\(its)")
                }
                results.append(r)
            }
            if json { try Output.printJSON(Report(threads: threads, results: results)) }
        }
    }
}
