import ArgumentParser
import Foundation
import SculptBenchmarks
import SculptCore
import SculptData
import SculptNN

/// `sculpt bench`: runs the benchmark workloads defined in bench/README.md and prints their figures.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the benchmark workloads (W1 painting, W2 mlp, W3 cnn, W4 svd, W5 gemm, W6 analysis, W7 vgg) "
            + "and print their figures.",
        discussion: """
        The workloads are defined in bench/README.md; bench/torch_reference.py runs the same ones \
        in PyTorch and bench/compare.sh runs both side by side.

        painting: epochs/s over 100-epoch runs from a fresh model (median of --reps).
        mlp: s/epoch of Fashion-MNIST 784-512-512-10, --reps full epochs from a fresh model, test accuracy.
        cnn: s/epoch of Fashion-MNIST cnn-small from --batches batches x --reps, extrapolated to 60k \
        samples; at the largest thread count one real epoch and its test accuracy.
        svd: seconds of sgesdd 2048, Tucker 2048^2 rank 256, partial Tucker 512x512x3x3 rank 64, \
        EigenRemove 2048 -> 1844 and WeakExpand 2048 -> 2252 (median of --reps).
        gemm: GFLOP/s of a 2048^3 sgemm (median of 10 calls after 3 warm-up calls).
        vgg: as cnn, for VGG16 x0.25 (BatchNorm) with SGD weight decay 5e-4 (W7).
        --profile: per-layer milliseconds of a training step instead (at each thread count), of the \
        model named by --profile-model (mlp, cnn or vgg).
        """
    )

    @Option(help: "Comma-separated workloads: \(Benchmarks.all.map(\.name).joined(separator: ",")).")
    var workloads: String = Benchmarks.all.map(\.name).joined(separator: ",")

    @Option(help: "Comma-separated BLAS thread counts.")
    var threads: String = "1,2"

    @Option(
        help:
            "Painting, mlp, cnn: timed repetitions (the median is reported). Gemm always times 10 calls after 3 warm-up calls."
    )
    var reps: Int = 3

    @Option(help: "Painting: epochs per timed repetition.")
    var epochs: Int = 100

    @Option(name: .customLong("gemm-size"), help: "Gemm: matrix side n.")
    var gemmSize: Int = 2048

    @Option(help: "Mlp, cnn: the Fashion-MNIST folder (MNIST layout).")
    var data: String = MNISTFormat.fashionMNISTDirectory

    @Option(help: "Cnn: timed batches per repetition; with --profile, profiled batches.")
    var batches: Int = 100

    @Option(name: .customLong("warmup-batches"), help: "Mlp, cnn: untimed warm-up batches.")
    var warmupBatches: Int = 20

    @Flag(name: .customLong("no-full-epoch"), help: "Cnn: skip the real epoch and its test accuracy.")
    var noFullEpoch = false

    @Flag(help: "Print per-layer forward/backward milliseconds of a training step instead of the workloads.")
    var profile = false

    @Option(name: .customLong("profile-model"), help: "With --profile: the model of mlp, cnn or vgg.")
    var profileModel = "cnn"

    @Option(
        name: .customLong("conv-algorithm"),
        help: "Cnn, vgg, --profile: how convolutions run: automatic (Winograd F(2x2, 3x3) for 3x3 stride-1 layers of >= 16 channels where it pays, the direct path where that is faster, in builds for AVX-512), im2col, winograd (F(2x2, 3x3)), winograd4x4 (F(4x4, 3x3)) or direct (channel-minor direct convolution, channels multiples of 16).")
    var convAlgorithm = "automatic"

    @Flag(help: "Print one JSON object on stdout.")
    var json = false
    @OptionGroup var memory: MemoryOptions

    func run() throws {
        try Output.guarded {
            let chosen = try parseWorkloads()
            let threadCounts = try parseThreads()
            guard reps > 0 else { throw UsageError("--reps \(reps): must be at least 1") }
            guard epochs > 0 else { throw UsageError("--epochs \(epochs): must be at least 1") }
            guard gemmSize > 0, gemmSize <= 1 << 16 else {
                throw UsageError("--gemm-size \(gemmSize): must lie in [1, \(1 << 16)]")
            }
            if chosen.contains(where: { $0.name == "gemm" }) {
                let side = Double(gemmSize)
                try memory.check(
                    3 * side * side * 4, flag: "--gemm-size \(gemmSize)", what: "three \(gemmSize)x\(gemmSize) matrices"
                )
            }
            guard batches > 0 else { throw UsageError("--batches \(batches): must be at least 1") }
            guard warmupBatches >= 0 else { throw UsageError("--warmup-batches \(warmupBatches): must be at least 0") }
            guard let convolution = Conv2D.Algorithm(rawValue: convAlgorithm) else {
                throw UsageError(
                    "--conv-algorithm \(convAlgorithm): give one of \(Conv2D.Algorithm.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if profile { return try runProfile(threadCounts, convolution: convolution) }
            if chosen.contains(where: { ["mlp", "cnn", "vgg"].contains($0.name) }) {
                // Checked before any workload runs, so a bad folder fails at once.
                do { _ = try MNISTFormat.load(directory: data, part: .test) } catch {
                    throw UsageError("--data \(data): \(error)")
                }
            }
            var options = BenchmarkOptions(repetitions: reps, paintingEpochs: epochs, gemmSize: gemmSize,
                                           fashionMNISTDirectory: data, warmupBatches: warmupBatches,
                                           cnnTimedBatches: batches, cnnFullEpoch: !noFullEpoch)
            options.convolutionAlgorithm = convolution
            var records: [BenchmarkRecord] = []
            for workload in chosen {
                Output.milestone(
                    "running \(workload.name) at \(threadCounts.map(String.init).joined(separator: ",")) threads...")
                records += try Benchmarks.run(workload, threads: threadCounts, options: options)
            }
            Output.endProgress()
            if json {
                try Output.printJSON(BenchReport(blas: BLAS.kernels, subnormalsFlushed: Subnormals.flushedAtStartup,
                                                 codegen: Codegen.description, records: records))
            } else {
                print(Self.setupLine)
                print(Self.table(records))
            }
        }
    }

    /// `--profile`: the per-layer times of `--profile-model`'s training step at each thread count.
    private func runProfile(_ threadCounts: [Int], convolution: Conv2D.Algorithm) throws {
        guard let architecture = try Benchmarks.classifierArchitecture(named: profileModel) else {
            throw UsageError("--profile-model \(profileModel): give one of mlp, cnn, vgg")
        }
        let train: ImageDataset
        do { train = try MNISTFormat.load(directory: data, part: .train) } catch {
            throw UsageError("--data \(data): \(error)")
        }
        let saved = BLAS.threads
        defer { BLAS.setThreads(saved) }
        var profiles: [ProfileReport] = []
        for t in threadCounts {
            BLAS.setThreads(t)
            var rng = RandomSource(seed: 0)
            let network = try Network(architecture, rng: &rng)
            network.setConvolutionAlgorithm(convolution)
            _ = CNNBenchmark.profile(network, data: train, batches: warmupBatches)
            profiles.append(
                ProfileReport(threads: t, profile: CNNBenchmark.profile(network, data: train, batches: batches)))
        }
        if json {
            try Output.printJSON(ProfileOutput(blas: BLAS.kernels, subnormalsFlushed: Subnormals.flushedAtStartup,
                                               codegen: Codegen.description, profiles: profiles))
            return
        }
        print(Self.setupLine)
        for report in profiles {
            let p = report.profile
            print("\(profileModel) step at \(report.threads) thread(s), ms per batch of 128 over \(batches) batches:")
            var table = TextTable(["layer", "forward", "backward"], leftAligned: 1)
            for (i, name) in zip(p.names, p.layers).map({ "\($0) \($1)" }).enumerated() {
                table.append([
                    name, String(format: "%.2f", p.forwardMilliseconds[i]),
                    String(format: "%.2f", p.backwardMilliseconds[i]),
                ])
            }
            for line in table.lines { print("  " + line) }
            let total =
                p.forwardMilliseconds.reduce(0, +) + p.backwardMilliseconds.reduce(0, +) + p.optimizerMilliseconds
            print(String(format: "  optimizer %.2f; total %.2f ms/batch", p.optimizerMilliseconds, total))
        }
    }

    private func parseWorkloads() throws -> [BenchmarkWorkload] {
        let names = workloads.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else {
            throw UsageError("--workloads: give at least one of \(Benchmarks.all.map(\.name).joined(separator: ", "))")
        }
        return try names.map { name in
            guard let w = Benchmarks.workload(named: name) else {
                throw UsageError(
                    "--workloads \(workloads): unknown workload '\(name)'; known: \(Benchmarks.all.map(\.name).joined(separator: ", "))"
                )
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

    /// The line above a table or profile: the BLAS kernels and the subnormal mode the figures were measured with.
    static var setupLine: String {
        "BLAS: \(BLAS.kernels); subnormals \(Subnormals.description); code compiled \(Codegen.description)"
    }

    /// A plain-text table of the records.
    static func table(_ records: [BenchmarkRecord]) -> String {
        var table = TextTable(["workload", "model", "threads", "figure", "detail"])
        for r in records {
            var figure = "", detail = ""
            if let e = r.epochsPerSecond { figure = String(format: "%.1f epochs/s", e) }
            if let s = r.secondsPerEpoch { figure = String(format: "%.3f s/epoch", s) }
            if let ms = r.batchMilliseconds {
                detail += String(format: "%.2f ms/batch over %d batches", ms, r.timedBatches ?? 0)
            }
            if let once = r.measuredEpochSeconds { detail += String(format: ", real epoch %.2f s", once) }
            if let g = r.gflops { figure = String(format: "%.1f GFLOP/s", g) }
            if figure.isEmpty { figure = String(format: "%.1f ms", r.medianSeconds * 1e3) }
            if let sweeps = r.iterations { detail += "\(sweeps) sweeps" }
            if let us = r.stepMicroseconds { detail += String(format: "%.2f us/step", us) }
            if let a = r.testAccuracy {
                detail += (detail.isEmpty ? "" : ", ") + String(format: "test accuracy %.4f", a)
            }
            if let mse = r.finalFullMSE { detail += String(format: ", final MSE %.4f", mse) }
            if let best = r.gflopsBest {
                detail += String(format: "best %.1f GFLOP/s, %.1f ms/call", best, r.medianSeconds * 1e3)
            }
            table.append([r.workload, r.model, String(r.threads), figure, detail])
        }
        return table.text
    }
}

/// One thread count's profile, as `sculpt bench --profile --json` prints it.
struct ProfileReport: Encodable {
    let threads: Int
    let profile: LayerProfile
}

/// What `sculpt bench --profile --json` prints.
struct ProfileOutput: Encodable {
    let blas: BLASKernels
    let subnormalsFlushed: Bool
    let codegen: String
    let profiles: [ProfileReport]
}

/// What `sculpt bench --json` prints.
struct BenchReport: Encodable {
    /// The BLAS library and kernels the figures were measured with.
    let blas: BLASKernels
    /// True when arithmetic flushed subnormal results to zero (`Subnormals`).
    let subnormalsFlushed: Bool
    /// How Sculpt's own code was compiled (`Codegen`).
    let codegen: String
    let records: [BenchmarkRecord]
}
