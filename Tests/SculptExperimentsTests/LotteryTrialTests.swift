import SculptCore
import SculptNN
import SculptRecipes
import Foundation
import Testing
@testable import SculptExperiments

/// The `lottery` trial kind: strict config reading, and one tiny search on real Fashion-MNIST.
@Suite struct LotteryTrialTests {
    let catalog = TrialKindCatalog.standard

    func config(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func badConfigsFailValidationNamingTheKey() throws {
        let kind = try catalog.kind(named: "lottery")
        func reason(_ text: String) throws -> String {
            do { try kind.validate(config: try config(text)) } catch let e as ConfigError { return e.description }
            return ""
        }
        #expect(try reason(#"{"rate": 1.5}"#).hasPrefix("rate: 1.5 is out of range"))
        #expect(try reason(#"{"rounds": 2, "rewind": 3}"#).hasPrefix("rewind: unknown key"))
        #expect(try reason(#"{"scope": "everywhere"}"#).hasPrefix("scope: unknown value"))
        #expect(
            try reason(#"{"model": "resnet20", "data": "cifar10:/nowhere", "structured": true}"#).contains(
                "structured pruning handles sequential"))
        #expect(try reason(#"{"model": "mlp:300,x"}"#).hasPrefix("model:"))
        #expect(try reason(#"{"optimizer": "adam", "momentum": 0.9}"#).hasPrefix("momentum:"))
        try kind.validate(
            config: try config(#"{"model": "cnn-small", "structured": true, "norm": "l2", "scope": "global"}"#))
    }

    /// The words `sculpt lottery` and `sculpt restart` print for the same bad values
    /// (`LotteryCommandTests.flagsAreReadByTheTrialKindsReader`): one reader.
    static let sharedReasons = [
        "rate": "1.5 is out of range 1e-09...0.999999",
        "initializer": "unknown initializer; use pytorch, glorot, glorot-normal, he, he-uniform, uniform:LOW:HIGH or "
            + "normal:MEAN:STD (found \"zeros\")",
        "uselessFraction": "must lie in (0, 1], found 1.5",
    ]

    @Test func theSettingsReaderGivesTheWordsTheCommandsPrint() throws {
        func reason(_ text: String, restart: Bool = false) throws -> String {
            do {
                if restart { _ = try PartialRestartSettings(config: try config(text)) } else {
                    _ = try LotteryTicketSettings(config: try config(text))
                }
            } catch let e as ConfigError { return e.description }
            return ""
        }
        #expect(try reason(#"{"rate": 1.5}"#) == "rate: " + Self.sharedReasons["rate"]!)
        #expect(try reason(#"{"initializer": "zeros"}"#) == "initializer: " + Self.sharedReasons["initializer"]!)
        #expect(try reason(#"{"uselessFraction": 1.5}"#, restart: true)
                == "uselessFraction: " + Self.sharedReasons["uselessFraction"]!)
        // Both read mlp:W1,W2 through Architecture.builtin.
        let settings = try LotteryTicketSettings(config: try config(#"{"model": "mlp:30,10", "trainingSamples": 60}"#))
        #expect(settings.model == "mlp:30,10" && settings.trainingSamples == 60 && settings.testSamples == nil)
        let mlp = try Architecture.builtin(named: settings.model, inputShape: [1, 28, 28], classes: 10)
        #expect(mlp.layers.compactMap { if case .dense(_, let o, _) = $0 { o } else { nil } } == [30, 10, 10])
    }

    @Test func shippedSpecsParseWithTheStandardCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let full = try ExperimentSpec.load(path: root.appendingPathComponent("experiments/lottery.json").path,
                                           catalog: catalog)
        #expect(full.variants.count == 4 && full.tables.count == 4)
        #expect(full.variants.map { $0.config["rewindStep"]?.numberValue } == [0, 500, 0, 0])
        let quick = try ExperimentSpec.load(path: root.appendingPathComponent("experiments/lottery-quick.json").path,
                                            catalog: catalog)
        #expect(quick.variants.map { $0.config["structured"] } == [.bool(false), .bool(true)])
    }

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz")))
    func tinySearchReportsEveryRound() throws {
        let kind = try catalog.kind(named: "lottery")
        let c = try config(#"""
            {"model": "mlp:32", "trainingSamples": 600, "testSamples": 300, "rounds": 2, "rate": 0.5,
             "epochs": 1, "batchSize": 60, "learningRate": 0.002}
            """#)
        try kind.validate(config: c)
        let m = try kind.run(config: c, seed: 5).metrics
        // 784x32 hidden and 32x10 output weights; half the hidden and a quarter of the output per round.
        let total = 784.0 * 32 + 320
        #expect(m["remaining0"] == 100)
        #expect(m["remaining1"] == 100 * (12_544 + 240) / total)
        #expect(m["remaining2"] == 100 * (6_272 + 180) / total)
        #expect(m["finalRemaining"] == m["remaining2"])
        for key in ["accuracy0", "accuracy1", "accuracy2", "control1", "control2"] {
            #expect((0.3...1).contains(m[key] ?? -1), "\(key) = \(m[key] ?? .nan)")
        }
        #expect(m["control0"] == nil)
        #expect(
            m["denseAccuracy"] == m["accuracy0"] && m["finalAccuracy"] == m["accuracy2"]
                && m["finalControl"] == m["control2"])
        let again = try kind.run(config: c, seed: 5).metrics
        for key in m.keys where key != "seconds" { #expect(again[key] == m[key], "\(key)") }
    }
}
