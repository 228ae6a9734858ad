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
    @Option(help: "Checkpoint folder for the trained network (for ensembles: the shared backbone).")
    var out: String?
    @Option(help: "Print the figure data and log-linear fit of this partial-training spec's finished trials.")
    var fit: String?
    @Option(help: "With --fit: the SQLite results database.")
    var db = "sculpt.db"
    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        if let fit { return try printFigure(spec: fit) }
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
            let result = try CheapEnsemble.run(configuration, network: network, train: train1, test: test1, rng: &rng,
                                               progress: { Output.progress($0) })
            Output.endProgress()
            if let out { try Checkpoint(network: network).save(to: out) }
            if json { return try Output.printJSON(result) }
            print("cheap ensemble of \(result.members) members, mode \(result.mode): ensemble accuracy \(format(result.ensembleAccuracy)), "
                  + "mean member accuracy \(format(result.meanMemberAccuracy)), base model \(format(result.baseAccuracy))")
            print("parameters: \(result.learnedParameters) learned (\(result.learnedParametersPerMember) per member), "
                  + "\(result.sharedParameters) shared, \(result.storedParameters) stored; \(format(result.seconds)) s")
            return
        }
        let (train, test) = try loadLimited(data)
        let train1 = try adapt(train, to: network, dataName: data, modelName: "--model \(model)")
        let test1 = try adapt(test, to: network, dataName: data, modelName: "--model \(model)")
        let outcome = try PartialTraining.train(network, plan: plan, settings: settings, train: train1, test: test1, rng: &rng,
                                                progress: { r in Output.progress("epoch \(r.epoch)/\(settings.epochs): loss \(r.loss)") })
        Output.endProgress()
        if let out { try Checkpoint(network: network).save(to: out) }
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

    private func makePlan() throws -> PartialTrainingPlan {
        let parsed: PartialTrainingMode
        do {
            parsed = try PartialTrainingMode(parsing: mode)
            try parsed.validate()
        } catch { throw UsageError("--mode \(mode): \(error)") }
        guard let restPolicy = RestPolicy(rawValue: rest.lowercased()) else { throw UsageError("--rest must be fixed or zeroed, got '\(rest)'") }
        guard let order = SelectionOrder(rawValue: selection.lowercased()) else {
            throw UsageError("--selection must be leading or random, got '\(selection)'")
        }
        if let members, members < 1 { throw UsageError("--members must be at least 1, got \(members)") }
        return PartialTrainingPlan(mode: parsed, rest: restPolicy, learnBatchNorm: !freezeBatchNorm, selection: order, seed: seed)
    }

    /// An architecture file, or a built-in model for the data's image shape and class count.
    private func partialArchitecture(_ model: String, source: DataSource) throws -> Architecture {
        if FilePaths.isFile(model) { return try resolveArchitecture(model) }
        let input = source.isCIFAR ? [3, 32, 32] : [1, 28, 28]
        var classes = 10
        if case .cifar100(_, let labels) = source { classes = labels == .fine ? 100 : 20 }
        do { return try Architecture.builtin(named: model, widthMultiplier: width, inputShape: input, classes: classes) } catch {
            throw UsageError("--model \(model): not an architecture file, and \(error)")
        }
    }

    private func loadLimited(_ text: String) throws -> (ImageDataset, ImageDataset) {
        var (_, train, test) = try loadData(text)
        if trainLimit > 0, trainLimit < train.count { train = train.subset(Array(0..<trainLimit)) }
        if testLimit > 0, testLimit < test.count { test = test.subset(Array(0..<testLimit)) }
        return (train, test)
    }

    private func printFigure(spec: String) throws {
        let experiment = try ExperimentSpec.load(path: spec, catalog: .standard)
        guard experiment.kind == PartialTrainingTrial().name else {
            throw UsageError("--fit \(spec): the spec's kind is \(experiment.kind), not \(PartialTrainingTrial().name)")
        }
        guard FileManager.default.fileExists(atPath: db) else { throw UsageError("--db: no database at \(db)") }
        let figure = PartialTrainingFigure(records: try ResultStore(path: db).trials(runID: experiment.runID))
        if json { return try Output.printJSON(figure) }
        print(figure.markdown, terminator: "")
    }

    private func format(_ x: Double) -> String { String(format: "%.4f", x) }
}
