import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN

/// The flags of a resumable training run, shared by `sculpt train` and `sculpt schedule`.
struct TrainingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A built-in model (\(builtinArchitectureNames.joined(separator: ", "))) or an "
                               + "architecture JSON file (not needed with --resume)."))
    var model: String?
    @Option(help: "Width multiplier of a built-in model's hidden channels and units (default 1).")
    var width: Double?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: ArgumentHelp("Total number of epochs of the run (a resumed run trains the remaining ones; default "
                + "10, or the resumed run's length)."))
    var epochs: Int?
    @Option(help: "sgd or adam (default sgd).")
    var optimizer: String?
    @OptionGroup var optimizerOptions: OptimizerOptions
    @Option(help: "Seed of initialization, shuffling, augmentation and the validation split (default 0).")
    var seed: UInt64?
    @Option(help: "Checkpoint folder, rewritten atomically after every epoch (default: the --resume folder).")
    var out: String?
    @Option(help: "A checkpoint folder to continue training from.")
    var resume: String?
    @Option(name: .customLong("validation-fraction"),
            help: "Fraction of the training set held out for validation (default 0).")
    var validationFraction: Double?
    @Flag(name: .customLong("no-augmentation"), help: "Do not augment CIFAR batches (random crop and flip).")
    var noAugmentation = false
    @Flag(help: "Replace an existing checkpoint at --out that is not the --resume folder.")
    var overwrite = false
    @OptionGroup var threadOptions: ThreadOptions
    @Flag(help: "Print one JSON object on stdout.")
    var json = false
    @OptionGroup var memory: MemoryOptions

    /// `--data` (checked present by `prepare`).
    var data: String { dataOptions.data ?? "" }
    /// `--train-limit`, nil for all (0 or absent).
    var trainLimit: Int? { (try? dataOptions.trainLimit()).flatMap { $0 > 0 ? $0 : nil } }
    var batch: Int? { optimizerOptions.batch }
    var lr: Float? { optimizerOptions.lr }
    var momentum: Float? { optimizerOptions.momentum }
    var weightDecay: Float? { optimizerOptions.weightDecay }

    /// A training run ready to go: fresh from the flags, or resumed from `--resume`.
    struct Prepared {
        var run: TrainingRun
        /// The training samples (less the validation part).
        var train: Dataset
        var validation: Dataset?
        var test: Dataset
        var augmentation: BatchAugmentation?
        /// Where checkpoints go (`--out`, else the `--resume` folder).
        var target: String?
        /// The run's total length in epochs (`--epochs`, else the saved length, else 10).
        var epochs: Int
        /// Saved settings of a resumed run that flags replaced.
        var overrides: [TrainingOverride] = []

        /// Prints which saved settings the flags overrode (on stderr with --json, so stdout stays one object).
        func announceOverrides(json: Bool) {
            for o in overrides {
                let line = "resuming \(target ?? "the run"): \(o)"
                if json { FileHandle.standardError.write(Data((line + "\n").utf8)) } else { print(line) }
            }
        }
    }

    /// Checks the flags, loads the data and builds (or resumes) the run; nothing is written.
    func prepare() throws -> Prepared {
        if let epochs, !(0...Self.maxEpochs).contains(epochs) {
            throw UsageError("--epochs must lie in [0, \(Self.maxEpochs)], got \(epochs)")
        }
        try threadOptions.apply()
        guard dataOptions.data != nil else { throw UsageError("--data is required") }
        _ = try dataOptions.trainLimit()
        let testLimit = try dataOptions.testLimit()
        if width != nil, model == nil { throw UsageError("--width applies to a built-in --model") }
        // Checked before the data loads; a built-in is rebuilt below for the data's shape and classes.
        var architecture = try model.map { try resolveArchitecture($0, width: width) }
        var checkpoint: Checkpoint?
        if let resume {
            do { checkpoint = try Checkpoint.load(from: resume) } catch { throw UsageError("--resume \(resume): " +
                "\(error)") }
        } else if model == nil {
            throw UsageError("--model is required unless --resume is given")
        }
        let freshConfiguration = resume == nil ? try makeConfiguration() : nil
        let target = out ?? resume
        if let target {
            try Output.checkCheckpointTarget(target, overwrite: overwrite,
                                             resuming: resume.map { sameFolder($0,
                                                 target) } ?? false, offerResume: true)
        }

        // A resumed run keeps its saved settings unless a flag overrides them.
        var resumed: (configuration: TrainingConfiguration, overrides: [TrainingOverride])?
        if let state = checkpoint?.training, let resume {
            try checkSameData(state.configuration)
            do { resumed = try state.configuration.resumed(with: overrides) } catch {
                throw UsageError("--resume \(resume): \(error)")
            }
        }
        let configuration = resumed?.configuration ?? freshConfiguration
        var loaded = try loadData(data)
        if let limit = configuration?.trainLimit { loaded.train = loaded.train.limited(to: limit) }
        loaded.test = loaded.test.limited(to: testLimit)
        if let model, !FilePaths.isFile(model) {
            architecture = try resolveArchitecture(model, width: width,
                                                   dataShape: (loaded.train.inputShape, loaded.train.classCount))
        }
        let run = try makeRun(checkpoint: checkpoint, architecture: architecture, configuration: configuration)
        return try split(loaded, run: run, target: target, overrides: resumed?.overrides ?? [])
    }

    /// The largest `--batch`.
    static let maxBatch = 1 << 20
    /// The longest run `--epochs` accepts.
    static let maxEpochs = 1_000_000

    /// The flags a resumed run may take as overrides of its saved settings.
    private var overrides: TrainingOverrides {
        TrainingOverrides(epochs: epochs, trainLimit: trainLimit, batchSize: batch, learningRate: lr,
                          momentum: momentum, weightDecay: weightDecay, optimizerKind: optimizer, seed: seed,
                          validationFraction: validationFraction)
    }

    /// The resumed run, or a fresh one after checking that the network fits in memory.
    private func makeRun(checkpoint: Checkpoint?, architecture: Architecture?,
                         configuration: TrainingConfiguration?) throws -> TrainingRun {
        if let checkpoint, let resume {
            if let model, let architecture, architecture != checkpoint.network.architecture {
                throw UsageError("--model \(model) is not the architecture of the checkpoint --resume \(resume)")
            }
            do { return try TrainingRun(resuming: checkpoint, configuration: configuration) } catch {
                throw UsageError("--resume \(resume): \(error)")
            }
        }
        guard let model, let architecture, let configuration else {
            throw UsageError("--model is required unless --resume is given")
        }
        let sizeFlag = width.map { "--width \($0)" } ?? "--model \(model)"
        do { _ = try architecture.outputShapes() } catch { throw UsageError("\(sizeFlag): \(error)") }
        try memory.checkTraining(architecture, batchSize: configuration.batchSize,
                                 optimizerSlots: configuration.optimizer.kind == "adam" ? 2 : 1, flag: sizeFlag)
        var rng = RandomSource(seed: configuration.seed)
        let network: Network
        do { network = try Network(architecture, rng: &rng) } catch { throw UsageError("--model \(model): \(error)") }
        return try TrainingRun(network: network, configuration: configuration, rng: rng)
    }

    /// The data adapted to the run's network, split into training and validation parts.
    private func split(_ loaded: (source: DataSource, train: ImageDataset, test: ImageDataset), run: TrainingRun,
                       target: String?,
                       overrides: [TrainingOverride]) throws -> Prepared {
        let train = try adapt(loaded.train, to: run.network, dataName: data)
        let test = try adapt(loaded.test, to: run.network, dataName: data)
        var trainPart = train, validationPart: Dataset? = nil
        let fraction = run.configuration.validationFraction
        if fraction > 0 {
            let (t, v) = try DatasetSplit.indices(count: loaded.train.count, validationFraction: fraction,
                                                  seed: run.configuration.seed)
            trainPart = try adapt(loaded.train.subset(t), to: run.network, dataName: data)
            validationPart = try adapt(loaded.train.subset(v), to: run.network, dataName: data)
        }
        let augmentation = run.configuration.augmentation ? loaded.source.defaultAugmentation() : nil
        return Prepared(run: run, train: trainPart, validation: validationPart, test: test, augmentation: augmentation,
                        target: target, epochs: epochs ?? run.configuration.epochs ?? 10, overrides: overrides)
    }

    /// The configuration of a fresh run from the flags and their defaults.
    private func makeConfiguration() throws -> TrainingConfiguration {
        let kind = (optimizer ?? "sgd").lowercased()
        let wd = weightDecay ?? 0
        let optimizerConfiguration: OptimizerConfiguration
        switch kind {
        case "sgd":
            optimizerConfiguration = .sgd(learningRate: lr ?? 0.01, momentum: momentum ?? 0, dampening: 0,
                                          weightDecay: wd, nesterov: false)
        case "adam":
            if momentum != nil { throw UsageError("--momentum applies to sgd only (adam uses beta1 0.9)") }
            optimizerConfiguration = .adam(learningRate: lr ?? 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8,
                                           weightDecay: wd,
                                           decoupledWeightDecay: false)
        default:
            throw UsageError("--optimizer must be sgd or adam, got '\(kind)'")
        }
        do { try optimizerConfiguration.validate() } catch { throw UsageError("--lr/--momentum/--weight-decay: " +
            "\(error)") }
        let batchSize = batch ?? 128
        guard batchSize > 0, batchSize <= Self.maxBatch else {
            throw UsageError("--batch must lie in [1, \(Self.maxBatch)], got \(batchSize)")
        }
        let fraction = validationFraction ?? 0
        guard fraction >= 0, fraction < 1 else { throw UsageError("--validation-fraction must lie in [0, 1), got " +
                                                                  "\(fraction)") }
        let source: DataSource
        do { source = try DataSource(parsing: data) } catch { throw UsageError("--data: \(error)") }
        return TrainingConfiguration(optimizer: optimizerConfiguration, loss: .crossEntropy, batchSize: batchSize,
                                     seed: seed ?? 0,
                                     data: source.description, validationFraction: fraction,
                                     augmentation: source.isCIFAR && !noAugmentation, epochs: epochs ?? 10,
                                     trainLimit: trainLimit)
    }

    /// A resumed run keeps its data: a `--data` naming other data is an error.
    private func checkSameData(_ saved: TrainingConfiguration) throws {
        guard let stored = saved.data, let storedSource = try? DataSource(parsing: stored) else { return }
        let given = try? DataSource(parsing: data)
        let same = given.map { g in
            g == storedSource || (g.description.split(separator: ":").first == stored.split(separator: ":").first
                                  && sameFolder(g.directory, storedSource.directory))
        } ?? false
        if !same { throw UsageError("\(ResumeConflict(flag: "--data", given: data, saved: stored))") }
    }

    /// One line about a finished epoch.
    func progressLine(_ r: EpochReport, total: Int) -> String {
        var line = "epoch \(r.epoch)/\(total): loss \(format4(r.loss))"
        if let a = r.accuracy { line += ", accuracy \(format4(a))" }
        if let v = r.validationAccuracy { line += ", validation accuracy \(format4(v))" }
        return line + ", \(format2(r.seconds)) s"
    }
}
