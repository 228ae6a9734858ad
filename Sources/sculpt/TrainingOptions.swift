import ArgumentParser
import SculptCore
import SculptData
import SculptIO
import SculptNN

/// The flags of a resumable training run, shared by `sculpt train` and `sculpt schedule`.
struct TrainingOptions: ParsableArguments {
    @Option(help: "A built-in model (\(builtinArchitectureNames.joined(separator: ", "))) or an architecture JSON file (not needed with --resume).")
    var model: String?
    @Option(help: "Width multiplier of a built-in model's hidden channels and units (default 1).")
    var width: Double?
    @Option(help: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR.")
    var data: String
    @Option(help: "Total number of epochs of the run (a resumed run trains the remaining ones; default 10, or the resumed run's length).")
    var epochs: Int?
    @Option(help: "Mini-batch size (default 128).")
    var batch: Int?
    @Option(help: "sgd or adam (default sgd).")
    var optimizer: String?
    @Option(help: "Learning rate (default 0.01 for sgd, 0.001 for adam).")
    var lr: Float?
    @Option(help: "SGD momentum (default 0).")
    var momentum: Float?
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (default 0).")
    var weightDecay: Float?
    @Option(help: "Seed of initialization, shuffling, augmentation and the validation split (default 0).")
    var seed: UInt64?
    @Option(help: "Checkpoint folder, rewritten atomically after every epoch (default: the --resume folder).")
    var out: String?
    @Option(help: "A checkpoint folder to continue training from.")
    var resume: String?
    @Option(name: .customLong("validation-fraction"), help: "Fraction of the training set held out for validation (default 0).")
    var validationFraction: Double?
    @Option(name: .customLong("train-limit"), help: "Train on the first N training samples only (default: all).")
    var trainLimit: Int?
    @Flag(name: .customLong("no-augmentation"), help: "Do not augment CIFAR batches (random crop and flip).")
    var noAugmentation = false
    @Flag(help: "Replace an existing checkpoint at --out that is not the --resume folder.")
    var overwrite = false
    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

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
    }

    /// Checks the flags, loads the data and builds (or resumes) the run; nothing is written.
    func prepare() throws -> Prepared {
        if let epochs, epochs < 0 { throw UsageError("--epochs must be >= 0, got \(epochs)") }
        if let threads {
            guard threads > 0 else { throw UsageError("--threads must be positive, got \(threads)") }
            BLAS.setThreads(threads)
        }
        if let trainLimit, trainLimit <= 0 { throw UsageError("--train-limit must be positive, got \(trainLimit)") }
        if width != nil, model == nil { throw UsageError("--width applies to a built-in --model") }
        // Checked before the data loads; a built-in is rebuilt below for the data's shape and classes.
        var architecture = try model.map { try resolveArchitecture($0, width: width) }
        let run: TrainingRun
        var checkpoint: Checkpoint?
        if let resume {
            do { checkpoint = try Checkpoint.load(from: resume) } catch { throw UsageError("--resume \(resume): \(error)") }
        } else if model == nil {
            throw UsageError("--model is required unless --resume is given")
        }
        let freshConfiguration = resume == nil ? try makeConfiguration() : nil
        let target = out ?? resume
        if let target { try checkTarget(target) }

        var loaded = try loadData(data)
        if let trainLimit, trainLimit < loaded.train.count { loaded.train = loaded.train.subset(Array(0..<trainLimit)) }
        if let model, !FilePaths.isFile(model) {
            architecture = try resolveArchitecture(model, width: width,
                                                   dataShape: (loaded.train.inputShape, loaded.train.classCount))
        }
        if let checkpoint, let resume {
            if let model, let architecture, architecture != checkpoint.network.architecture {
                throw UsageError("--model \(model) is not the architecture of the checkpoint --resume \(resume)")
            }
            do { run = try TrainingRun(resuming: checkpoint) } catch { throw UsageError("--resume \(resume): \(error)") }
            try checkUnchanged(run.configuration)
        } else {
            guard let model, let architecture, let configuration = freshConfiguration else {
                throw UsageError("--model is required unless --resume is given")
            }
            var rng = RandomSource(seed: configuration.seed)
            let network: Network
            do { network = try Network(architecture, rng: &rng) } catch { throw UsageError("--model \(model): \(error)") }
            run = try TrainingRun(network: network, configuration: configuration, rng: rng)
        }

        let train = try adapt(loaded.train, to: run.network, dataName: data)
        let test = try adapt(loaded.test, to: run.network, dataName: data)
        var trainPart = train, validationPart: Dataset? = nil
        let fraction = run.configuration.validationFraction
        if fraction > 0 {
            let (t, v) = try DatasetSplit.indices(count: loaded.train.count, validationFraction: fraction, seed: run.configuration.seed)
            trainPart = try adapt(loaded.train.subset(t), to: run.network, dataName: data)
            validationPart = try adapt(loaded.train.subset(v), to: run.network, dataName: data)
        }
        let augmentation = run.configuration.augmentation ? loaded.source.defaultAugmentation() : nil
        return Prepared(run: run, train: trainPart, validation: validationPart, test: test, augmentation: augmentation, target: target)
    }

    /// The configuration of a fresh run from the flags and their defaults.
    private func makeConfiguration() throws -> TrainingConfiguration {
        let kind = (optimizer ?? "sgd").lowercased()
        let wd = weightDecay ?? 0
        let optimizerConfiguration: OptimizerConfiguration
        switch kind {
        case "sgd":
            optimizerConfiguration = .sgd(learningRate: lr ?? 0.01, momentum: momentum ?? 0, dampening: 0, weightDecay: wd, nesterov: false)
        case "adam":
            if momentum != nil { throw UsageError("--momentum applies to sgd only (adam uses beta1 0.9)") }
            optimizerConfiguration = .adam(learningRate: lr ?? 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: wd,
                                           decoupledWeightDecay: false)
        default:
            throw UsageError("--optimizer must be sgd or adam, got '\(kind)'")
        }
        do { try optimizerConfiguration.validate() } catch { throw UsageError("--lr/--momentum/--weight-decay: \(error)") }
        let batchSize = batch ?? 128
        guard batchSize > 0 else { throw UsageError("--batch must be positive, got \(batchSize)") }
        let fraction = validationFraction ?? 0
        guard fraction >= 0, fraction < 1 else { throw UsageError("--validation-fraction must lie in [0, 1), got \(fraction)") }
        let source: DataSource
        do { source = try DataSource(parsing: data) } catch { throw UsageError("--data: \(error)") }
        return TrainingConfiguration(optimizer: optimizerConfiguration, loss: .crossEntropy, batchSize: batchSize, seed: seed ?? 0,
                                     data: source.description, validationFraction: fraction,
                                     augmentation: source.isCIFAR && !noAugmentation)
    }

    /// A resumed run keeps its configuration: flags that contradict it are errors.
    private func checkUnchanged(_ saved: TrainingConfiguration) throws {
        func differs(_ flag: String, _ given: String, _ stored: String) -> UsageError {
            UsageError("\(flag) \(given) differs from the checkpoint's \(stored) (a resumed run keeps its configuration)")
        }
        if let batch, batch != saved.batchSize { throw differs("--batch", "\(batch)", "\(saved.batchSize)") }
        if let seed, seed != saved.seed { throw differs("--seed", "\(seed)", "\(saved.seed)") }
        if let validationFraction, validationFraction != saved.validationFraction {
            throw differs("--validation-fraction", "\(validationFraction)", "\(saved.validationFraction)")
        }
        if let stored = saved.data, let storedSource = try? DataSource(parsing: stored) {
            let given = try? DataSource(parsing: data)
            let same = given.map { g in
                g == storedSource || (g.description.split(separator: ":").first == stored.split(separator: ":").first
                                      && sameFolder(g.directory, storedSource.directory))
            } ?? false
            if !same { throw differs("--data", data, stored) }
        }
        let (kind, storedLR, storedMomentum, storedDecay): (String, Float, Float?, Float)
        switch saved.optimizer {
        case .sgd(let l, let m, _, let w, _): (kind, storedLR, storedMomentum, storedDecay) = ("sgd", l, m, w)
        case .adam(let l, _, _, _, let w, _): (kind, storedLR, storedMomentum, storedDecay) = ("adam", l, nil, w)
        }
        if let optimizer, optimizer.lowercased() != kind { throw differs("--optimizer", optimizer, kind) }
        if let lr, lr != storedLR { throw differs("--lr", "\(lr)", "\(storedLR)") }
        if let momentum, momentum != (storedMomentum ?? -1) { throw differs("--momentum", "\(momentum)", storedMomentum.map { "\($0)" } ?? "none (adam)") }
        if let weightDecay, weightDecay != storedDecay { throw differs("--weight-decay", "\(weightDecay)", "\(storedDecay)") }
    }

    /// Refuses targets whose replacement would destroy something.
    private func checkTarget(_ target: String) throws {
        guard FilePaths.exists(target) else { return }
        guard FilePaths.isDirectory(target) else { throw UsageError("--out \(target) is a file, not a checkpoint folder") }
        if Checkpoint.exists(at: target) {
            let isResumeSource = resume.map { sameFolder($0, target) } ?? false
            if !isResumeSource && !overwrite {
                throw UsageError("--out \(target) already holds a checkpoint; pass --resume \(target) to continue it, --overwrite to replace it, or choose another folder")
            }
        } else if !FilePaths.isEmptyDirectory(target) {
            throw UsageError("--out \(target) is a non-empty folder that is not a checkpoint; choose another folder")
        }
    }

    /// One line about a finished epoch.
    func progressLine(_ r: EpochReport, total: Int? = nil) -> String {
        var line = "epoch \(r.epoch)/\(total ?? epochs ?? 10): loss \(format4(r.loss))"
        if let a = r.accuracy { line += ", accuracy \(format4(a))" }
        if let v = r.validationAccuracy { line += ", validation accuracy \(format4(v))" }
        return line + ", \(format2(r.seconds)) s"
    }
}
