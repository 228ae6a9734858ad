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
        abstract: "Train only a subset of the weights, the rest fixed at random values or zeroed "
            + "(Rosenfeld & Tsotsos 2018).",
        discussion: """
        Modes: all, filters:P (fraction P of the filters of each layer), count:K (K filters per layer), \
        slice:DIM:P (fraction P along weight dimension 1-4), block:NAME (layers.N, layers.A-B, conv1, fc), \
        batchnorm, classifier. With --members K, trains a cheap ensemble of K members sharing the fixed backbone. \
        With --fit SPEC, prints the figure data and log-linear fit of a partial-training experiment instead.
        """)

    @Option(help: "A built-in model name (mlp:W1,W2,... too) or an architecture JSON file.")
    var model: String?
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "What learns: all, filters:P, count:K, slice:DIM:P, block:NAME, batchnorm or classifier.")
    var mode: String = "all"
    @Option(help: "What the other weights become: fixed (random initial values) or zeroed.")
    var rest: String = "fixed"
    @Option(help: "How learned filters are chosen: leading (the first ones, as the paper) or random (seeded).")
    var selection: String = "leading"
    @Option(name: .customLong("dense-layers"),
            help: ArgumentHelp("Hidden Dense layers in filters/count/slice modes: whole (the paper keeps fully "
                + "connected layers intact) or split (a fraction of their units learns; an MLP needs it)."))
    var denseLayers: String = "whole"
    @Flag(name: .customLong("freeze-batchnorm"),
          help: "Keep BatchNorm scales and shifts fixed too (the paper learns them).")
    var freezeBatchNorm = false
    @Option(help: "Train a cheap ensemble of this many members sharing the fixed backbone.")
    var members: Int?
    @Option(name: .customLong("base-epochs"),
            help: "Ensembles: epochs of the fully learned starting model (default 1).")
    var baseEpochs: Int = 1
    @Option(help: "Epochs (per member for ensembles; default 10, or 1 with --members).")
    var epochs: Int?
    @OptionGroup var optimizerOptions: OptimizerOptions
    @Option(name: .customLong("width"), help: "Width multiplier of a built-in model.")
    var width: Double = 1
    @Option(help: "Seed of initialization, selection and shuffling.")
    var seed: UInt64 = 0
    @Option(help: ArgumentHelp("Checkpoint folder for the trained network (for ensembles: the shared backbone), "
                + "rewritten atomically after every epoch (ensembles: every member) with what --resume needs and the "
                + "run log."))
    var out: String?
    @Option(help: ArgumentHelp("Continue the partial training saved in this folder (by --out) to its planned epochs, "
                + "with its saved model, data, mode and settings (the flags above are not used; --epochs may raise "
                + "the total)."))
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
        guard let data = dataOptions.data else { throw UsageError("--data is required") }
        if let members, members < 1 { throw UsageError("--members must be at least 1, got \(members)") }
        let plan = try Self.plan(mode: mode, rest: rest, selection: selection, freezeBatchNorm: freezeBatchNorm,
                                 seed: seed, denseLayers: denseLayers)
        let settings = try self.settings()
        let source = PartialTrainingSource(model: model, data: data, width: width,
                                           trainLimit: try dataOptions.trainLimit(),
                                           testLimit: try dataOptions.testLimit())
        if let out, FilePaths.exists(out), !(FilePaths.isDirectory(out) && FilePaths.isEmptyDirectory(out)) {
            throw UsageError("--out \(out) already exists and is not an empty folder; choose another")
        }
        let configuration = try members.map { members in
            let c = CheapEnsembleConfiguration(members: members, plan: plan, baseEpochs: baseEpochs, settings: settings)
            do { try c.validate() } catch { throw UsageError("--members/--rest/--base-epochs: \(error)") }
            return c
        }
        var rng = RandomSource(seed: seed)
        let network = try makeNetwork(source, settings: settings, rng: &rng)
        // Validate the whole plan against the network before loading data or training.
        do { _ = try PartialTraining.masks(for: plan, in: network) } catch { throw UsageError("--mode \(mode): " +
            "\(error)") }
        let (train, test) = try loadRunData(source, network: network, modelName: "--model \(model)")
        if let configuration {
            let ensemble = CheapEnsembleRunState.Ensemble(mode: mode, rest: rest, selection: selection,
                                                          freezeBatchNorm: freezeBatchNorm, seed: seed,
                                                          members: configuration.members, baseEpochs: baseEpochs,
                                                          settings: settings, denseLayers: denseLayers)
            let state = CheapEnsembleRunState(source: source, ensemble: ensemble)
            return try runEnsemble(state, configuration: configuration, network: network, train: train, test: test,
                                   rng: rng, initialWeights: InitialWeights(of: network), saved: nil, folder: out)
        }
        // Epoch by epoch (checkpointed after each with --out, so an interrupted run resumes exactly).
        let summary = try PartialTraining.apply(plan, to: network)
        let state = PartialTrainingRunState(source: source, summary: summary, settings: settings)
        let run = try TrainingRun(network: network, configuration: state.trainingConfiguration(seed: seed), rng: rng)
        try report(try self.train(state, run: run, train: train, test: test, folder: out))
    }

    /// The network the flags describe, checked against the memory limit.
    private func makeNetwork(_ source: PartialTrainingSource, settings: PartialTrainingSettings,
                             rng: inout RandomSource) throws -> Network {
        let dataSource: DataSource
        do { dataSource = try DataSource(parsing: source.data) } catch { throw UsageError("--data \(source.data): " +
            "\(error)") }
        let architecture = try partialArchitecture(source.model, source: dataSource)
        do { _ = try architecture.outputShapes() } catch { throw UsageError("--model \(source.model): \(error)") }
        // Each member keeps its learned values (at most a copy of the parameters) beside the backbone.
        let flag = members.map { "--members \($0)" } ?? (width != 1 ? "--width \(width)" : "--model \(source.model)")
        try memory.checkTraining(architecture, batchSize: settings.batchSize, optimizerSlots: 1, flag: flag,
                                 copies: 1 + Double(members ?? 0) / 3)
        do { return try Network(architecture, rng: &rng) } catch { throw UsageError("--model \(source.model): " +
            "\(error)") }
    }

    /// The run's data, cut to its limits and viewed in the network's input shape.
    private func loadRunData(_ source: PartialTrainingSource, network: Network, modelName: String) throws
        -> (train: Dataset, test: Dataset) {
        let (_, train, test) = try loadData(source.data)
        return (try adapt(train.limited(to: source.trainLimit), to: network, dataName: source.data,
                          modelName: modelName),
                try adapt(test.limited(to: source.testLimit), to: network, dataName: source.data, modelName: modelName))
    }

    /// Trains a partial-training run to its epochs, saving it to `folder` after each (with its run log).
    private func train(_ state: PartialTrainingRunState, run: TrainingRun, train: Dataset, test: Dataset,
                       folder: String?) throws -> PartialTrainingOutcome {
        let log = RunLog(folder: folder), epochs = state.settings.epochs
        let outcome = try state.train(run, train: train, test: test, folder: folder) { report in
            Output.milestone("epoch \(report.epoch)/\(epochs): loss \(report.loss)")
            try log.record(report, network: run.network)
        }
        Output.endProgress()
        return outcome
    }

    /// Trains (or finishes) a cheap ensemble, saving it to `folder` after every step (with its run log).
    private func runEnsemble(_ state: CheapEnsembleRunState, configuration: CheapEnsembleConfiguration,
                             network: Network,
                             train: Dataset, test: Dataset, rng: RandomSource, initialWeights: InitialWeights?,
                             saved: CheapEnsembleProgress?, folder: String?) throws {
        var rng = rng
        let log = RunLog(folder: folder)
        let result = try CheapEnsemble.run(
            configuration, network: network, train: train, test: test, rng: &rng,
            progress: { Output.milestone($0) },
            resumingFrom: saved, epochDone: { series, report in try? log.record(report, series: series) },
            afterStep: { progress in
                guard let folder else { return }
                try state.save(progress, network: network, initialWeights: initialWeights, to: folder)
                try log.flush()
            })
        Output.endProgress()
        try reportEnsemble(result)
    }

    /// `--resume DIR`: continues a run that `--out` saved.
    private func resumeRun(_ folder: String) throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: folder) } catch { throw UsageError("--resume \(folder): \(error)") }
        let ensemble: (state: CheapEnsembleRunState, progress: CheapEnsembleProgress)?
        do { ensemble = try CheapEnsembleRunState.load(from: folder, network: checkpoint.network) } catch {
            throw UsageError("--resume \(error)")
        }
        if let ensemble {
            return try resumeEnsemble(ensemble.state, progress: ensemble.progress, checkpoint: checkpoint,
                                      folder: folder)
        }
        let saved: (state: PartialTrainingRunState, run: TrainingRun)?
        do { saved = try PartialTrainingRunState.load(from: folder) } catch { throw UsageError("--resume \(error)") }
        guard let saved else {
            let file = PartialTrainingRunState.file
            throw UsageError("--resume \(RecipeRunError.notARun(folder: folder, recipe: "partial", file: file))")
        }
        var state = saved.state
        let run = saved.run
        if let epochs {
            guard epochs >= run.completedEpochs else {
                throw UsageError("--epochs \(epochs): the saved run has already trained \(run.completedEpochs) epochs")
            }
            state.settings.epochs = epochs
        }
        let (train, test) = try loadRunData(state.source, network: run.network, modelName: "--resume \(folder)")
        if !json { print("resuming after epoch \(run.completedEpochs) of \(state.settings.epochs)") }
        try report(try self.train(state, run: run, train: train, test: test, folder: out ?? folder))
    }

    /// `--resume DIR` of a cheap ensemble: trains the members still missing.
    private func resumeEnsemble(_ state: CheapEnsembleRunState, progress: CheapEnsembleProgress, checkpoint: Checkpoint,
                                folder: String) throws {
        var state = state
        if let members {
            guard members >= progress.members.count else {
                throw UsageError("--members \(members): the saved ensemble already has \(progress.members.count) " +
                                 "members")
            }
            state.members = members
        }
        let configuration: CheapEnsembleConfiguration
        do { configuration = try state.configuration() } catch { throw UsageError("--resume \(folder): \(error)") }
        let network = checkpoint.network
        let (train, test) = try loadRunData(state.source, network: network, modelName: "--resume \(folder)")
        if !json { print("resuming with \(progress.members.count) of \(state.members) members trained") }
        do {
            try runEnsemble(state, configuration: configuration, network: network, train: train, test: test,
                            rng: progress.random, initialWeights: checkpoint.initialWeights, saved: progress,
                            folder: out ?? folder)
        } catch let e as PartialTrainingError { throw UsageError("--resume \(folder): \(e)") }
    }

    private func report(_ outcome: PartialTrainingOutcome) throws {
        if json { return try Output.printJSON(outcome) }
        let s = outcome.summary
        print("mode \(s.mode), rest \(s.rest.rawValue): test accuracy \(format(Double(outcome.testAccuracy))), "
              + "\(s.learnedParameters) of \(s.totalParameters) parameters learned " +
                "(\(format(100 * s.learnedFraction))%), "
              + "\(outcome.epochs) epochs in \(format(outcome.seconds)) s")
        for layer in s.layers {
            let what: String
            switch layer.dimension {
            case nil: what = "none"
            case 0?: what = "all"
            case let d?: what = "\(layer.indices.count) of \(layer.shape[d - 1]) along dimension \(d)"
            }
            print("  \(layer.layer) \(layer.kind.rawValue) \(layer.shape): \(what), " +
                  "\(layer.learnedParameters)/\(layer.parameters)")
        }
    }

    private func reportEnsemble(_ result: CheapEnsembleResult) throws {
        if json { return try Output.printJSON(result) }
        print("cheap ensemble of \(result.members) members, mode \(result.mode): ensemble accuracy " +
              "\(format(result.ensembleAccuracy)), "
              + "mean member accuracy \(format(result.meanMemberAccuracy)), base model \(format(result.baseAccuracy))")
        print("parameters: \(result.learnedParameters) learned (\(result.learnedParametersPerMember) per member), "
              + "\(result.sharedParameters) shared, \(result.storedParameters) stored; \(format(result.seconds)) s")
    }

    /// The training settings the flags describe, read as the partial trial kinds read theirs.
    private func settings() throws -> PartialTrainingSettings {
        let o = optimizerOptions
        var config: [String: JSONValue] = [:]
        config["epochs"] = epochs.map { .number(Double($0)) }
        config["batchSize"] = o.batch.map { .number(Double($0)) }
        config["learningRate"] = o.lr.map { .number(Double($0)) }
        config["momentum"] = o.momentum.map { .number(Double($0)) }
        config["weightDecay"] = o.weightDecay.map { .number(Double($0)) }
        let flags = ["epochs": "--epochs", "batchSize": "--batch", "learningRate": "--lr", "momentum": "--momentum",
                     "weightDecay": "--weight-decay"]
        do {
            return try PartialTrainingSettings(config: .object(config), defaultEpochs: members == nil ? 10 : 1)
        } catch let e as ConfigError { throw e.usage(flags) }
    }

    /// The plan the flags describe (`PartialTrainingPlan(mode:rest:selection:...)`, the reader
    /// the partial trial kinds share).
    static func plan(mode: String, rest: String, selection: String, freezeBatchNorm: Bool,
                     seed: UInt64, denseLayers: String) throws -> PartialTrainingPlan {
        do {
            return try PartialTrainingPlan(mode: mode, rest: rest, selection: selection,
                                           learnBatchNorm: !freezeBatchNorm,
                                           seed: seed, denseLayers: denseLayers)
        } catch let e as PartialTrainingError {
            if case .unknownChoice = e { throw UsageError("--\(e)") }
            throw UsageError("--mode \(mode): \(e)")
        }
    }

    /// An architecture file, or a built-in model for the data's image shape and class count.
    private func partialArchitecture(_ model: String, source: DataSource) throws -> Architecture {
        try checkWidth(width)
        if FilePaths.isFile(model) { return try resolveArchitecture(model) }
        do { return try Architecture.builtin(named: model, widthMultiplier: width, inputShape: source.sampleShape,
                                             classes: source.classCount) } catch {
            throw UsageError("--model \(model): not an architecture file, and \(error)")
        }
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
