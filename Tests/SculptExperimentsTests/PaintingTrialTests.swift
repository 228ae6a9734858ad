import SculptCore
import Foundation
import Testing
@testable import SculptExperiments

/// The painting trial kinds, end to end on tiny pictures (8-12 pixels, a few hundred epochs).
@Suite struct PaintingTrialTests {
    let catalog = TrialKindCatalog.standard

    func config(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func standardCatalogHasBothPaintingKinds() throws {
        #expect(catalog.names.contains("painting-linear-layers"))
        #expect(catalog.names.contains("painting-reinit"))
    }

    @Test func linearLayersTrialCollapsesAndReportsEveryMetric() throws {
        let kind = try catalog.kind(named: "painting-linear-layers")
        let c = try config(#"{"size": 8, "hidden": 3, "linear": [9], "maxEpochs": 150}"#)
        try kind.validate(config: c)
        let result = try kind.run(config: c, seed: 42)
        let m = result.metrics
        // Model 2 of the paper: 2-3 ReLU, a linear layer of 9, 1 sigmoid: 9 + 36 + 10 = 55 trained, 9 + 4 = 13 after collapse.
        #expect(m["parametersTrained"] == 55)
        #expect(m["parametersFinal"] == 13)
        let keys: Set<String> = [
            "parametersTrained", "parametersFinal", "activeNodes", "correct", "pixelAgreement", "loss",
                                 "sides", "lines", "epochs", "trainingSeconds", "seconds"]
        #expect(Set(m.keys) == keys)
        #expect((0...3).contains(m["activeNodes"] ?? -1))
        #expect(m["correct"] == 0 || m["correct"] == 1)
        #expect((0...1).contains(m["pixelAgreement"] ?? -1))
        #expect((m["loss"] ?? -1) > 0 && (m["loss"] ?? 1) < 0.5)
        #expect((1...150).contains(m["epochs"] ?? 0))
        if m["correct"] == 1 { #expect(m["activeNodes"] == 3 && (m["pixelAgreement"] ?? 0) >= 0.99) }

        // Deterministic for a seed (timings aside); another seed trains differently.
        let again = try kind.run(config: c, seed: 42).metrics
        for key in keys.subtracting(["seconds", "trainingSeconds"]) { #expect(again[key] == m[key], "\(key)") }
        let other = try kind.run(config: c, seed: 43).metrics
        #expect(other["loss"] != m["loss"])
    }

    @Test func reinitTrialPrunesCollapsesAndReportsEveryMetric() throws {
        let kind = try catalog.kind(named: "painting-reinit")
        let c = try config(
            #"{"size": 12, "hidden": 6, "reinitializations": 1, "maxEpochs": 60, "patience": 5, "subtrainingPatience": 3, "finalPatience": 5}"#
        )
        try kind.validate(config: c)
        let m = try kind.run(config: c, seed: 7).metrics
        let keys: Set<String> = [
            "sides", "lines", "activeNodes", "sidesPerActiveNode", "loss", "correct", "pixelAgreement", "epochs",
            "revertedRounds", "remainingNodes", "prunedNodes", "parametersTrained", "parametersFinal",
                                 "trainingSeconds", "seconds"]
        #expect(Set(m.keys) == keys)
        // Step 13 removes units (merged duplicates included); the rest remain.
        #expect(m["remainingNodes"]! + m["prunedNodes"]! == 6)
        // 2-6 ReLU, three linear layers of 6, 1 sigmoid: 18 + 3 * 42 + 7 = 151 trained.
        #expect(m["parametersTrained"] == 151)
        // After prune and collapse only Dense(2, k) + Dense(k, 1) is left: 3k + k + 1 parameters.
        let remaining = try #require(m["remainingNodes"])
        #expect((1...6).contains(remaining))
        #expect(m["parametersFinal"] == 4 * remaining + 1)
        #expect((m["activeNodes"] ?? 99) <= remaining)
        if let active = m["activeNodes"], active > 0 { #expect(m["sidesPerActiveNode"] == (m["sides"] ?? 0) / active) }
        #expect((0...1).contains(m["revertedRounds"] ?? -1))
        #expect((m["loss"] ?? -1) >= 0)
        let again = try kind.run(config: c, seed: 7).metrics
        for key in keys.subtracting(["seconds", "trainingSeconds", "sidesPerActiveNode"]) {
            #expect(again[key] == m[key], "\(key)")
        }
    }

    @Test func paintingConfigsAreReadStrictly() throws {
        let linear = try catalog.kind(named: "painting-linear-layers")
        let reinit = try catalog.kind(named: "painting-reinit")
        func reason(_ kind: any TrialKind, _ text: String) throws -> String? {
            do { try kind.validate(config: try config(text)); return nil } catch let e as ConfigError {
                return e.description
            }
        }
        #expect(try reason(linear, #"{"hidden": 3, "linaer": [9]}"#)?.hasPrefix("linaer: unknown key") == true)
        #expect(try reason(linear, #"{"linear": [9]}"#) == "hidden: missing required key")
        #expect(
            try reason(linear, #"{"hidden": 3, "linear": [9, 0]}"#)?.hasPrefix(
                "linear[1]: expected an integer of at least 1") == true)
        #expect(try reason(linear, #"{"hidden": 3, "shape": "hexagon"}"#)?.hasPrefix("shape: ") == true)
        #expect(
            try reason(linear, #"{"hidden": 3, "output": "relu"}"#)?.hasPrefix("output: unknown value \"relu\"") == true
        )
        #expect(
            try reason(linear, #"{"hidden": 3, "initializer": "zeros"}"#)?.hasPrefix("initializer: unknown initializer")
                == true)
        #expect(try reason(linear, #"{"hidden": 3, "size": 1}"#) == "size: must be at least 2, found 1")
        #expect(
            try reason(linear, #"{"hidden": 3, "requiredAgreement": 1.5}"#)?.hasPrefix(
                "requiredAgreement: 1.5 is out of range") == true)
        #expect(
            try reason(linear, #"{"hidden": 3, "shape": "image:/nonexistent/x.png"}"#)?.hasPrefix("shape: ") == true)
        #expect(try reason(linear, #"{"hidden": 3}"#) == nil)
        #expect(try reason(reinit, #"{"hidden": 10}"#) == "reinitializations: missing required key")
        #expect(
            try reason(reinit, #"{"hidden": 10, "reinitializations": -1}"#)
                == "reinitializations: must be at least 0, found -1")
        #expect(
            try reason(reinit, #"{"hidden": 10, "reinitializations": 2, "linear": [3]}"#)?.hasPrefix(
                "linear: unknown key") == true)
        #expect(try reason(reinit, #"{"hidden": 10, "reinitializations": 2}"#) == nil)
    }

    @Test func shippedSpecsParseWithTheStandardCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let linear = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/painting-linear-layers.json").path, catalog: catalog)
        #expect(linear.variants.map(\.name) == ["model 1", "model 2", "model 3", "model 4"])
        #expect(linear.variants.allSatisfy { $0.trials == 30 })
        #expect(linear.tables.count == 2)
        let reinit = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/painting-reinit.json").path, catalog: catalog)
        #expect(reinit.variants.map(\.name) == ["0 / 30", "1 / 15", "2 / 10"])
        #expect(reinit.variants.map { $0.config["hidden"]?.numberValue } == [30, 15, 10])
        #expect(reinit.variants.map { $0.config["reinitializations"]?.numberValue } == [0, 1, 2])
        #expect(reinit.tables[0].comparisons.contains { $0.test == .fisher })
        #expect(reinit.tables[0].protocolNote != nil)
        // The diagnosis specs (issue 16): the same seeds as painting-reinit, without the prune.
        let noPrune = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/painting-reinit-noprune.json").path,
                                              catalog: catalog)
        #expect(noPrune.variants.map(\.name) == reinit.variants.map(\.name) && noPrune.seed == reinit.seed)
        #expect(noPrune.variants.allSatisfy { $0.config["prune"] == .bool(false) })
        let model1 = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/painting-model1-diagnosis.json").path,
                                             catalog: catalog)
        #expect(model1.variants.count == 5)
    }

    @Test func withoutThePruneEveryUnitRemains() throws {
        let trial = PaintingReinitializationTrial()
        let config = try JSONValue.parse(
            #"{"hidden": 4, "reinitializations": 0, "size": 8, "maxEpochs": 30, "prune": false}"#)
        let result = try trial.run(config: config, seed: 5)
        #expect(result.metrics["remainingNodes"] == 4 && result.metrics["prunedNodes"] == 0)
        #expect(throws: (any Error).self) {
            try trial.validate(config: JSONValue.parse(#"{"hidden": 4, "reinitializations": 0, "prune": "no"}"#))
        }
    }

    @Test func tinyRunOfEachKindFillsItsTable() throws {
        let folder = NSTemporaryDirectory() + "sculpt-painting-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = try ExperimentSpec.parse(Array("""
        {"name": "tiny-linear", "kind": "painting-linear-layers", "seed": 3, "trials": 2,
         "config": {"size": 8, "maxEpochs": 40},
         "variants": [{"name": "model 1", "config": {"hidden": 3}}, {"name": "model 3", "config": {"hidden": 3, "linear": [3, 3, 3]}}],
         "tables": [{"title": "t", "columns": [{"title": "params", "metric": "parametersTrained", "aggregate": "mean", "digits": 0},
                                               {"title": "correct", "aggregate": "count", "where": "correct == 1"}]}]}
        """.utf8), file: "tiny.json", catalog: catalog)
        let store = try ResultStore(path: folder + "/results.db")
        let summary = try ExperimentRunner(
            spec: spec, store: store, executor: InProcessExecutor(catalog: catalog), workers: 2
        ).run()
        #expect(summary.progress.done == 4 && summary.progress.failed == 0)
        let records = try store.trials(runID: spec.runID)
        let table = ExperimentTable(spec.tables[0], experiment: spec, records: records)
        #expect(table.rows.count == 2)
        #expect(records.filter { $0.variant == "model 1" }.allSatisfy { $0.metrics["parametersTrained"] == 13 })
        #expect(
            records.filter { $0.variant == "model 3" }.allSatisfy {
                $0.metrics["parametersTrained"] == 49 && $0.metrics["parametersFinal"] == 13
            })
    }
}
