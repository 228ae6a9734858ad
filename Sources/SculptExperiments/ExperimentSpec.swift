import SculptCore

/// An experiment read from a spec file: a trial kind, a base config, named variants that
/// override it, how many trials of each, a base seed, and the tables to print.
public struct ExperimentSpec: Sendable {
    /// The file it was read from (for messages).
    public var file: String
    /// The experiment's name (stored with every trial).
    public var name: String
    /// Free text.
    public var description: String?
    /// The trial kind's name.
    public var kind: String
    /// Base seed; each trial's seed is derived from it, the variant name and the trial index.
    public var seed: UInt64
    /// The config every variant starts from.
    public var config: JSONValue
    /// The variants, in spec order.
    public var variants: [Variant]
    /// The tables.
    public var tables: [TableSpec]
    /// Whether trial `i` of every variant gets the same seed (a paired design: the variants
    /// differ only in their config, not in initialization or data order).
    public var pairedSeeds: Bool
    /// The figures of the report page (`sculpt report`).
    public var figures: [FigureSpec] = []
    /// The paper's claims with our verdicts, shown on the report page.
    public var findings: [FindingSpec] = []

    /// One named set of config overrides.
    public struct Variant: Sendable, Equatable {
        /// Unique within the spec.
        public var name: String
        /// Overrides merged into the base config (objects merge key by key).
        public var overrides: JSONValue
        /// The base config with the overrides applied: what each trial receives.
        public var config: JSONValue
        /// Number of trials.
        public var trials: Int
    }

    public init(file: String, name: String, description: String? = nil, kind: String, seed: UInt64,
                config: JSONValue, variants: [Variant], tables: [TableSpec], pairedSeeds: Bool = false) {
        self.file = file
        self.name = name
        self.description = description
        self.kind = kind
        self.seed = seed
        self.config = config
        self.variants = variants
        self.tables = tables
        self.pairedSeeds = pairedSeeds
    }

    /// The part of the spec that decides what trials compute, in canonical form: name, kind,
    /// seed and each variant's resolved config. Tables and trial counts are left out, so
    /// editing a table or raising `trials` keeps the run (and its finished trials).
    public var identity: JSONValue {
        var fields: [String: JSONValue] = [
            "name": .string(name),
            "kind": .string(kind),
            "seed": .string(String(seed)),
            "variants": .array(variants.map { .object(["name": .string($0.name), "config": $0.config]) }),
        ]
        if pairedSeeds { fields["pairedSeeds"] = .bool(true) }  // absent when false: older run ids stay
        return .object(fields)
    }

    /// The run id: the first 16 hex digits of the SHA-256 of `identity`'s canonical text.
    /// Same spec (whatever its key order or spacing) -> same id -> re-running resumes.
    public var runID: String {
        String(SHA256.hex(Array(identity.canonicalText.utf8)).prefix(16))
    }

    /// Every planned trial, interleaved by index (index 0 of every variant, then index 1, ...)
    /// so a partial run yields balanced rows.
    public func plan() -> [PlannedTrial] {
        let most = variants.map(\.trials).max() ?? 0
        var out: [PlannedTrial] = []
        for index in 0..<most {
            for variant in variants where index < variant.trials {
                out.append(PlannedTrial(variant: variant.name, index: index,
                        seed: Self.trialSeed(base: seed, variant: pairedSeeds ? "" : variant.name, index: index),
                                        config: variant.config))
            }
        }
        return out
    }

    /// The seed of trial `index` of `variant` (`""` for paired seeds): FNV-1a over (base, variant name, index), then
    /// the SplitMix64 finalizer, kept below 2^63 so it fits SQLite's integers.
    public static func trialSeed(base: UInt64, variant: String, index: Int) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: base >> UInt64(shift))) }
        for byte in variant.utf8 { mix(byte) }
        mix(0)
        for shift in stride(from: 0, to: 64, by: 8) { mix(UInt8(truncatingIfNeeded: UInt64(index) >> UInt64(shift))) }
        var x = h
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return x & 0x7FFF_FFFF_FFFF_FFFF
    }
}

/// One trial of a plan: which variant, which index, its seed and its config.
public struct PlannedTrial: Sendable, Equatable, Hashable {
    public var variant: String
    public var index: Int
    public var seed: UInt64
    public var config: JSONValue

    public init(variant: String, index: Int, seed: UInt64, config: JSONValue) {
        self.variant = variant
        self.index = index
        self.seed = seed
        self.config = config
    }
}

/// A spec that cannot be used: names the file, the key path and the reason.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    /// The spec file.
    public var file: String
    /// Where in the file ("" for the file as a whole).
    public var keyPath: String
    /// What is wrong.
    public var reason: String

    public init(file: String, keyPath: String, reason: String) {
        self.file = file
        self.keyPath = keyPath
        self.reason = reason
    }

    public var description: String {
        keyPath.isEmpty ? "\(file): \(reason)" : "\(file): \(keyPath): \(reason)"
    }
}
