import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery

/// Partial restart of convolutional filters (Han & Zhang, "Partial Restart of Neural Network",
/// Algorithm 1): train to convergence, score every filter with the first-order Taylor criterion
/// (Molchanov et al. 2017), reset the useless ones, fine-tune, and repeat until the useless set
/// repeats or the restart count is reached.
///
/// Round 0 trains the network from its initialization: `epochsHigh` epochs of SGD at
/// `learningRate`, then `epochsLow` at `lowLearningRate`, momentum kept across the switch; with
/// `patience`, each phase stops early on a held-out validation part (`validationFraction`) and
/// keeps its best epoch's weights, so the base network has converged before any restart. Each
/// restart round r >= 1 scores the filters of the chosen Conv2D layers on the first
/// `measureSamples` training samples (eval mode), takes each layer's lowest scores
/// (`UselessFilterRule`), stops when that set equals the previous round's (from round 2 on),
/// else resets those filters (kernel, bias, BatchNorm entries; outgoing weights per
/// `PartialRestartOutgoing`) and fine-tunes `restartEpochsHigh` + `restartEpochsLow` epochs with a
/// fresh optimizer (no momentum carried over a reset).
///
/// The control is the equal-budget baseline: a copy of the round-0 network fine-tuned round by
/// round on the same schedule, with the same data order, only without the reset. Random streams,
/// all split from the seed: initialization, the base data order, then per round one data order
/// (shared by the restarted network and the control) and one stream of reset draws. With one
/// BLAS thread a seed gives the same rounds bit for bit, and so does a run resumed from a
/// `PartialRestartStore`.
public struct PartialRestart {
    /// The protocol.
    public var configuration: PartialRestartConfiguration
    /// Called after each round.
    public var roundProgress: ((PartialRestartRound) -> Void)?
    /// Called after each epoch: round, whether it is the control, the report (epochs counted
    /// across the high and low learning-rate phases).
    public var epochProgress: ((_ round: Int, _ control: Bool, _ report: EpochReport) -> Void)?

    public init(configuration: PartialRestartConfiguration = .init()) {
        self.configuration = configuration
    }

    // MARK: - Checks

    /// The Conv2D layers whose filters are scored; throws when a named layer is unknown or not a
    /// Conv2D, when the network has none, or when a useless count exceeds a layer's width.
    public func check(_ network: Network) throws -> [LayerPath] {
        let c = configuration
        try c.validate()
        var paths: [LayerPath] = []
        if let names = c.layers {
            for name in names {
                let path: LayerPath
                do { path = try LayerPath(parsing: name) } catch {
                    throw PartialRestartError.unknownLayer("'\(name)' is not a layer path (layers.N or N)")
                }
                let layer: Layer
                do { layer = try network.layer(at: path) } catch {
                    throw PartialRestartError.unknownLayer("'\(name)': \(error)")
                }
                guard layer is Conv2D else {
                    throw PartialRestartError.unknownLayer("'\(name)' is a \(type(of: layer)), not a Conv2D layer " +
                                                           "with filters")
                }
                guard !paths.contains(path) else { throw PartialRestartError.invalidConfiguration("layer \(path) is " +
                    "named twice") }
                paths.append(path)
            }
        } else {
            paths = network.layers.indices.filter { network.layers[$0] is Conv2D }.map { LayerPath($0) }
            guard !paths.isEmpty else { throw PartialRestartError.unknownLayer("the network has no Conv2D layer " +
                "whose filters could restart") }
        }
        for path in paths {
            let group: UnitGroup
            do { group = try UnitGroup(network: network, layer: path) } catch {
                throw PartialRestartError.unknownLayer("\(path): \(error)")
            }
            if case .count(let n) = c.useless, n > group.count {
                throw PartialRestartError.countTooLarge(layer: path.description, count: n, width: group.count)
            }
        }
        return paths
    }

    /// Throws when `data` does not fit `network`.
    func check(data: Dataset, name: String, network: Network) throws {
        guard data.count > 0 else { throw PartialRestartError.dataMismatch("the \(name) set is empty") }
        guard data.inputShape == network.inputShape else {
            throw PartialRestartError.dataMismatch("the \(name) samples have shape \(data.inputShape) but the " +
                                                   "network takes \(network.inputShape)")
        }
        guard let classes = data.classCount, network.outputShape == [classes] else {
            let classes = data.classCount.map { "\($0) classes" } ?? "no class labels"
            throw PartialRestartError.dataMismatch("the network outputs \(network.outputShape) but the \(name) set has "
                                                   + classes)
        }
    }

    // MARK: - Running

    /// Runs the whole recipe on a network built from `architecture`. With a `store`, every
    /// finished round is saved there; with `resume`, a run found in the store continues after its
    /// last finished round (it must have the same configuration and seed). Without `resume`, a
    /// store that already holds a round is an error. Throws before any training when the
    /// configuration, the network or the data do not fit.
    public func run(architecture: Architecture, train: Dataset, test: Dataset, seed: UInt64,
                    store: PartialRestartStore? = nil, resume: Bool = false) throws -> PartialRestartOutcome {
        let start = Clock.now()
        var probe = RandomSource(seed: 0)
        let shapeCheck = try Network(architecture, rng: &probe)
        _ = try check(shapeCheck)
        try check(data: train, name: "training", network: shapeCheck)
        try check(data: test, name: "test", network: shapeCheck)
        let (train, validation) = try split(train, seed: seed)
        var outcome: PartialRestartOutcome
        if let store, let saved = try store.savedOutcome() {
            guard resume else {
                throw PartialRestartError.cannotResume("\(store.directory) already holds a partial restart (rounds " +
                                                       "0...\(saved.result.rounds.count - 1)); resume it or " +
                                                       "choose another folder")
            }
            guard saved.result.configuration == configuration, saved.result.seed == seed else {
                throw PartialRestartError.cannotResume("\(store.directory) holds a run with another configuration or " +
                                                       "seed (seed \(saved.result.seed))")
            }
            guard saved.network.architecture == architecture else {
                throw PartialRestartError.cannotResume("\(store.directory) holds a run of another architecture")
            }
            outcome = saved
        } else {
            outcome = try trainBase(architecture: architecture, train: train, validation: validation, test: test,
                                    seed: seed)
            try store?.save(outcome)
        }
        outcome = try continueRestarts(outcome, train: train, test: test, store: store)
        outcome.seconds = Clock.now() - start
        return outcome
    }

    /// The part of `train` that trains and the held-out validation part the base training stops
    /// on (the configuration's `validationFraction`, split by `seed`); without a fraction, all of
    /// `train` and nil. `run` splits; callers of `trainBase` and `continueRestarts` split first.
    public func split(_ train: Dataset, seed: UInt64) throws -> (train: Dataset, validation: Dataset?) {
        guard let fraction = configuration.validationFraction else { return (train, nil) }
        do {
            let (t, v) = try train.splitViews(validationFraction: fraction, seed: seed)
            return (t, v)
        } catch {
            throw PartialRestartError.dataMismatch("cannot hold out \(fraction) of \(train.count) training samples " +
                                                   "for validation: \(error)")
        }
    }

    /// Round 0 alone: builds the network from `architecture` with the seed's initialization and
    /// trains it (stopping on `validation` when the configuration has a patience). Several
    /// restarts (other reset methods) can continue from copies of the result.
    public func trainBase(architecture: Architecture, train: Dataset, validation: Dataset? = nil, test: Dataset,
                          seed: UInt64) throws -> PartialRestartOutcome {
        let c = configuration
        let start = Clock.now()
        var master = RandomSource(seed: seed)
        var initialization = master.split()
        let order = master.split()
        let network = try Network(architecture, initializer: c.initializer, rng: &initialization)
        let initialWeights = InitialWeights(of: network)
        _ = try check(network)
        try check(data: train, name: "training", network: network)
        try check(data: test, name: "test", network: network)
        guard c.patience == nil || validation != nil else {
            throw PartialRestartError.invalidConfiguration("patience needs a validation part: split the training " +
                                                           "set with PartialRestart.split first")
        }
        if let validation { try check(data: validation, name: "validation", network: network) }
        let trained = try fit(network, on: train, order: order, high: c.epochsHigh, low: c.epochsLow, round: 0,
                              control: false, validation: validation)
        let score = Self.evaluate(network, on: test)
        var round = PartialRestartRound(round: 0, useless: [], testAccuracy: score.accuracy, testLoss: score.loss,
                                        trainingLoss: trained.lastLoss, controlAccuracy: nil, controlLoss: nil,
                                        epochs: trained.epochs, seconds: Clock.now() - start)
        if let validation { round.validationAccuracy = Self.evaluate(network, on: validation).accuracy }
        roundProgress?(round)
        let result = PartialRestartResult(configuration: c, seed: seed, rounds: [round], stop: nil, finalUseless: nil)
        return PartialRestartOutcome(result: result, network: network, control: c.control ? try network.copied() : nil,
                                     generator: master, seconds: Clock.now() - start, resumedAfterRound: nil,
                                     initialWeights: initialWeights)
    }

    /// Runs the restart rounds after those `outcome` already holds, with this configuration
    /// (which may differ from the base's in everything but the base training), saving each
    /// finished round in `store`. The outcome's networks change in place.
    public func continueRestarts(_ outcome: PartialRestartOutcome, train: Dataset, test: Dataset,
                                 store: PartialRestartStore? = nil) throws -> PartialRestartOutcome {
        let c = configuration
        let start = Clock.now()
        var outcome = outcome
        var result = outcome.result
        result.configuration = c
        let network = outcome.network
        let layers = try check(network)
        let control: Network? = c.control ? try (outcome.control ?? network.copied()) : nil
        guard !c.control || result.rounds.count == 1 || outcome.control != nil else {
            throw PartialRestartError.invalidConfiguration("the control must run from round 1 on; this run has none")
        }
        let measure = PrefixDataset(train, count: Swift.min(c.measureSamples, train.count))
        var rng = outcome.generator
        while result.stop == nil {
            let r = result.rounds.count
            guard r <= c.restarts else { result.stop = .restarts; break }
            let roundStart = Clock.now()
            let useless = try uselessFilters(of: network, layers: layers, data: measure)
            if c.stopWhenUnchanged && r >= 2 && useless.map(\.filters) == result.rounds[r - 1].useless.map(\.filters) {
                result.stop = .unchanged
                result.finalUseless = useless
                break
            }
            let order = rng.split()
            var draws = rng.split()
            try reset(useless, of: network, rng: &draws)
            let trained = try fit(network, on: train, order: order, high: c.restartEpochsHigh, low: c.restartEpochsLow,
                                  round: r, control: false, recordDivergence: true)
            var controlScore: (loss: Double, accuracy: Double)? = nil
            if let control {
                _ = try fit(control, on: train, order: order, high: c.restartEpochsHigh, low: c.restartEpochsLow,
                            round: r, control: true)
                controlScore = Self.evaluate(control, on: test)
            }
            let score = Self.evaluate(network, on: test)
            let round = PartialRestartRound(round: r, useless: useless, testAccuracy: score.accuracy,
                                            testLoss: score.loss,
                                            trainingLoss: trained.lastLoss, controlAccuracy: controlScore?.accuracy,
                                            controlLoss: controlScore?.loss, epochs: trained.epochs,
                                            seconds: Clock.now() - roundStart,
                                            divergence: trained.divergence.map { "\($0)" })
            result.rounds.append(round)
            if trained.divergence != nil { result.stop = .diverged }
            try store?.save(.init(state: .init(result: result, rng: rng), network: network, control: control,
                                  initialWeights: outcome.initialWeights))
            roundProgress?(round)
        }
        outcome.result = result
        outcome.control = control
        outcome.generator = rng
        outcome.seconds += Clock.now() - start
        return outcome
    }

    /// The equal-budget control alone: fine-tunes `control` (a copy of the base network) for
    /// every configured restart round, on the data orders the restart rounds after `base` use,
    /// whether or not a restart run stops early. Returns test loss and accuracy after each round.
    public func controlRounds(_ control: Network, after base: PartialRestartOutcome, train: Dataset,
                              test: Dataset) throws -> [(loss: Double, accuracy: Double)] {
        let c = configuration
        var rng = base.generator
        var scores: [(loss: Double, accuracy: Double)] = []
        for r in stride(from: base.result.rounds.count, through: c.restarts, by: 1) {
            let order = rng.split()
            _ = rng.split()  // the reset draws of the restarted run
            _ = try fit(control, on: train, order: order, high: c.restartEpochsHigh, low: c.restartEpochsLow, round: r,
                        control: true)
            scores.append(Self.evaluate(control, on: test))
        }
        return scores
    }

    // MARK: - Steps

    /// Scores the filters of `layers` with the Taylor criterion on `data` and picks each layer's
    /// useless ones (lowest scores; ties to the lower index).
    public func uselessFilters(of network: Network, layers: [LayerPath], data: Dataset) throws -> [UselessFilters] {
        try layers.map { path in
            let group = try UnitGroup(network: network, layer: path)
            let scores = try UnitActivity.measure(network: network, group: group, data: data,
                                                  loss: SoftmaxCrossEntropy())
                .map(\.taylorNormalized)
            let k = configuration.useless.selectedCount(width: scores.count)
            let ranked = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
            let filters = ranked.prefix(k).sorted()
            let mean = scores.reduce(0.0) { $0 + Double($1) } / Double(Swift.max(scores.count, 1))
            return UselessFilters(layer: path.description, filters: Array(filters), scores: filters.map { scores[$0] },
                                  layerMeanScore: Float(mean))
        }
    }

    /// Resets `useless` with the configured method; outgoing weights kept, zeroed or redrawn.
    public func reset(_ useless: [UselessFilters], of network: Network, rng: inout RandomSource) throws {
        for entry in useless where !entry.filters.isEmpty {
            let group = try UnitGroup(network: network, layer: try LayerPath(parsing: entry.layer))
            let kept = configuration.outgoing == .keep ? group.consumers.map { $0.weight.value.copy() } : []
            try network.reinitializeUnits(entry.filters, of: group, scheme: configuration.reset.scheme,
                                          zeroOutgoing: configuration.outgoing == .zero, rng: &rng)
            for (consumer, saved) in zip(group.consumers, kept) { consumer.weight.value.assign(saved) }
        }
    }

    /// Trains `high` epochs at the higher learning rate, then `low` at the lower one, with a
    /// fresh SGD (momentum carried from the first phase into the second). With a `validation`
    /// part and the configuration's patience, each phase stops early and keeps its best weights.
    /// With `recordDivergence` (a restarted network's fine-tuning), a diverging phase ends the
    /// training and is returned as `divergence` (its epochs counted as started) instead of thrown;
    /// the base training and the control still throw.
    private func fit(_ network: Network, on data: Dataset, order: RandomSource, high: Int, low: Int, round: Int,
                     control: Bool, validation: Dataset? = nil, recordDivergence: Bool = false) throws
        -> (epochs: Int, lastLoss: Double, divergence: TrainingError?) {
        let c = configuration
        for p in network.parameters { p.resetState() }
        let sgd = SGD(learningRate: c.learningRate, momentum: c.momentum, weightDecay: c.weightDecay)
        let stopping = validation == nil ? nil : c.patience.map {
            EarlyStopping(patience: $0, monitor: .validationLoss, restoreBestWeights: true)
        }
        let trainer = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: sgd, batchSize: c.batchSize,
                              maxEpochs: high, earlyStopping: stopping)
        var done = 0
        if let epochProgress {
            trainer.progress = { report in
                var r = report
                r.epoch += done
                epochProgress(round, control, r)
            }
        }
        let monitored = stopping == nil ? nil : validation  // evaluated per epoch only when it can stop the phase
        var rng = order
        var last = Double.nan
        for (epochs, learningRate) in [(high, c.learningRate), (low, c.lowLearningRate)] where epochs > 0 {
            sgd.learningRate = learningRate
            trainer.maxEpochs = epochs
            let history: TrainingHistory
            do {
                history = try trainer.fit(data, validation: monitored, rng: &rng)
            } catch let error as TrainingError {
                guard recordDivergence, case .diverged(let epoch, _, let loss, _) = error else { throw error }
                return (done + epoch, Double(loss), error)
            }
            done += history.epochs.count
            last = Double(history.epochs.last?.loss ?? .nan)
        }
        return (done, last, nil)
    }

    /// Test loss and accuracy (`Network.evaluate`, batches of 256) as the rounds record them.
    static func evaluate(_ network: Network, on data: Dataset) -> (loss: Double, accuracy: Double) {
        let r = network.evaluate(on: data, loss: SoftmaxCrossEntropy(), batchSize: 256)
        return (Double(r.loss), Double(r.accuracy ?? .nan))
    }

}
