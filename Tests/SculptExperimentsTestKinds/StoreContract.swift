import Foundation
import SculptCore
import SculptExperiments

/// The results-store contract that every `ResultStoring` keeps, as named checks: the SQLite store's tests
/// (SculptExperimentsTests) and the PostgreSQL store's (SculptFleetTests, Fleet trait) run the same ones.
/// A check throws `StoreContract.Violation` naming what differed.
public enum StoreContract {
    /// A broken promise: what was expected and what the store gave.
    public struct Violation: Error, CustomStringConvertible {
        public var description: String
    }

    /// The checks' names (test arguments).
    public static let names = Array(checks.keys).sorted()

    /// Runs check `name` against `store` (a fresh, empty store).
    public static func check(_ name: String, store: any ResultStoring) throws {
        guard let check = checks[name] else { throw Violation(description: "no check named \(name)") }
        try check(store)
    }

    static let checks: [String: @Sendable (any ResultStoring) throws -> Void] = [
        "a record reads back field for field": recordsReadBack,
        "a done row is never replaced; a failed one is, attempts counting": doneRowsStay,
        "rows and series come back in variant, index and name order": ordering,
        "a spec's runs are listed by its name and kind, oldest first": runsOfASpec,
    ]

    static func expect<T: Equatable>(_ got: T, _ expected: T, _ what: String) throws {
        guard got == expected else { throw Violation(description: "\(what): expected \(expected), got \(got)") }
    }

    /// A spec of the arithmetic kind with variants named `variants`.
    static func spec(variants: [String] = ["small", "large"]) throws -> ExperimentSpec {
        let list = variants.map { "{\"name\": \"\($0)\", \"config\": {\"b\": 1}}" }.joined(separator: ", ")
        let text = "{\"name\": \"contract\", \"kind\": \"arithmetic\", \"seed\": 3, \"trials\": 2, "
            + "\"config\": {\"a\": 1}, \"variants\": [\(list)], \"tables\": []}"
        return try ExperimentSpec.parse(Array(text.utf8), file: "contract.json", catalog: ArithmeticTrial.catalog)
    }

    static func record(_ spec: ExperimentSpec, variant: String, index: Int, status: TrialStatus,
                       metrics: [String: Double] = ["sum": 2], series: [TrialSeries] = []) -> TrialRecord {
        TrialRecord(runID: spec.runID, specName: spec.name, kind: spec.kind, variant: variant, index: index,
                    seed: 0x7FFF_FFFF_FFFF_FF01, config: ["a": 1, "b": 1], metrics: status == .done ? metrics : [:],
                    details: status == .done ? ["note": "x"] : nil, status: status,
                    error: status == .failed ? "boom" : nil, startedAt: "2026-12-03T10:00:00.000Z",
                    finishedAt: "2026-12-03T10:00:01.500Z", seconds: 1.5, host: "h", series: series)
    }

    static func recordsReadBack(_ store: any ResultStoring) throws {
        let spec = try spec()
        try store.registerRun(spec)
        try store.registerRun(spec)  // idempotent
        let curve = TrialSeries(name: "loss", x: [1, 2], y: [0.5, .infinity])
        let written = record(spec, variant: "small", index: 0, status: .done,
                             metrics: ["sum": 2, "odd": .nan, "big": -.infinity], series: [curve])
        try store.record(written)
        let rows = try store.trials(runID: spec.runID)
        try expect(rows.count, 1, "rows")
        var expected = written
        expected.series = []
        expected.metrics = [:]
        var got = rows[0]
        try expect(got.metrics["sum"], 2, "metric sum")
        try expect(got.metrics["odd"]?.isNaN, true, "a NaN metric")
        try expect(got.metrics["big"], -.infinity, "an infinite metric")
        got.metrics = [:]
        try expect(got, expected, "the row")
        try expect(try store.series(runID: spec.runID)[TrialKey(variant: "small", index: 0)], [curve], "series")
        try expect(try store.finishedTrials(runID: spec.runID), [TrialKey(variant: "small", index: 0)], "finished")
        try expect(try store.trials(runID: "0000000000000000").count, 0, "another run's rows")
    }

    static func doneRowsStay(_ store: any ResultStoring) throws {
        let spec = try spec()
        try store.registerRun(spec)
        let old = TrialSeries(name: "loss", x: [1], y: [9])
        try store.record(record(spec, variant: "small", index: 1, status: .failed, series: [old]))
        try store.record(record(spec, variant: "small", index: 1, status: .failed))
        var rows = try store.trials(runID: spec.runID)
        try expect(rows.map(\.attempts), [2], "attempts after two failures")
        try expect(try store.finishedTrials(runID: spec.runID), [], "finished after failures")
        let curve = TrialSeries(name: "loss", x: [1, 2], y: [3, 4])
        try store.record(record(spec, variant: "small", index: 1, status: .done, series: [curve]))
        try store.record(record(spec, variant: "small", index: 1, status: .done, metrics: ["sum": 99]))
        try store.record(record(spec, variant: "small", index: 1, status: .failed))
        rows = try store.trials(runID: spec.runID)
        try expect(rows.map(\.status), [.done], "status")
        try expect(rows.map(\.attempts), [3], "attempts")
        try expect(rows.first?.metrics["sum"], 2, "the first done result")
        try expect(try store.series(runID: spec.runID)[TrialKey(variant: "small", index: 1)], [curve], "series")
    }

    static func ordering(_ store: any ResultStoring) throws {
        let spec = try spec(variants: ["b", "B", "a"])
        try store.registerRun(spec)
        for variant in ["b", "a", "B"] {
            for index in [1, 0] {
                let curves = [TrialSeries(name: "z", x: [1], y: [1]), TrialSeries(name: "A", x: [1], y: [2])]
                try store.record(record(spec, variant: variant, index: index, status: .done, series: curves))
            }
        }
        let keys = try store.trials(runID: spec.runID).map { "\($0.variant)\($0.index)" }
        try expect(keys, ["B0", "B1", "a0", "a1", "b0", "b1"], "row order (bytewise variant, then index)")
        let names = try store.series(runID: spec.runID)[TrialKey(variant: "a", index: 0)]?.map(\.name)
        try expect(names, ["A", "z"], "series order")
    }

    static func runsOfASpec(_ store: any ResultStoring) throws {
        try expect(try store.runIDs(specName: "contract", kind: "arithmetic"), [], "runs of an empty store")
        let first = try spec(variants: ["small"]), second = try spec(variants: ["small", "large"])
        try store.registerRun(first)
        Thread.sleep(forTimeInterval: 0.005)  // registration times are kept to the millisecond
        try store.registerRun(second)
        try store.registerRun(first)  // idempotent: neither a second row nor a newer date
        try expect(try store.runIDs(specName: "contract", kind: "arithmetic"), [first.runID, second.runID],
                   "runs of the spec")
        try expect(try store.runIDs(specName: "contract", kind: "painting-linear-layers"), [], "another kind's runs")
        try expect(try store.runIDs(specName: "Contract", kind: "arithmetic"), [], "another name's runs")
    }
}
