import SculptCore
import Foundation
import Testing
@testable import SculptExperiments

/// The partial-training and cheap-ensembles kinds: strict configs, a tiny real run on
/// Fashion-MNIST (skipped where the dataset is not installed), and the figure's fit.
@Suite struct PartialTrainingTrialTests {
    let catalog = TrialKindCatalog.standard
    static let hasFashionMNIST = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")

    func config(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func badModesFailValidationNamingTheKey() throws {
        let kind = try catalog.kind(named: "partial-training")
        for (text, fragment) in [
            (#"{"mode": "filters:1.5"}"#, "(0, 1]"), (#"{"mode": "count:64"}"#, "layer layers.0 has only 32"),
            (#"{"mode": "block:layers.40"}"#, "unknown block"), (#"{"mode": "filters:0.1", "rest": "gone"}"#, "rest"),
                                 (#"{"mode": "all", "epoch": 3}"#, "unknown key")] {
            #expect(throws: ConfigError.self) { try kind.validate(config: try config(text)) }
            do { try kind.validate(config: try config(text)) } catch {
                #expect("\(error)".contains(fragment), "\(error)")
            }
        }
        try kind.validate(config: try config(#"{"mode": "count:10", "rest": "zeroed", "batchNorm": true}"#))
        let ensembles = try catalog.kind(named: "cheap-ensembles")
        #expect(throws: ConfigError.self) {
            try ensembles.validate(config: try config(#"{"mode": "filters:0.1", "rest": "zeroed"}"#))
        }
        #expect(throws: ConfigError.self) { try ensembles.validate(config: try config(#"{"members": 3}"#)) }
    }

    @Test func batchNormIsInsertedAfterConvolutionsAndHiddenLayersOnly() throws {
        let reader = try ConfigReader(try config(#"{"batchNorm": true}"#))
        let c = try PartialTrialConfig(reading: reader, defaultMode: "all", defaultEpochs: 1)
        let summaries = try c.architecture("").layers.map(\.summary)
        #expect(summaries.filter { $0.hasPrefix("batchnorm") } == ["batchnorm(32)", "batchnorm(64)", "batchnorm(128)"])
        #expect(summaries.last == "dense(128 -> 10)")
    }

    @Test(.enabled(if: hasFashionMNIST)) func tinyPartialTrialIsDeterministic() throws {
        let kind = try catalog.kind(named: "partial-training")
        let c = try config(#"""
            {"model": "cnn-small", "widthMultiplier": 0.125, "batchNorm": true, "trainLimit": 256, "testLimit": 200,
             "epochs": 1, "batchSize": 32, "mode": "filters:0.5", "rest": "zeroed", "denseLayers": "split"}
            """#)
        try kind.validate(config: c)
        let m = try kind.run(config: c, seed: 3).metrics
        // Width 0.125: conv 1->4, conv 4->8, fc 392->16, fc 16->10, BN 4, 8, 16.
        // Learned: 2 filters (9+1), 4 filters (36+1), 8 units (392+1), classifier 170, BN 2*(4+8+16).
        let learned: Double = 20 + 148 + 3144 + 170 + 56, total: Double = 40 + 296 + 6288 + 170 + 56
        #expect(m["learnedParameters"] == learned)
        #expect(m["totalParameters"] == total)
        #expect(m["zeroed"] == 1 && m["fraction"] == 0.5)
        #expect((0...1).contains(m["accuracy"] ?? -1))
        let again = try kind.run(config: c, seed: 3).metrics
        #expect(again["accuracy"] == m["accuracy"] && again["trainLoss"] == m["trainLoss"])
    }

    @Test(.enabled(if: hasFashionMNIST)) func tinyCheapEnsembleReportsTable4() throws {
        let kind = try catalog.kind(named: "cheap-ensembles")
        let c = try config(#"""
            {"model": "cnn-small", "widthMultiplier": 0.125, "trainLimit": 256, "testLimit": 100, "members": 2,
             "batchSize": 32, "mode": "classifier"}
            """#)
        let m = try kind.run(config: c, seed: 1).metrics
        #expect(m["learnedParametersPerMember"] == 170 && m["learnedParameters"] == 340)
        #expect(m["storedParameters"] == (m["sharedParameters"] ?? 0) + 340)
        #expect((0...1).contains(m["ensembleAccuracy"] ?? -1))
    }

    func record(_ variant: String, _ metrics: [String: Double]) -> TrialRecord {
        TrialRecord(
            runID: "r", specName: "s", kind: "partial-training", variant: variant, index: 0, seed: 0,
            config: .object([:]),
            metrics: metrics, details: nil, status: .done, error: nil, startedAt: "", finishedAt: "", seconds: 0,
            host: "")
    }

    @Test func figurePairsFixedWithZeroedAndFitsEach() throws {
        let records = [
            record("a", ["fraction": 0.1, "zeroed": 0, "accuracy": 0.8, "learnedFraction": 0.1]),
            record("b", ["fraction": 0.1, "zeroed": 1, "accuracy": 0.6, "learnedFraction": 0.1]),
            record("c", ["fraction": 1, "zeroed": 0, "accuracy": 0.9, "learnedFraction": 1]),
            record("d", ["fraction": 1, "zeroed": 1, "accuracy": 0.9, "learnedFraction": 1]),
            record("k", ["fraction": .nan, "zeroed": 0, "accuracy": 0.5, "learnedFraction": 0.05]),
        ]
        let figure = PartialTrainingFigure(records: records)
        #expect(figure.rows.map(\.fraction) == [0.1, 1])
        #expect(figure.rows[0].fixedAccuracy == 0.8 && figure.rows[0].zeroedAccuracy == 0.6)
        let fixed = try #require(figure.fixedFit), zeroed = try #require(figure.zeroedFit)
        #expect(abs(fixed.slope - 0.1 / log(10)) < 1e-12 && abs(fixed.intercept - 0.9) < 1e-12)
        #expect(abs(zeroed.slope - 0.3 / log(10)) < 1e-12)
        #expect(figure.markdown.contains("| 0.10 | 0.1000 | 0.8000 | 0.6000 | 2 |"))
    }
}
