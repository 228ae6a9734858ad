import ArgumentParser
import Foundation
import SculptAnalysis
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptVisual

/// `sculpt analyze`: the redundancy analyses of SculptAnalysis on a saved network.
struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Analyse a saved network's redundancy: spectra, distance from initialization, "
            + "weight clustering, repeated units.",
        discussion: """
            Per Dense/Conv2D weight: the ESD of X = W Wᵀ/N (conv: the kH·kW [O, I] slices pooled, as \
            WeightWatcher), its power-law alpha (MLE, xmin by minimum KS distance; null below 50 eigenvalues), KS \
            distance, tail size, spectral norm, stable rank, Marchenko-Pastur edge and spikes; k-means (--clusters) \
            angles of the units' normalized incoming vectors. With initial weights (the run's init.safetensors, or \
            --init RUN0): ‖W − W₀‖_F, top-k energy of the update, trained-vs-initial angle KS test, and with --data the \
            projection test (updates on their top-k left singular vectors, k = 1, 2, 4, ..., full). With --data: \
            repeated units (|Pearson r| >= --correlation of unit outputs) and removable units (ablation loss ratio \
            <= 1 + --tolerance) on --samples test samples. A lottery folder (lottery.safetensors, or --mask DIR): \
            survivors per unit, chi-square against uniform, Gini, lift. \
            --out DIR writes analysis.json and SVG figures; --json prints one object.
            """
    )

    @Argument(help: ArgumentHelp("A checkpoint folder.", valueName: "run"))
    var runDirectory: String
    @Option(help: "A checkpoint of the same network at initialization (default: the run's init.safetensors).")
    var `init`: String?
    @Option(
        help: ArgumentHelp("A dataset (fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, ...) for the projection test "
            + "and unit correlations.")
    )
    var data: String?
    @Option(help: "A lottery folder whose lottery.safetensors masks to analyse (default: RUN's own, if any).")
    var mask: String?
    @Option(help: "Test samples for repeated/removable units.")
    var samples: Int = 512
    @Option(help: "Test samples for the projection test (default: all).")
    var testLimit: Int?
    @Option(help: "K-means clusters.")
    var clusters: Int = 4
    @Option(help: "K-means++ seed.")
    var seed: UInt64 = 0
    @Option(help: "|correlation| at which units count as repeated.")
    var correlation: Double = 0.9
    @Option(help: "Ablation loss ratio tolerance for removable units.")
    var tolerance: Double = 0.01
    @Flag(help: "Require distances from initialization (fail when there are no initial weights).")
    var distance = false
    @Option(help: "Write analysis.json and the SVG figures into this new folder.")
    var out: String?
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        guard samples > 0 else { throw UsageError("--samples \(samples): must be positive") }
        if let testLimit, testLimit <= 0 { throw UsageError("--test-limit \(testLimit): must be positive") }
        guard clusters > 0 else { throw UsageError("--clusters \(clusters): must be positive") }
        guard correlation > 0, correlation <= 1 else {
            throw UsageError("--correlation \(correlation): must lie in (0, 1]")
        }
        guard tolerance.isFinite, tolerance >= 0 else {
            throw UsageError("--tolerance \(tolerance): must be a finite number >= 0")
        }
        if let out, FilePaths.exists(out) { throw UsageError("--out \(out) already exists; choose a new folder") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: runDirectory) } catch {
            throw UsageError("\(runDirectory): \(error)")
        }
        let network = checkpoint.network
        let (initial, initialNote) = try initialWeights(checkpoint)
        if distance, initial == nil { throw UsageError("\(runDirectory): \(initialNote); pass --init RUN0") }
        let masks = try lotteryMasks()
        var sample: Dataset? = nil
        var test: Dataset? = nil
        if let data {
            let loaded = try adapt(
                try loadData(data).test, to: network, dataName: data, modelName: "the network in \(runDirectory)")
            sample = PrefixDataset(loaded, count: Swift.min(samples, loaded.count))
            test = PrefixDataset(loaded, count: Swift.min(testLimit ?? loaded.count, loaded.count))
        }
        var options = AnalysisOptions()
        options.clusters = clusters
        options.seed = seed
        options.correlationThreshold = correlation
        options.lossTolerance = tolerance
        let loss = checkpoint.training?.configuration.loss.makeLoss() ?? SoftmaxCrossEntropy()
        let report: NetworkAnalysisReport
        do {
            report = try NetworkAnalysis.analyze(
                network: network, initial: initial?.byName, mask: masks, sample: sample,
                test: test, loss: loss, options: options)
        } catch let error as AnalysisError {
            throw UsageError((self.`init`.map { "--init \($0): " } ?? "\(runDirectory): ") + error.description)
        }
        let output = AnalyzeOutput(
            run: runDirectory,
            initialWeights: initial == nil ? nil : (self.`init` ?? runDirectory + "/" + InitialWeights.file),
            initialWeightsNote: initial == nil ? initialNote : nil, report: report)
        if let out { try writeFigures(output, to: out) }
        if json { return try Output.printJSON(output) }
        AnalyzeTables.print(output)
        if let out { print("wrote \(out)/analysis.json and \(AnalysisFigures.all(report).count) figures") }
    }

    /// The initial weights (from --init or the run's own) or why there are none.
    private func initialWeights(_ checkpoint: Checkpoint) throws -> (InitialWeights?, String) {
        if let path = self.`init` {
            let zero: Checkpoint
            do { zero = try Checkpoint.load(from: path) } catch { throw UsageError("--init \(path): \(error)") }
            return (InitialWeights(of: zero.network), "")
        }
        guard let own = checkpoint.initialWeights else {
            return (nil, "no initial weights (the checkpoint has no \(InitialWeights.file))")
        }
        if let reason = own.droppedReason { return (nil, "no initial weights (dropped: \(reason))") }
        return (own, "")
    }

    /// The lottery keep masks by weight name, from --mask or RUN's own lottery.safetensors.
    private func lotteryMasks() throws -> [String: [Float]]? {
        let folder = mask ?? runDirectory
        let path = folder + "/lottery.safetensors"
        guard FilePaths.exists(path) else {
            if mask != nil {
                throw UsageError("--mask \(folder): no lottery.safetensors (sculpt lottery --out writes it)")
            }
            return nil
        }
        let file: Safetensors
        do { file = try Safetensors.read(path) } catch { throw UsageError("--mask \(path): \(error)") }
        var masks: [String: [Float]] = [:]
        for (name, t) in file.tensors where name.hasPrefix("mask/") { masks[String(name.dropFirst(5))] = t.scalars }
        return masks
    }

    /// analysis.json and the figures, into a temporary folder renamed to `out` at the end.
    private func writeFigures(_ output: AnalyzeOutput, to out: String) throws {
        let temporary = out + ".partial-\(getpid())"
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
            let encoder = JSONEncoder.keepingNonFinite([.prettyPrinted, .sortedKeys])
            try encoder.encode(output).write(to: URL(fileURLWithPath: temporary + "/analysis.json"))
            for (name, figure) in AnalysisFigures.all(output.report) {
                try Data(figure.svg().utf8).write(to: URL(fileURLWithPath: temporary + "/" + name))
            }
            try manager.moveItem(atPath: temporary, toPath: out)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw UsageError("--out \(out): \(error.localizedDescription)")
        }
    }
}

/// What `sculpt analyze --json` prints.
struct AnalyzeOutput: Encodable {
    var run: String
    /// Where the initial weights came from (nil: none).
    var initialWeights: String?
    var initialWeightsNote: String?
    var report: NetworkAnalysisReport
}
