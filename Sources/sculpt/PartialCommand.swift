import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptExperiments
import SculptIO
import SculptNN
import SculptRecipes

/// `sculpt partial`: train only part of a network's weights (or a cheap ensemble of such
/// networks), or print the accuracy-vs-fraction figure and its log-linear fit from a finished
/// partial-training experiment.
struct PartialCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partial",
        abstract: "Train only a subset of the weights, the rest fixed at random values or zeroed (Rosenfeld & Tsotsos 2018).",
        discussion: """
        Modes: all, filters:P (fraction P of the filters of each layer), count:K (K filters per layer), \
        slice:DIM:P (fraction P along weight dimension 1-4), block:NAME (layers.N, layers.A-B, conv1, fc), \
        batchnorm, classifier. With --members K, trains a cheap ensemble of K members sharing the fixed backbone. \
        With --fit SPEC, prints the figure data and log-linear fit of a partial-training experiment instead.
        """)

    @Option(help: "A built-in model name or an architecture JSON file.")
    var model: String?
    @Option(help: "fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR.")
    var data: String?
    @Option(help: "What learns: all, filters:P, count:K, slice:DIM:P, block:NAME, batchnorm or classifier.")
    var mode: String = "all"
    @Option(help: "What the other weights become: fixed (random initial values) or zeroed.")
    var rest: String = "fixed"
    @Option(help: "How learned filters are chosen: leading (the first ones, as the paper) or random (seeded).")
    var selection: String = "leading"
    @Flag(name: .customLong("freeze-batchnorm"), help: "Keep BatchNorm scales and shifts fixed too (the paper learns them).")
    var freezeBatchNorm = false
    @Option(help: "Train a cheap ensemble of this many members sharing the fixed backbone.")
    var members: Int?
    @Option(name: .customLong("base-epochs"), help: "Ensembles: epochs of the fully learned starting model (default 1).")
    var baseEpochs: Int = 1
    @Option(help: "Epochs (per member for ensembles; default 10, or 1 with --members).")
    var epochs: Int?
    @Option(help: "Mini-batch size.")
    var batch: Int = 128
    @Option(help: "SGD learning rate.")
    var lr: Float = 0.01
    @Option(help: "SGD momentum.")
    var momentum: Float = 0.9
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay.")
    var weightDecay: Float = 5e-4
    @Option(name: .customLong("width"), help: "Width multiplier of a built-in model.")
    var width: Double = 1
    @Option(name: .customLong("train-limit"), help: "Train on the first N training samples only (0 = all).")
    var trainLimit: Int = 0
    @Option(name: .customLong("test-limit"), help: "Evaluate on the first N test samples only (0 = all).")
    var testLimit: Int = 0
    @Option(help: "Seed of initialization, selection and shuffling.")
    var seed: UInt64 = 0
    @Option(help: "Checkpoint folder for the trained network (for ensembles: the shared backbone). Without --members it is rewritten atomically after every epoch with what --resume needs (masks, optimizer state, partial.json).")
    var out: String?
    @Option(help: "Continue the partial training saved in this folder (by --out) to its planned epochs, with its saved model, data, mode and settings (the flags above are not used; --epochs may raise the total).")
    var resume: String?
    @Option(help: "Print the figure data and log-linear fit of this partial-training spec's finished trials.")
    var fit: String?
    @Option(help: "With --fit: the SQLite results database.")
    var db = "sculpt.db"
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded(outputs: [out]) { try execute() } }

    private func execute() throws {
        if let fit { return try printFigure(spec: fit) }
        if let resume { return try resumeRun(resume) }
        guard let model else { throw UsageError("--model is required (a built-in name or an architecture JSON file)") }
        guard let data else { throw UsageError("--data is required") }
        let plan = try makePlan()
        let settings = PartialTrainingSettings(epochs: epochs ?? (members == nil ? 10 : 1), batchSize: batch, learningRate: lr,
                                               momentum: momentum, weightDecay: weightDecay)
        do { try settings.validate() } catch { throw UsageError("--epochs/--batch/--lr/--momentum/--weight-decay: \(error)") }
        guard trainLimit >= 0 else { throw UsageError("--train-limit must be >= 0, got \(trainLimit)") }
        guard testLimit >= 0 else { throw UsageError("--test-limit must be >= 0, got \(testLimit)") }
        if let out, FilePaths.exists(out), !(FilePaths.isDirectory(out) && FilePaths.isEmptyDirectory(out)) {
            throw UsageError("--out \(out) already exists and is not an empty folder; choose another")
        }
        let source: DataSource
        do { source = try DataSource(parsing: data) } catch { throw UsageError("--data \(data): \(error)") }
        let architecture = try partialArchitecture(model, source: source)
        do { _ = try architecture.outputShapes() } catch { throw UsageError("--model \(model): \(error)") }
        if let members {
            do { try CheapEnsembleConfiguration(members: members, plan: plan, baseEpochs: baseEpochs, settings: settings).validate() } catch {
                throw UsageError("--members/--rest/--base-epochs: \(error)")
            }
        }
        // Each member keeps its learned values (at most a copy of the parameters) beside the backbone.
        try memory.checkTraining(architecture, batchSize: batch, optimizerSlots: 1,
                                 flag: members.map { "--members \($0)" } ?? (width != 1 ? "--width \(width)" : "--model \(model)"),
                                 copies: 1 + Double(members ?? 0) / 3)
        var rng = RandomSource(seed: seed)
        let network: Network
        do { network = try Network(architecture, rng: &rng) } catch { throw UsageError("--model \(model): \(error)") }
        // Validate the whole plan against the network before loading data or training.
        do { _ = try PartialTraining.masks(for: plan, in: network) } catch { throw UsageError("--mode \(mode): \(error)") }
        if let members {
            let configuration = CheapEnsembleConfiguration(members: members, plan: plan, baseEpochs: baseEpochs, settings: settings)
            do { try configuration.validate() } catch { throw UsageError("--members/--rest/--base-epochs: \(error)") }
            let (train, test) = try loadLimited(data)
            let train1 = try adapt(train, to: network, dataName: data, modelName: "--model \(model)")
            let test1 = try adapt(test, to: network, dataName: data, modelName: "--model \(model)")
            let state = EnsembleRunState(model: model, data: data, width: width, trainLimit: trainLimit, testLimit: testLimit,
                                         mode: mode, rest: rest, selection: selection, freezeBatchNorm: freezeBatchNorm, seed: seed,
                                         members: members, baseEpochs: baseEpochs, settings: settings)
            let result = try CheapEnsemble.run(configuration, network: network, train: train1, test: test1, rng: &rng,
                                               progress: { Output.progress($0) },
                                               afterStep: { progress in if let out { try state.save(progress, network: network, to: out) } })
            Output.endProgress()
            return try reportEnsemble(result)
        }
        let (train, test) = try loadLimited(data)
        let train1 = try adapt(train, to: network, dataName: data, modelName: "--model \(model)")
        let test1 = try adapt(test, to: network, dataName: data, modelName: "--model \(model)")
        // Epoch by epoch (checkpointed after each with --out, so an interrupted run resumes exactly).
        let summary = try PartialTraining.apply(plan, to: network)
        let state = PartialRunState(model: model, data: data, width: width, trainLimit: trainLimit, testLimit: testLimit,
                                    summary: summary, settings: settings)
        let run = try TrainingRun(network: network, configuration: state.trainingConfiguration(seed: seed), rng: rng)
        let outcome = try state.train(run, train: train1, test: test1, out: out)
        try report(outcome)
    }

    /// `--resume DIR`: continues a run that `--out` saved.
    private func resumeRun(_ folder: String) throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: folder) } catch { throw UsageError("--resume \(folder): \(error)") }
        if let saved = try EnsembleRunState.load(from: folder, network: checkpoint.network) {
            return try resumeEnsemble(saved.state, progress: saved.progress, network: checkpoint.network, folder: folder)
        }
        guard let bytes = try Checkpoint.attachment(named: PartialRunState.file, in: folder) else {
            throw UsageError("--resume \(folder): not a partial-training folder (no \(PartialRunState.file)); sculpt partial --out writes it")
        }
        var state: PartialRunState
        do { state = try JSONDecoder().decode(PartialRunState.self, from: Data(bytes)) } catch {
            throw UsageError("--resume \(folder)/\(PartialRunState.file): malformed: \(error)")
        }
        let run: TrainingRun
        do { run = try TrainingRun(resuming: checkpoint) } catch { throw UsageError("--resume \(folder): \(error)") }
        if let epochs {
            guard epochs >= run.completedEpochs else {
                throw UsageError("--epochs \(epochs): the saved run has already trained \(run.completedEpochs) epochs")
            }
            state.settings.epochs = epochs
        }
        var (_, train, test) = try loadData(state.data)
        train = train.limited(to: state.trainLimit)
        test = test.limited(to: state.testLimit)
        let train1 = try adapt(train, to: run.network, dataName: state.data, modelName: "--resume \(folder)")
        let test1 = try adapt(test, to: run.network, dataName: state.data, modelName: "--resume \(folder)")
        if !json { print("resuming after epoch \(run.completedEpochs) of \(state.settings.epochs)") }
        try report(try state.train(run, train: train1, test: test1, out: out ?? folder))
    }

    /// `--resume DIR` of a cheap ensemble: trains the members still missing.
    private func resumeEnsemble(_ state: EnsembleRunState, progress: CheapEnsembleProgress, network: Network, folder: String) throws {
        var state = state
        if let members {
            guard members >= progress.members.count else {
                throw UsageError("--members \(members): the saved ensemble already has \(progress.members.count) members")
            }
            state.members = members
        }
        let plan = try Self.plan(mode: state.mode, rest: state.rest, selection: state.selection,
                                 freezeBatchNorm: state.freezeBatchNorm, seed: state.seed)
        let configuration = CheapEnsembleConfiguration(members: state.members, plan: plan, baseEpochs: state.baseEpochs,
                                                       settings: state.settings)
        var (_, train, test) = try loadData(state.data)
        train = train.limited(to: state.trainLimit)
        test = test.limited(to: state.testLimit)
        let train1 = try adapt(train, to: network, dataName: state.data, modelName: "--resume \(folder)")
        let test1 = try adapt(test, to: network, dataName: state.data, modelName: "--resume \(folder)")
        if !json { print("resuming with \(progress.members.count) of \(state.members) members trained") }
        var rng = progress.random
        let target = out ?? folder
        let result: CheapEnsembleResult
        do {
            result = try CheapEnsemble.run(configuration, network: network, train: train1, test: test1, rng: &rng,
                                           progress: { Output.progress($0) }, resumingFrom: progress,
                                           afterStep: { try state.save($0, network: network, to: target) })
        } catch let e as PartialTrainingError { throw UsageError("--resume \(folder): \(e)") }
        Output.endProgress()
        try reportEnsemble(result)
    }

    private func report(_ outcome: PartialTrainingOutcome) throws {
        if json { return try Output.printJSON(outcome) }
        let s = outcome.summary
        print("mode \(s.mode), rest \(s.rest.rawValue): test accuracy \(format(Double(outcome.testAccuracy))), "
              + "\(s.learnedParameters) of \(s.totalParameters) parameters learned (\(format(100 * s.learnedFraction))%), "
              + "\(outcome.epochs) epochs in \(format(outcome.seconds)) s")
        for layer in s.layers {
            let what: String
            switch layer.dimension {
            case nil: what = "none"
            case 0?: what = "all"
            case let d?: what = "\(layer.indices.count) of \(layer.shape[d - 1]) along dimension \(d)"
            }
            print("  \(layer.layer) \(layer.kind.rawValue) \(layer.shape): \(what), \(layer.learnedParameters)/\(layer.parameters)")
        }
    }

    private func reportEnsemble(_ result: CheapEnsembleResult) throws {
        if json { return try Output.printJSON(result) }
        print("cheap ensemble of \(result.members) members, mode \(result.mode): ensemble accuracy \(format(result.ensembleAccuracy)), "
              + "mean member accuracy \(format(result.meanMemberAccuracy)), base model \(format(result.baseAccuracy))")
        print("parameters: \(result.learnedParameters) learned (\(result.learnedParametersPerMember) per member), "
              + "\(result.sharedParameters) shared, \(result.storedParameters) stored; \(format(result.seconds)) s")
    }

    private func makePlan() throws -> PartialTrainingPlan {
        if let members, members < 1 { throw UsageError("--members must be at least 1, got \(members)") }
        return try Self.plan(mode: mode, rest: rest, selection: selection, freezeBatchNorm: freezeBatchNorm, seed: seed)
    }

    /// The plan the flags describe (also how a resumed ensemble rebuilds its plan).
    static func plan(mode: String, rest: String, selection: String, freezeBatchNorm: Bool, seed: UInt64) throws -> PartialTrainingPlan {
        let parsed: PartialTrainingMode
        do {
            parsed = try PartialTrainingMode(parsing: mode)
            try parsed.validate()
        } catch { throw UsageError("--mode \(mode): \(error)") }
        guard let restPolicy = RestPolicy(rawValue: rest.lowercased()) else { throw UsageError("--rest must be fixed or zeroed, got '\(rest)'") }
        guard let order = SelectionOrder(rawValue: selection.lowercased()) else {
            throw UsageError("--selection must be leading or random, got '\(selection)'")
        }
        return PartialTrainingPlan(mode: parsed, rest: restPolicy, learnBatchNorm: !freezeBatchNorm, selection: order, seed: seed)
    }

    /// An architecture file, or a built-in model for the data's image shape and class count.
    private func partialArchitecture(_ model: String, source: DataSource) throws -> Architecture {
        try checkWidth(width)
        if FilePaths.isFile(model) { return try resolveArchitecture(model) }
        do { return try Architecture.builtin(named: model, widthMultiplier: width, inputShape: source.sampleShape, classes: source.classCount) } catch {
            throw UsageError("--model \(model): not an architecture file, and \(error)")
        }
    }

    private func loadLimited(_ text: String) throws -> (ImageDataset, ImageDataset) {
        var (_, train, test) = try loadData(text)
        train = train.limited(to: trainLimit)
        test = test.limited(to: testLimit)
        return (train, test)
    }

    private func printFigure(spec: String) throws {
        let experiment = try ExperimentSpec.load(path: spec, catalog: .standard)
        guard experiment.kind == PartialTrainingTrial().name else {
            throw UsageError("--fit \(spec): the spec's kind is \(experiment.kind), not \(PartialTrainingTrial().name)")
        }
        guard FileManager.default.fileExists(atPath: db) else { throw UsageError("--db: no database at \(db)") }
        let records: [TrialRecord]
        do { records = try ResultStore(path: db, readOnly: true).trials(runID: experiment.runID) } catch {
            throw UsageError("--db \(db): \(error)")
        }
        let figure = PartialTrainingFigure(records: records)
        if json { return try Output.printJSON(figure) }
        print(figure.markdown, terminator: "")
    }

    private func format(_ x: Double) -> String { String(format: "%.4f", x) }
}

/// What `sculpt partial --out` keeps beside the checkpoint (`partial.json`) so that `--resume`
/// can finish the run: where the data came from and what the plan selected.
struct PartialRunState: Codable {
    static let file = "partial.json"

    var model: String
    var data: String
    var width: Double
    var trainLimit: Int
    var testLimit: Int
    var summary: PartialTrainingSummary
    var settings: PartialTrainingSettings

    /// The resumable run's configuration: the settings' momentum SGD and cross-entropy.
    func trainingConfiguration(seed: UInt64) -> TrainingConfiguration {
        TrainingConfiguration(optimizer: .sgd(learningRate: settings.learningRate, momentum: settings.momentum, dampening: 0,
                                              weightDecay: settings.weightDecay, nesterov: false),
                              loss: .crossEntropy, batchSize: settings.batchSize, seed: seed, data: data)
    }

    /// Trains `run` to `settings.epochs`, saving the checkpoint (with this state attached) to
    /// `out` after every epoch, then evaluates on `test`. Each epoch shuffles the identity order
    /// (`TrainingRun`), so a run saved and resumed equals one trained straight through.
    func train(_ run: TrainingRun, train: Dataset, test: Dataset, out: String?) throws -> PartialTrainingOutcome {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes = [UInt8](try encoder.encode(self))
        func save() throws {
            guard let out else { return }
            var checkpoint = run.checkpoint()
            checkpoint.attachments = [(Self.file, bytes)]
            try checkpoint.save(to: out)
        }
        let start = Clock.now()
        if run.completedEpochs == 0 { try save() }
        let log = RunLog(folder: out)
        while run.completedEpochs < settings.epochs {
            let r = try run.runEpoch(train: train)
            Output.progress("epoch \(r.epoch)/\(settings.epochs): loss \(r.loss)")
            try save()
            try log.record(r, network: run.network)
        }
        Output.endProgress()
        let seconds = Clock.now() - start
        let (loss, accuracy) = run.trainer.evaluate(test)
        return PartialTrainingOutcome(summary: summary, testAccuracy: accuracy ?? 0, testLoss: loss,
                                      trainLoss: run.reports.last?.loss, epochs: run.completedEpochs, seconds: seconds)
    }
}

/// What `sculpt partial --members K --out DIR` keeps beside the backbone checkpoint, rewritten
/// after the base model and after every member: the run's flags and position (`ensemble.json`)
/// and each member's learned values and running statistics (`ensemble.safetensors`; a member's
/// parameter tensor holds NaN where the member did not learn, the backbone's value applies there).
struct EnsembleRunState: Codable {
    static let stateFile = "ensemble.json"
    static let tensorsFile = "ensemble.safetensors"

    var model: String
    var data: String
    var width: Double
    var trainLimit: Int
    var testLimit: Int
    var mode: String
    var rest: String
    var selection: String
    var freezeBatchNorm: Bool
    var seed: UInt64
    var members: Int
    var baseEpochs: Int
    var settings: PartialTrainingSettings
    var baseAccuracy: Double? = nil
    var random: RandomSource? = nil
    var learnedParametersPerMember: Int? = nil
    var trainedMembers: Int? = nil

    /// Writes the backbone `network` as a checkpoint with `progress` attached.
    func save(_ progress: CheapEnsembleProgress, network: Network, to directory: String) throws {
        var state = self
        state.baseAccuracy = progress.baseAccuracy
        state.random = progress.random
        state.learnedParametersPerMember = progress.learnedParametersPerMember
        state.trainedMembers = progress.members.count
        let parameters = network.parameters
        var tensors: [(name: String, tensor: Tensor)] = []
        for (m, member) in progress.members.enumerated() {
            for entry in member.entries {
                let t = Tensor(zeros: parameters[entry.parameter].value.shape)
                for i in 0..<t.count { t.data[i] = .nan }
                for (i, v) in zip(entry.indices, entry.values) { t.data[i] = v }
                tensors.append(("member.\(m).parameter.\(entry.parameter)", t))
            }
            for (b, buffer) in member.buffers.enumerated() { tensors.append(("member.\(m).buffer.\(b)", buffer)) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Checkpoint(network: network, attachments: [(Self.stateFile, [UInt8](try encoder.encode(state))),
                                                       (Self.tensorsFile, Safetensors(tensors: tensors, metadata: ["producer": "sculpt"]).encoded())])
            .save(to: directory)
    }

    /// Reads a folder written by `save`; nil when it holds no ensemble.
    static func load(from directory: String, network: Network) throws -> (state: EnsembleRunState, progress: CheapEnsembleProgress)? {
        guard let stateBytes = try Checkpoint.attachment(named: stateFile, in: directory) else { return nil }
        guard let tensorBytes = try Checkpoint.attachment(named: tensorsFile, in: directory) else {
            throw UsageError("--resume \(directory): \(tensorsFile) is missing")
        }
        let state: EnsembleRunState
        do { state = try JSONDecoder().decode(EnsembleRunState.self, from: Data(stateBytes)) } catch {
            throw UsageError("--resume \(directory)/\(stateFile): malformed: \(error)")
        }
        guard let baseAccuracy = state.baseAccuracy, let random = state.random, let trained = state.trainedMembers,
              let perMember = state.learnedParametersPerMember else {
            throw UsageError("--resume \(directory)/\(stateFile): no finished step to resume after")
        }
        let tensors: Safetensors
        do { tensors = try Safetensors.decode(tensorBytes, path: directory + "/" + tensorsFile) } catch {
            throw UsageError("--resume \(directory): \(error)")
        }
        let parameterCount = network.parameters.count, bufferCount = network.namedBuffers.count
        var members: [CheapEnsembleMember] = []
        for m in 0..<trained {
            var entries: [CheapEnsembleMember.Entry] = []
            for p in 0..<parameterCount {
                guard let t = tensors["member.\(m).parameter.\(p)"] else { continue }
                var indices: [Int] = [], values: [Float] = []
                for i in 0..<t.count where !t.data[i].isNaN {
                    indices.append(i)
                    values.append(t.data[i])
                }
                entries.append(.init(parameter: p, indices: indices, values: values))
            }
            var buffers: [Tensor] = []
            for b in 0..<bufferCount {
                guard let t = tensors["member.\(m).buffer.\(b)"] else {
                    throw UsageError("--resume \(directory)/\(tensorsFile): member \(m) has no tensor member.\(m).buffer.\(b)")
                }
                buffers.append(t)
            }
            members.append(CheapEnsembleMember(entries: entries, buffers: buffers))
        }
        return (state, CheapEnsembleProgress(baseAccuracy: baseAccuracy, backbone: network.snapshot(), members: members,
                                             random: random, learnedParametersPerMember: perMember))
    }
}
