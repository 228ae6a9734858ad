import SculptCore
import SculptData
import SculptNN
import SculptSurgery

/// Settings of reinitialization training; the defaults are the paper's (Hyatt & Lee 2018, 4.1).
public struct ReinitializationConfiguration: Codable, Equatable, Sendable {
    /// R: how many times steps 4-11 run (0 = plain training, then prune and final training).
    public var reinitializations: Int = 2
    /// Early-stopping patience of the first training (step 2) and of step 11.
    public var patience: Int = 20
    /// Early-stopping patience of the partially frozen subtraining (step 8).
    public var subtrainingPatience: Int = 10
    /// Early-stopping patience of the final training (step 14).
    public var finalPatience: Int = 20
    /// A unit is non-contributing ("low-loss") when loss-without-it / baseline is below this.
    public var lossRatioThreshold: Float = 1.5
    /// Units whose incoming vectors (weights and bias) have cosine >= this are trivially redundant.
    public var redundancyThreshold: Float = 0.99
    /// Revert to the copy when the loss after subtraining exceeds this times the baseline.
    public var revertThreshold: Float = 1.25
    /// Epoch cap of every training phase (the paper: 500,000, i.e. early stopping decides).
    public var maxEpochsPerPhase: Int = 500_000
    /// Mini-batch size (the paper: 128).
    public var batchSize: Int = 128
    /// How reinitialized units are drawn; pass the initializer the network was built with
    /// (Keras, which the paper used, defaults to Glorot uniform with zero biases).
    public var initializer: Initializer = .glorotUniform
    /// Step 13: remove the remaining non-contributing units (the network gets smaller).
    public var pruneAtEnd: Bool = true
    /// Fold the linear layers into their successors after the final training.
    public var collapseAtEnd: Bool = true
    /// The Dense layers whose units are analysed; nil = every ReLU layer.
    public var layers: [Int]? = nil

    public init() {}

    /// Throws a `TrainingError.invalidConfiguration` naming the first impossible value.
    public func validate() throws {
        func check(_ ok: Bool, _ why: String) throws { if !ok { throw TrainingError.invalidConfiguration(why) } }
        try check(reinitializations >= 0, "reinitializations must be >= 0, got \(reinitializations)")
        try check(patience > 0, "patience must be positive, got \(patience)")
        try check(subtrainingPatience > 0, "subtrainingPatience must be positive, got \(subtrainingPatience)")
        try check(finalPatience > 0, "finalPatience must be positive, got \(finalPatience)")
        try check(lossRatioThreshold > 0, "lossRatioThreshold must be positive, got \(lossRatioThreshold)")
        try check(redundancyThreshold > -1 && redundancyThreshold <= 1, "redundancyThreshold must lie in (-1, 1], " +
            "got \(redundancyThreshold)")
        try check(revertThreshold > 0, "revertThreshold must be positive, got \(revertThreshold)")
        try check(maxEpochsPerPhase > 0, "maxEpochsPerPhase must be positive, got \(maxEpochsPerPhase)")
        try check(batchSize > 0, "batchSize must be positive, got \(batchSize)")
    }
}

/// Units of one layer.
public struct LayerUnits: Codable, Equatable, Sendable {
    /// The producing Dense layer's index.
    public var layer: Int
    /// Unit indices, ascending.
    public var units: [Int]
}

/// One training phase: epochs run, why it stopped, and the full-training-set loss (eval mode) after it.
public struct PhaseLog: Codable, Equatable, Sendable {
    public var epochs: Int
    public var stopReason: StopReason
    public var loss: Float
}

/// What one reinitialization round (steps 3-11) did.
public struct ReinitializationRound: Codable, Equatable, Sendable {
    /// 1-based round number.
    public var round: Int
    /// Loss of the network copied in step 4.
    public var baselineLoss: Float
    /// Units whose removal raises the loss by less than the ratio threshold.
    public var lowLossUnits: [LayerUnits]
    /// Trivially redundant units folded into a kept member of their group, then reinitialized.
    public var redundantUnits: [LayerUnits]
    /// All reinitialized units (low-loss and redundant); contributing units were frozen.
    public var reinitializedUnits: [LayerUnits]
    /// The partially frozen subtraining (nil when nothing was reinitialized).
    public var subtraining: PhaseLog?
    /// Whether the network went back to the copy (subtraining loss > revert threshold x baseline).
    public var reverted: Bool
    /// The unfrozen training of step 11 (nil when nothing was reinitialized).
    public var training: PhaseLog?
}

/// What the final prune (step 13) removed.
public struct PruneLog: Codable, Equatable, Sendable {
    public var lossBefore: Float
    public var removedUnits: [LayerUnits]
    public var lossAfter: Float
}

/// The outcome of reinitialization training.
public struct ReinitializationResult: Codable, Equatable, Sendable {
    public var configuration: ReinitializationConfiguration
    /// Step 2.
    public var initialTraining: PhaseLog
    public var rounds: [ReinitializationRound]
    /// Step 13 (nil when pruning is off).
    public var prune: PruneLog?
    /// Step 14 (nil when pruning is off: there is nothing new to train).
    public var finalTraining: PhaseLog?
    /// The final collapse of linear layers (nil when off).
    public var collapse: CollapseReport?
    /// Full-training-set loss of the returned network, in eval mode.
    public var finalLoss: Float
    /// Units of the final network's ReLU layers whose loss ratio is >= the threshold.
    public var activeUnits: Int
    /// Units left in the final network's ReLU layers.
    public var remainingUnits: Int
    /// The largest parameter count trained (the starting network, linear layers included).
    public var parametersTrained: Int
    /// Parameters of the returned network (after prune and collapse).
    public var parametersFinal: Int
    /// Epochs over all phases.
    public var totalEpochs: Int
    /// Wall-clock seconds.
    public var seconds: Double
}

/// In-training partial reinitialization (Hyatt & Lee 2018, Section 4.1, steps 1-14).
///
/// "Loss" everywhere is the mean loss over the whole training set in eval mode. The baseline is
/// measured afresh at the start of every round (the loss of the copy the round may revert to).
/// Trivially redundant units: in each group the member with the largest loss ratio is kept and
/// every other member's outgoing weights are folded into it (exact for proportional incoming
/// vectors), after which the others count as non-contributing.
public struct ReinitializationTraining {
    public var configuration: ReinitializationConfiguration
    /// Receives every epoch's report (the CLI prints progress with it).
    public var epochProgress: ((EpochReport) -> Void)?

    public init(configuration: ReinitializationConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Trains `network` (step 1, initialization, is the caller's) on `data` and changes it in
    /// place: pruned and collapsed at the end when configured.
    public func run(network: Network, data: Dataset, loss: Loss, optimizer: Optimizer,
                    rng: inout RandomSource) throws -> ReinitializationResult {
        let c = configuration
        try c.validate()
        let start = Clock.now()
        let layers = c.layers ?? DenseUnits.reluLayers(in: network)
        for layer in layers { _ = try DenseUnits(network: network, layer: layer) }
        let parametersTrained = network.parameterCount
        var totalEpochs = 0

        func evaluate() -> Float { network.evaluate(on: data, loss: loss, batchSize: 4096).loss }
        func train(patience: Int) throws -> PhaseLog {
            let trainer = Trainer(network: network, loss: loss, optimizer: optimizer, batchSize: c.batchSize,
                                  maxEpochs: c.maxEpochsPerPhase, earlyStopping: EarlyStopping(patience: patience))
            trainer.progress = epochProgress
            let history = try trainer.fit(data, rng: &rng)
            totalEpochs += history.epochs.count
            return PhaseLog(epochs: history.epochs.count, stopReason: history.stopReason, loss: evaluate())
        }

        let initial = try train(patience: c.patience)                      // step 2
        var rounds: [ReinitializationRound] = []
        for round in 1...max(c.reinitializations, 1) where c.reinitializations > 0 {
            let baseline = evaluate()                                       // step 3
            let copy = ParameterCheckpoint(network)                         // step 4
            var lowLoss: [LayerUnits] = [], redundant: [LayerUnits] = [], reinitialized: [LayerUnits] = []
            for layer in layers {                                           // step 5
                let split = try classify(network: network, layer: layer, data: data, loss: loss, baseline: baseline)
                for (duplicate, kept, scale) in split.merges {
                    try network.mergeUnit(duplicate, into: kept, scale: scale, layer: layer)
                }
                lowLoss.append(LayerUnits(layer: layer, units: split.lowLoss))
                redundant.append(LayerUnits(layer: layer, units: split.merges.map(\.duplicate).sorted()))
                reinitialized.append(LayerUnits(layer: layer, units: split.nonContributing))
            }
            var log = ReinitializationRound(round: round, baselineLoss: baseline, lowLossUnits: lowLoss,
                                            redundantUnits: redundant, reinitializedUnits: reinitialized,
                                            subtraining: nil, reverted: false, training: nil)
            if reinitialized.allSatisfy({ $0.units.isEmpty }) { rounds.append(log); continue }
            for entry in reinitialized {
                let count = try DenseUnits(network: network, layer: entry.layer).count
                let contributing = (0..<count).filter { !entry.units.contains($0) }
                try network.freezeUnits(contributing, layer: entry.layer)       // step 6
                try network.reinitializeUnits(entry.units, layer: entry.layer,  // step 7
                                              initializer: c.initializer, rng: &rng)
            }
            let subtraining = try train(patience: c.subtrainingPatience)       // step 8
            log.subtraining = subtraining
            if subtraining.loss > c.revertThreshold * baseline {               // step 9
                copy.restore(into: network)
                log.reverted = true
            }
            network.unfreezeAll()                                               // step 10
            log.training = try train(patience: c.patience)                      // step 11
            rounds.append(log)
        }

        var prune: PruneLog? = nil, finalTraining: PhaseLog? = nil
        if c.pruneAtEnd {                                                      // step 13
            prune = try pruneNonContributing(network: network, layers: layers, data: data, loss: loss,
                                             evaluate: evaluate)
            network.unfreezeAll()
            finalTraining = try train(patience: c.finalPatience)                // step 14
        }
        let collapse = c.collapseAtEnd ? try network.collapseLinearLayers() : nil

        let finalLoss = evaluate()
        var active = 0, remaining = 0
        for layer in DenseUnits.reluLayers(in: network) {
            let scores = try UnitContributions.measure(network: network, layer: layer, data: data, loss: loss,
                                                       threshold: c.lossRatioThreshold, baseline: finalLoss)
            active += scores.filter(\.isActive).count
            remaining += scores.count
        }
        return ReinitializationResult(configuration: c, initialTraining: initial, rounds: rounds, prune: prune,
                                      finalTraining: finalTraining, collapse: collapse, finalLoss: finalLoss,
                                      activeUnits: active, remainingUnits: remaining,
                                      parametersTrained: parametersTrained, parametersFinal: network.parameterCount,
                                      totalEpochs: totalEpochs, seconds: Clock.now() - start)
    }

    /// Step 13: folds each layer's redundant units and removes the non-contributing ones (keeping
    /// a layer's most useful unit when none contributes).
    private func pruneNonContributing(network: Network, layers: [Int], data: Dataset, loss: Loss,
                                      evaluate: () -> Float) throws -> PruneLog {
        let before = evaluate()
        var removed: [LayerUnits] = []
        for layer in layers {
            let split = try classify(network: network, layer: layer, data: data, loss: loss, baseline: evaluate())
            for (duplicate, kept, scale) in split.merges {
                try network.mergeUnit(duplicate, into: kept, scale: scale, layer: layer)
            }
            var doomed = split.nonContributing
            if doomed.count == split.contributions.count, let best = split.contributions.max(by: {
                $0.lossRatio < $1.lossRatio
            })?.unit {
                doomed.removeAll { $0 == best }
            }
            try network.removeUnits(doomed, layer: layer)
            removed.append(LayerUnits(layer: layer, units: doomed))
        }
        return PruneLog(lossBefore: before, removedUnits: removed, lossAfter: evaluate())
    }

    /// Step 5 for one layer: low-loss units, redundant units to fold, and their union.
    func classify(network: Network, layer: Int, data: Dataset, loss: Loss, baseline: Float) throws
        -> (contributions: [UnitContribution], lowLoss: [Int], merges: [(duplicate: Int, kept: Int, scale: Float)],
            nonContributing: [Int]) {
        let c = configuration
        let scores = try UnitContributions.measure(network: network, layer: layer, data: data, loss: loss,
                                                   threshold: c.lossRatioThreshold, baseline: baseline)
        let lowLoss = scores.filter { !$0.isActive }.map(\.unit)
        let dense = try DenseUnits(network: network, layer: layer).producer
        var merges: [(duplicate: Int, kept: Int, scale: Float)] = []
        for group in try Redundancy.groups(network: network, layer: layer, threshold: c.redundancyThreshold) {
            let candidates = group.units.filter { !lowLoss.contains($0) }
            guard let kept = candidates.max(by: { scores[$0].lossRatio < scores[$1].lossRatio }) else { continue }
            for u in candidates where u != kept {
                merges.append((u, kept, Redundancy.scale(dense, duplicate: u, kept: kept)))
            }
        }
        let nonContributing = Set(lowLoss + merges.map(\.duplicate)).sorted()
        return (scores, lowLoss, merges, nonContributing)
    }
}
