import SculptCore
import SculptData
import SculptNN

/// Iterative magnitude pruning with rewinding (Frankle & Carbin 2019; Frankle, Dziugaite et al.
/// 2019), with the random-reinitialization control.
///
/// Round 0 trains the dense network from its initialization θ0, saving θk after `rewindStep`
/// optimizer steps (θ0 when it is 0). Each later round prunes the last trained weights
/// (`LotteryTicketPruning`), rewinds the survivors to θk (BatchNorm statistics included), zeroes
/// and freezes the pruned entries, and trains again for the same number of epochs with a fresh
/// optimizer. The control takes the same mask on fresh weights drawn from the initializer and
/// trains the same way, on the same data order as the ticket.
///
/// Random streams, all from the seed: the dense initialization, one data order shared by every
/// training, and one control initialization per round. With one BLAS thread a seed gives the
/// same rounds bit for bit.
///
/// Resuming: `afterRound` receives a `LotteryTicketProgress` after every round (the trained
/// ticket's weights, the mask, the rewind point, the random state and the rounds so far); passing
/// the last one back to `run(...resumingFrom:)` continues with the next round and gives the same
/// rounds, bit for bit, as the uninterrupted search.
public struct LotteryTicketSearch {
    /// The protocol.
    public var configuration: LotteryTicketConfiguration
    /// Called after each round.
    public var roundProgress: ((LotteryTicketRound) -> Void)?
    /// Called after each epoch of each training: round, whether it is the control, the report.
    public var epochProgress: ((_ round: Int, _ control: Bool, _ report: EpochReport) -> Void)?
    /// Called just before each training with the network about to train: the dense network at
    /// θ0 in round 0, then each rewound ticket and each control with its mask applied.
    public var beforeTraining: ((_ round: Int, _ control: Bool, _ network: Network) -> Void)?
    /// Called after each round with everything needed to resume after it; a thrown error stops
    /// the search (the progress of earlier rounds stays valid).
    public var afterRound: ((LotteryTicketProgress) throws -> Void)?

    public init(configuration: LotteryTicketConfiguration) {
        self.configuration = configuration
    }

    /// Optimizer steps of one training on `samples` training samples.
    public func stepsPerTraining(samples: Int) -> Int {
        configuration.epochs * ((samples + configuration.batchSize - 1) / configuration.batchSize)
    }

    /// Runs the search on a network built from `architecture`; throws before any training when
    /// the configuration, the network or the data do not fit.
    /// With `progress` (from `afterRound` of a search with the same configuration, architecture,
    /// data and seed) it continues after the progress's last round.
    public func run(architecture: Architecture, train: Dataset, test: Dataset, seed: UInt64,
                    resumingFrom progress: LotteryTicketProgress? = nil) throws -> LotteryTicketResult {
        let c = configuration
        try c.validate()
        let start = Clock.now()
        var master = RandomSource(seed: seed)
        var initialization = master.split()
        let dataOrder = master.split()
        let network = try Network(architecture, initializer: c.initializer, rng: &initialization)
        let pruning = LotteryTicketPruning(configuration: c)
        try pruning.check(network)
        for (name, data) in [("training", train), ("test", test)] {
            guard data.count > 0 else { throw LotteryTicketError.dataMismatch("the \(name) set is empty") }
            guard data.inputShape == network.inputShape else {
                throw LotteryTicketError.dataMismatch("the \(name) samples have shape \(data.inputShape) but the " +
                                                      "network takes \(network.inputShape)")
            }
            guard let classes = data.classCount, network.outputShape == [classes] else {
                let classes = data.classCount.map { "\($0) classes" } ?? "no class labels"
                throw LotteryTicketError.dataMismatch("the network outputs \(network.outputShape) but the \(name) set "
                                                      + "has \(classes)")
            }
        }
        let steps = stepsPerTraining(samples: train.count)
        guard c.rewindStep < steps else {
            throw LotteryTicketError.invalidConfiguration("rewind step \(c.rewindStep) must be below the \(steps) " +
                                                          "steps of one training (\(c.epochs) epochs of " +
                                                          "\(steps / c.epochs))")
        }

        var mask = LotteryTicketMask.full(for: network)
        try mask.apply(to: network)
        var rewindPoint = network.snapshot()
        var rounds: [LotteryTicketRound] = []

        if let progress {
            try progress.check(against: network, configuration: c)
            network.restore(progress.weights)
            mask = progress.mask
            try mask.apply(to: network)
            rewindPoint = progress.rewindPoint
            rounds = progress.rounds
            master = progress.random
        } else {
            // Round 0: the dense network, saving θk on the way.
            let roundStart = Clock.now()
            let dense = try fit(network, on: train, order: dataOrder, round: 0, control: false) { step in
                if step == c.rewindStep { rewindPoint = network.snapshot() }
            }
            rounds.append(try record(round: 0, network: network, mask: mask, test: test, training: dense, control: nil,
                                     since: roundStart))
            roundProgress?(rounds[0])
            try afterRound?(LotteryTicketProgress(rounds: rounds, mask: mask, weights: network.snapshot(),
                                                  rewindPoint: rewindPoint, random: master))
        }

        for round in stride(from: rounds.count, through: c.rounds, by: 1) {
            let roundStart = Clock.now()
            var controlInitialization = master.split()
            mask = try pruning.prune(network, mask: mask)
            network.restore(rewindPoint)
            try mask.apply(to: network)
            let ticket = try fit(network, on: train, order: dataOrder, round: round, control: false, onStep: nil)
            var control: (network: Network, history: TrainingHistory, steps: Int)? = nil
            if c.control {
                let fresh = try Network(architecture, initializer: c.initializer, rng: &controlInitialization)
                try mask.apply(to: fresh)
                let trained = try fit(fresh, on: train, order: dataOrder, round: round, control: true, onStep: nil)
                control = (fresh, trained.history, trained.steps)
            }
            let entry = try record(round: round, network: network, mask: mask, test: test, training: ticket,
                                   control: control.map { ($0.network, test) }, since: roundStart)
            rounds.append(entry)
            roundProgress?(entry)
            try afterRound?(LotteryTicketProgress(rounds: rounds, mask: mask, weights: network.snapshot(),
                                                  rewindPoint: rewindPoint, random: master))
        }
        return LotteryTicketResult(rounds: rounds, mask: mask, network: network, seconds: Clock.now() - start)
    }

    /// Trains `network` for the configured epochs with a fresh optimizer (and fresh moments) on
    /// the shared data order, calling `onStep` with the step count after every step.
    private func fit(_ network: Network, on data: Dataset, order: RandomSource, round: Int, control: Bool,
                       onStep: ((Int) -> Void)?) throws -> (history: TrainingHistory, steps: Int) {
        for p in network.parameters { p.resetState() }
        beforeTraining?(round, control, network)
        let optimizer = StepCountingOptimizer(configuration.optimizer.make(), onStep: onStep)
        let trainer = Trainer(network: network, loss: SoftmaxCrossEntropy(), optimizer: optimizer,
                              batchSize: configuration.batchSize, maxEpochs: configuration.epochs)
        if let epochProgress { trainer.progress = { epochProgress(round, control, $0) } }
        var rng = order
        let history = try trainer.fit(data, rng: &rng)
        return (history, optimizer.steps)
    }

    private func record(round: Int, network: Network, mask: LotteryTicketMask, test: Dataset,
                        training: (history: TrainingHistory, steps: Int), control: (Network, Dataset)?,
                        since start: Double) throws -> LotteryTicketRound {
        let ticket = network.evaluate(on: test, loss: SoftmaxCrossEntropy())
        let controlScore = control.map { $0.0.evaluate(on: $0.1, loss: SoftmaxCrossEntropy()) }
        return LotteryTicketRound(round: round, weightFraction: mask.weightFraction(in: network),
                                  unitFraction: mask.unitFraction(in: network),
                                  testAccuracy: Double(ticket.accuracy ?? .nan), testLoss: Double(ticket.loss),
                                  trainingLoss: Double(training.history.epochs.last?.loss ?? .nan),
                                  controlAccuracy: controlScore.map { Double($0.accuracy ?? .nan) },
                                  controlLoss: controlScore.map { Double($0.loss) },
                                  epochs: training.history.epochs.count, steps: training.steps,
                                  seconds: Clock.now() - start)
    }
}

/// Where a lottery-ticket search stands after a round: enough to continue it exactly.
public struct LotteryTicketProgress: Sendable {
    /// The rounds finished so far (round 0 is the dense training).
    public var rounds: [LotteryTicketRound]
    /// The mask of the last round's ticket.
    public var mask: LotteryTicketMask
    /// The last round's trained weights and buffers (`Network.snapshot()` order).
    public var weights: [Tensor]
    /// The weights every ticket rewinds to (θ0 or θk), in the same order.
    public var rewindPoint: [Tensor]
    /// The search's random source after the last round (it draws each control's initialization).
    public var random: RandomSource

    public init(rounds: [LotteryTicketRound], mask: LotteryTicketMask, weights: [Tensor], rewindPoint: [Tensor],
                random: RandomSource) {
        self.rounds = rounds
        self.mask = mask
        self.weights = weights
        self.rewindPoint = rewindPoint
        self.random = random
    }

    /// Throws unless this progress fits `network` (same tensors, in shape) and `configuration`
    /// (at least one round done, no more rounds than configured).
    func check(against network: Network, configuration: LotteryTicketConfiguration) throws {
        guard !rounds.isEmpty, rounds.count <= configuration.rounds + 1 else {
            throw LotteryTicketError.invalidConfiguration("cannot resume after \(rounds.count) rounds of a search of " +
                                                          "\(configuration.rounds + 1) rounds (dense included)")
        }
        let shapes = network.snapshot().map(\.shape)
        for (name, tensors) in [("weights", weights), ("rewind point", rewindPoint)] {
            guard tensors.map(\.shape) == shapes else {
                throw LotteryTicketError.invalidConfiguration("the saved \(name) do not fit the network " +
                                                              "(\(tensors.count) tensors of shapes " +
                                                              "\(tensors.map(\.shape)), expected \(shapes))")
            }
        }
    }
}

/// Passes steps to another optimizer, counting them and reporting each count.
final class StepCountingOptimizer: Optimizer {
    let base: Optimizer
    let onStep: ((Int) -> Void)?
    private(set) var steps = 0

    init(_ base: Optimizer, onStep: ((Int) -> Void)?) {
        self.base = base
        self.onStep = onStep
    }

    var learningRate: Float {
        get { base.learningRate }
        set { base.learningRate = newValue }
    }

    func step(_ parameters: [Parameter]) {
        base.step(parameters)
        steps += 1
        onStep?(steps)
    }
}
