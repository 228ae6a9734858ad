import SculptCore
import Foundation
import Testing
@testable import SculptExperiments

/// The `interruptible` trial kind (Graham 2019, Tables 4.1-4.4): strict config reading, the
/// schedule it builds, and the shipped specs.
@Suite struct InterruptibleTrialTests {
    let catalog = TrialKindCatalog.standard

    func config(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func badConfigsFailValidationNamingTheKey() throws {
        let kind = try catalog.kind(named: "interruptible")
        func reason(_ text: String) throws -> String {
            do { try kind.validate(config: try config(text)) } catch let e as ConfigError { return e.description }
            return ""
        }
        #expect(
            try reason(#"{"method": "eigenremove", "ratio": 1}"#).hasPrefix(
                "ratio: the fraction of units a compression keeps must lie in (0, 1)"))
        #expect(
            try reason(#"{"method": "expand", "ratio": -0.25}"#).hasPrefix(
                "ratio: the fraction of units an expansion adds must be positive"))
        #expect(try reason(#"{"method": "none", "ratio": 0.5}"#).hasPrefix("ratio: method \"none\" takes no ratio"))
        #expect(try reason(#"{"method": "shrink", "ratio": 0.5}"#).hasPrefix("method: unknown value"))
        #expect(try reason(#"{"ratio": 0.5}"#).hasPrefix("method:"))
        // The thesis's VGG16 has 11 convolutions: c12 does not exist (checked before any training).
        #expect(
            try reason(#"{"method": "minweight", "ratio": 0.5, "layers": ["c10", "c12"]}"#).contains(
                "schedule entry 2 (3:minweight:c12:0.5)"))
        // Ten operations after epoch 2, one per epoch: the last at epoch 11 needs 11 epochs.
        #expect(
            try reason(#"{"method": "minweight", "ratio": 0.5, "epochs": 10}"#).contains(
                "after the run's last epoch 10"))
        #expect(try reason(#"{"method": "minweight", "ratio": 0.5, "epoch": 10}"#).hasPrefix("epoch: unknown key"))
        try kind.validate(
            config: try config(#"{"method": "eigenremove", "ratio": 0.25, "rankRatio": 0.125, "epochs": 11}"#))
        // f4 is the classifier: its units are the outputs.
        #expect(
            try reason(#"{"method": "zero-expand", "ratio": 0.75, "layers": ["f4"], "epochs": 3}"#).contains(
                "the network's outputs"))
        try kind.validate(
            config: try config(
                #"{"method": "zero-expand", "ratio": 0.75, "layers": ["layers.0", "f3"], "firstEpoch": 0, "every": 3, "epochs": 3}"#
            ))
    }

    @Test func theScheduleFollowsTheThesissOrder() throws {
        let s = try InterruptibleTrial().read(
            try config(#"{"method": "eigenremove", "ratio": 0.75, "firstEpoch": 2, "every": 1}"#))
        let schedule = s.schedule()
        #expect(schedule.entries.map(\.epoch) == Array(2...11))
        #expect(schedule.entries.map { $0.operation.layer ?? "" } == InterruptibleTrial.thesisLayerOrder)
        #expect(schedule.entries.allSatisfy { $0.operation.rankRatio == 0.125 && $0.operation.fraction == 0.75 })
        #expect(try InterruptibleTrial().read(try config(#"{"method": "none"}"#)).schedule().entries.isEmpty)
    }

    @Test func shippedSpecsParseWithTheStandardCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let full = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/interruptible-vgg.json").path, catalog: catalog)
        #expect(full.variants.count == 26 && full.pairedSeeds)
        // Every test compares one value per run: Mann-Whitney (declared first) and the paired t by ratio and seed.
        #expect(full.tables.first?.comparisons.map(\.test) == [.mannWhitney, .pairedT])
        let quick = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/interruptible-vgg-quick.json").path, catalog: catalog)
        #expect(quick.kind == "interruptible" && quick.variants.count == 11)
    }
}
