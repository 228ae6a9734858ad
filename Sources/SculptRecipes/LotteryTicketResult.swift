import SculptNN

/// What one round of a lottery-ticket search measured. Round 0 is the dense network.
public struct LotteryTicketRound: Codable, Sendable, Equatable {
    /// 0 for the dense training, then 1, 2, ... after each pruning.
    public var round: Int
    /// Fraction of the prunable (Dense and Conv2D) weights kept by the mask.
    public var weightFraction: Double
    /// Fraction of the hidden units/filters that keep at least one incoming weight.
    public var unitFraction: Double
    /// Test accuracy of the ticket after its training.
    public var testAccuracy: Double
    /// Test loss (mean cross-entropy) of the ticket after its training.
    public var testLoss: Double
    /// Mean training loss of the ticket's last epoch.
    public var trainingLoss: Double
    /// Test accuracy of the random-reinitialization control (same mask, fresh weights); nil when not run.
    public var controlAccuracy: Double?
    /// Test loss of the control.
    public var controlLoss: Double?
    /// Epochs the ticket trained.
    public var epochs: Int
    /// Optimizer steps the ticket took.
    public var steps: Int
    /// Wall-clock seconds of the round (pruning, ticket and control training, evaluation).
    public var seconds: Double

    public init(round: Int, weightFraction: Double, unitFraction: Double, testAccuracy: Double, testLoss: Double,
                trainingLoss: Double, controlAccuracy: Double? = nil, controlLoss: Double? = nil, epochs: Int,
                steps: Int,
                seconds: Double) {
        self.round = round
        self.weightFraction = weightFraction
        self.unitFraction = unitFraction
        self.testAccuracy = testAccuracy
        self.testLoss = testLoss
        self.trainingLoss = trainingLoss
        self.controlAccuracy = controlAccuracy
        self.controlLoss = controlLoss
        self.epochs = epochs
        self.steps = steps
        self.seconds = seconds
    }
}

/// The outcome of `LotteryTicketSearch.run`: the rounds and the last ticket.
public struct LotteryTicketResult {
    /// One entry per round, dense training first.
    public var rounds: [LotteryTicketRound]
    /// The mask of the last round.
    public var mask: LotteryTicketMask
    /// The last round's ticket after training, with the mask set on its parameters.
    public var network: Network
    /// Wall-clock seconds of the whole search.
    public var seconds: Double
}
