/// The trial kinds a spec may name: a plain list, so a misspelled `kind` fails validation
/// and every kind the CLI knows is visible in this one file.
public struct TrialKindCatalog: Sendable {
    /// The kinds, by their `name`.
    public let kinds: [any TrialKind]

    /// A catalog of `kinds`; names must be distinct (a programmer error otherwise).
    public init(_ kinds: [any TrialKind]) {
        precondition(
            Set(kinds.map(\.name)).count == kinds.count, "trial kind names must be distinct: \(kinds.map(\.name))")
        self.kinds = kinds
    }

    /// The kinds `sculpt run` knows. Add each new kind here.
    public static let standard = TrialKindCatalog([
        PaintingLinearLayersTrial(),
        PaintingReinitializationTrial(),
        EigenRemoveIsolationTrial(),
        WeakExpandIsolationTrial(),
        PartialTrainingTrial(),
        CheapEnsembleTrial(),
        LotteryTicketTrial(),
        PartialRestartTrial(),
        InterruptibleTrial(),
        RedundancyTrial(),
    ])

    /// Names of all kinds, sorted.
    public var names: [String] { kinds.map(\.name).sorted() }

    /// The kind called `name`; throws naming the known kinds.
    public func kind(named name: String) throws -> any TrialKind {
        guard let kind = kinds.first(where: { $0.name == name }) else {
            let known = names.isEmpty ? "none are registered" : "expected one of: " + names.joined(separator: ", ")
            throw ConfigError(keyPath: "kind", reason: "unknown trial kind \"\(name)\" (\(known))")
        }
        return kind
    }
}
