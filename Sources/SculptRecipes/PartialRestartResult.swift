import SculptCore
import SculptIO
import SculptNN

/// The useless filters found in one layer, with their Taylor scores.
public struct UselessFilters: Codable, Sendable, Equatable {
    /// The Conv2D layer's path (`layers.3`).
    public var layer: String
    /// Filter indices, ascending.
    public var filters: [Int]
    /// Their first-order Taylor scores, per-layer L2-normalized, in the order of `filters`.
    public var scores: [Float]
    /// The layer's mean normalized score (over all its filters).
    public var layerMeanScore: Float
}

/// What one round of a partial restart measured. Round 0 is the base training.
public struct PartialRestartRound: Codable, Sendable, Equatable {
    /// 0 for the base training, then 1, 2, ... after each restart.
    public var round: Int
    /// The filters reset at the start of this round (empty for round 0).
    public var useless: [UselessFilters]
    /// Test accuracy after the round's training.
    public var testAccuracy: Double
    /// Test loss (mean cross-entropy) after the round's training.
    public var testLoss: Double
    /// Mean training loss of the round's last epoch.
    public var trainingLoss: Double
    /// Test accuracy / loss of the equal-budget control after its fine-tuning (nil in round 0 or
    /// without control).
    public var controlAccuracy: Double?
    public var controlLoss: Double?
    /// Epochs the round trained (the control trains as many).
    public var epochs: Int
    /// Round 0 with a validation part: the base network's accuracy on it (nil otherwise).
    public var validationAccuracy: Double? = nil
    /// Wall-clock seconds of the round (measurement, reset, training, control, evaluation).
    public var seconds: Double
    /// Set when the round's fine-tuning diverged (a non-finite loss or parameter): the training
    /// error's text. The round then records the diverged network's test loss and accuracy (NaN
    /// weights give a non-finite loss and about chance accuracy), and the run stops.
    public var divergence: String? = nil

    /// Number of filters reset this round.
    public var resetCount: Int { useless.reduce(0) { $0 + $1.filters.count } }
}

/// Why a partial restart ended.
public enum PartialRestartStop: String, Codable, Sendable {
    /// All configured restarts ran.
    case restarts
    /// The useless set equalled the previous round's (Algorithm 1's `break`).
    case unchanged
    /// A restart round's fine-tuning diverged (see `PartialRestartRound.divergence`). The paper's
    /// min-max reset draws a reset filter's weights across the layer's whole range, which at a
    /// high learning rate can blow the loss up; the failure is that method's result, not a
    /// failure of the run.
    case diverged
}

/// The record of a partial restart: everything but the networks (what a checkpoint keeps).
public struct PartialRestartResult: Codable, Sendable, Equatable {
    public var configuration: PartialRestartConfiguration
    public var seed: UInt64
    /// Round 0 (base), then one per restart that ran.
    public var rounds: [PartialRestartRound]
    /// Set when the run ended; nil while rounds remain.
    public var stop: PartialRestartStop?
    /// The useless set measured when the run stopped unchanged (equal to the last round's).
    public var finalUseless: [UselessFilters]?

    /// Test accuracy after the base training (the paper's "baseline").
    public var baselineAccuracy: Double { rounds[0].testAccuracy }
    /// Test accuracy after the last restart that ran.
    public var finalAccuracy: Double { rounds[rounds.count - 1].testAccuracy }
    /// The control's accuracy after as many fine-tuning rounds as the restarted network had.
    public var finalControlAccuracy: Double? { rounds.count > 1 ? rounds[rounds.count - 1].controlAccuracy : nil }
}

/// A finished (or interrupted and resumable) partial restart with its networks.
public struct PartialRestartOutcome {
    public var result: PartialRestartResult
    /// The restarted network after its last round.
    public var network: Network
    /// The control after as many fine-tuning rounds (nil without control).
    public var control: Network?
    /// The generator the next restart round splits its data order and reset draws from.
    public var generator: RandomSource
    /// Wall-clock seconds of this call (a resumed run counts only what it did).
    public var seconds: Double
    /// The round the run resumed after (nil for a fresh run).
    public var resumedAfterRound: Int?
    /// The restarted network's weights before the base training (resets keep the shapes, so they
    /// stay aligned): every round folder's `init.safetensors`.
    public var initialWeights: InitialWeights? = nil
}
