#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData
import SculptIO
import SculptNN

/// Where a partial restart keeps its phases, so an interrupted run resumes from the last finished
/// one (the base training or a restart round) and ends with the same numbers as an uninterrupted
/// run with the same seed.
///
/// Layout: `DIR/round-K/` is a checkpoint folder of the restarted network after round K whose
/// `history.json` holds one `partial-restart` record with the recipe state (configuration, seed,
/// rounds so far, the useless sets, the random generator); `DIR/round-K-control/` holds the
/// control. Each folder is written atomically, the control first; a round counts as finished once
/// `round-K/` exists, and only then are older rounds deleted, so a crash at any point leaves the
/// previous finished round intact.
public struct PartialRestartStore: Sendable {
    /// The run folder.
    public let directory: String

    /// Operation name of the history record that carries the state.
    public static let operation = "partial-restart"

    public init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    /// What a finished phase leaves behind.
    struct Saved {
        var state: PartialRestartState
        var network: Network
        var control: Network?
        /// The weights before the base training (both networks started from them).
        var initialWeights: InitialWeights?
    }

    /// The recipe state after a finished round. The history record carries JSON numbers as
    /// Doubles, so the 64-bit generator words and the seed travel as decimal strings.
    struct PartialRestartState: Codable {
        var format = 1
        var result: PartialRestartResult
        /// The generator the next round splits its data order and reset draws from.
        var rng: RandomSource {
            get {
                var g = RandomSource(seed: 0)
                g.state = generatorWords.map { UInt64($0) ?? 0 }
                return g
            }
            set { generatorWords = newValue.state.map { String($0) } }
        }
        var generatorWords: [String] = []
        var seed: String

        init(result: PartialRestartResult, rng: RandomSource) {
            self.result = result
            self.seed = String(result.seed)
            self.rng = rng
        }

        /// Checks the words and restores the exact seed.
        mutating func validated() -> Bool {
            guard generatorWords.count == 4, generatorWords.allSatisfy({ UInt64($0) != nil }),
                  let s = UInt64(seed) else { return false }
            result.seed = s
            return true
        }
    }

    /// Paths of round `k`'s folders.
    func roundFolder(_ k: Int) -> String { directory + "/round-\(k)" }
    func controlFolder(_ k: Int) -> String { directory + "/round-\(k)-control" }

    /// Finished rounds found in the folder, ascending.
    public func finishedRounds() -> [Int] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("round-"), let k = Int(name.dropFirst(6)), k >= 0 else { return nil }
            return Checkpoint.exists(at: roundFolder(k)) ? k : nil
        }.sorted()
    }

    /// Whether the folder holds a finished round.
    public var hasSavedRound: Bool { !finishedRounds().isEmpty }

    /// The result recorded by the newest finished round, nil when there is none.
    public func savedResult() throws -> PartialRestartResult? {
        try load()?.state.result
    }

    /// The run as its newest finished round left it, ready for `PartialRestart.continueRestarts`
    /// (nil when the folder holds no finished round).
    public func savedOutcome() throws -> PartialRestartOutcome? {
        guard let saved = try load() else { return nil }
        return PartialRestartOutcome(result: saved.state.result, network: saved.network, control: saved.control,
                                     generator: saved.state.rng, seconds: 0,
                                     resumedAfterRound: saved.state.result.rounds.count - 1,
                                     initialWeights: saved.initialWeights)
    }

    /// Saves `outcome`'s newest round (as `run` does after every round), so that a run of several
    /// phases (the `partial-restart` trial's shared base) can keep each in a store of its own.
    public func save(_ outcome: PartialRestartOutcome) throws {
        try save(Saved(state: .init(result: outcome.result, rng: outcome.generator), network: outcome.network,
                       control: outcome.control, initialWeights: outcome.initialWeights))
    }

    func save(_ saved: Saved) throws {
        let k = saved.state.result.rounds.count - 1
        if let control = saved.control {
            try Checkpoint(network: control, initialWeights: saved.initialWeights).save(to: controlFolder(k))
        }
        let details = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder.keepingNonFinite().encode(saved.state))
        try Checkpoint(network: saved.network, history: [HistoryRecord(operation: Self.operation, details: details)],
                       initialWeights: saved.initialWeights)
            .save(to: roundFolder(k))
        for old in finishedRounds() where old < k {
            try? FileManager.default.removeItem(atPath: controlFolder(old))
            try? FileManager.default.removeItem(atPath: roundFolder(old))
        }
    }

    func load() throws -> Saved? {
        guard let k = finishedRounds().last else { return nil }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: roundFolder(k)) } catch {
            throw PartialRestartError.cannotResume("\(roundFolder(k)): \(error)")
        }
        guard let record = checkpoint.history.last(where: { $0.operation == Self.operation }) else {
            throw PartialRestartError.cannotResume("\(roundFolder(k)) has no \(Self.operation) record in its history")
        }
        var state: PartialRestartState
        do {
            // the history keeps NaN and infinities (a diverged round's losses) as numbers: re-encoded as
            // the strings `save` wrote them as
            state = try JSONDecoder.keepingNonFinite().decode(
                PartialRestartState.self, from: try JSONEncoder.keepingNonFinite().encode(record.details))
        } catch {
            throw PartialRestartError.cannotResume("\(roundFolder(k)): the recipe state does not decode (\(error))")
        }
        guard state.format == 1, state.validated(), state.result.rounds.count == k + 1 else {
            throw PartialRestartError.cannotResume("\(roundFolder(k)): the recipe state does not describe round \(k)")
        }
        var control: Network? = nil
        if state.result.configuration.control {
            do { control = try Checkpoint.load(from: controlFolder(k)).network } catch {
                throw PartialRestartError.cannotResume("\(controlFolder(k)): \(error)")
            }
        }
        return Saved(state: state, network: checkpoint.network, control: control,
                     initialWeights: checkpoint.initialWeights)
    }
}
