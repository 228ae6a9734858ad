import ArgumentParser
import Foundation
import SculptBenchmarks
import SculptCore

/// `sculpt bench`: runs the peer-benchmark workloads (shared/bench/peers/README.md) and prints their figures.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the benchmark workloads (W1 painting, W4 svd, W5 gemm; see shared/bench/peers/README.md) and print their figures.",
        discussion: """
        Workloads follow shared/bench/peers/README.md so figures compare with torch_bench.py.
        painting: epochs/s over 100-epoch runs from a fresh model (median of --reps).
        gemm: GFLOP/s of a 2048^3 sgemm (median of 10 calls after 3 warm-up calls).
        """
    )

    @Option(help: "Comma-separated workloads: \(Benchmarks.all.map(\.name).joined(separator: ",")).")
    var workloads: String = Benchmarks.all.map(\.name).joined(separator: ",")

    @Option(help: "Comma-separated BLAS thread counts.")
    var threads: String = "1,2"

    @Option(help: "Painting: timed repetitions (the median is reported). Gemm always times 10 calls after 3 warm-up calls.")
    var reps: Int = 3

    @Option(help: "Painting: epochs per timed repetition.")
    var epochs: Int = 100

    @Option(name: .customLong("gemm-size"), help: "Gemm: matrix side n.")
    var gemmSize: Int = 2048

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws {
        try Output.guarded {
            let chosen = try parseWorkloads()
            let threadCounts = try parseThreads()
            guard reps > 0 else { throw UsageError("--reps \(reps): must be at least 1") }
            guard epochs > 0 else { throw UsageError("--epochs \(epochs): must be at least 1") }
            guard gemmSize > 0 else { throw UsageError("--gemm-size \(gemmSize): must be at least 1") }
            let options = BenchmarkOptions(repetitions: reps, paintingEpochs: epochs, gemmSize: gemmSize)
            var records: [BenchmarkRecord] = []
            for workload in chosen {
                Output.progress("running \(workload.name) at \(threadCounts.map(String.init).joined(separator: ",")) threads...")
                records += try Benchmarks.run(workload, threads: threadCounts, options: options)
            }
            Output.endProgress()
            if json {
                try Output.printJSON(BenchReport(records: records))
            } else {
                print(Self.table(records))
            }
        }
    }

    private func parseWorkloads() throws -> [BenchmarkWorkload] {
        let names = workloads.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw UsageError("--workloads: give at least one of \(Benchmarks.all.map(\.name).joined(separator: ", "))") }
        return try names.map { name in
            guard let w = Benchmarks.workload(named: name) else {
                throw UsageError("--workloads \(workloads): unknown workload '\(name)'; known: \(Benchmarks.all.map(\.name).joined(separator: ", "))")
            }
            return w
        }
    }

    private func parseThreads() throws -> [Int] {
        let parts = threads.split(separator: ",")
        let counts = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, counts.count == parts.count, counts.allSatisfy({ $0 > 0 }) else {
            throw UsageError("--threads \(threads): give positive integers separated by commas, as in 1,2")
        }
        return counts
    }

    /// A plain-text table of the records.
    static func table(_ records: [BenchmarkRecord]) -> String {
        var rows = [["workload", "model", "threads", "figure", "detail"]]
        for r in records {
            var figure = "", detail = ""
            if let e = r.epochsPerSecond { figure = String(format: "%.1f epochs/s", e) }
            if let s = r.secondsPerEpoch { figure = String(format: "%.3f s/epoch", s) }
            if let g = r.gflops { figure = String(format: "%.1f GFLOP/s", g) }
            if figure.isEmpty { figure = String(format: "%.1f ms", r.medianSeconds * 1e3) }
            if let sweeps = r.iterations { detail += "\(sweeps) sweeps" }
            if let us = r.stepMicroseconds { detail += String(format: "%.2f us/step", us) }
            if let mse = r.finalFullMSE { detail += String(format: ", final MSE %.4f", mse) }
            if let best = r.gflopsBest { detail += String(format: "best %.1f GFLOP/s, %.1f ms/call", best, r.medianSeconds * 1e3) }
            rows.append([r.workload, r.model, String(r.threads), figure, detail])
        }
        let widths = (0..<5).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}

/// What `sculpt bench --json` prints.
struct BenchReport: Encodable {
    let records: [BenchmarkRecord]
}
