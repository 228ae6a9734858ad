import SculptCore
import Foundation
import Testing
@testable import SculptExperiments
import SculptRecipes

/// The `partial-restart` trial kind: strict config reading and the shipped specs.
@Suite struct PartialRestartTrialTests {
    let catalog = TrialKindCatalog.standard

    func config(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func badConfigsFailValidationNamingTheKey() throws {
        let kind = try catalog.kind(named: "partial-restart")
        func reason(_ text: String) throws -> String {
            do { try kind.validate(config: try config(text)) } catch let e as ConfigError { return e.description }
            return ""
        }
        #expect(try reason(#"{"uselessFraction": 1.5}"#).hasPrefix("uselessFraction: must lie in (0, 1]"))
        #expect(try reason(#"{"uselessFraction": 0}"#).hasPrefix("uselessFraction:"))
        #expect(try reason(#"{"uselessFraction": 0.1, "uselessCount": 2}"#).hasPrefix("uselessCount:"))
        #expect(try reason(#"{"uselessCount": 40}"#).contains("larger than layers.0's 32 filters"))
        #expect(try reason(#"{"layers": ["layers.99"]}"#).hasPrefix("layers:"))
        #expect(try reason(#"{"layers": ["layers.10"]}"#).contains("not a Conv2D"))
        #expect(try reason(#"{"resets": ["uniform", "gaussian"]}"#).hasPrefix("resets[1]: unknown reset method"))
        #expect(try reason(#"{"resets": []}"#).hasPrefix("resets:"))
        #expect(try reason(#"{"outgoing": "drop"}"#).hasPrefix("outgoing: unknown value"))
        #expect(try reason(#"{"restart": 3}"#).hasPrefix("restart: unknown key"))
        #expect(try reason(#"{"model": "nonet"}"#).hasPrefix("model:"))
        try kind.validate(
            config: try config(
                #"{"model": "alexnet", "widthMultiplier": 0.25, "resets": ["he", "fitted"], "uselessCount": 2, "layers": ["layers.0", 3]}"#
            ))
    }

    @Test func shippedSpecsParseWithTheStandardCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let full = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/partial-restart.json").path, catalog: catalog)
        #expect(full.variants.map(\.name) == ["MiniNet", "AlexNet x0.5"] && full.tables.count == 8)
        // the paired tests within trials: both rows, paired t for each pair, Wilcoxon beside the F1 and F4 ones
        let within = full.tables.flatMap(\.comparisons).filter(\.withinTrial)
        #expect(within.count == 20 && Set(within.map { $0.rows[0] }) == ["MiniNet", "AlexNet x0.5"])
        #expect(within.filter { $0.test == .wilcoxon }.count == 8)
        let quick = try ExperimentSpec.load(
            path: root.appendingPathComponent("experiments/partial-restart-quick.json").path, catalog: catalog)
        #expect(quick.kind == "partial-restart" && quick.variants.count == 2)
        // Both follow the paper's step 1: the base trains until the validation loss stops improving.
        for spec in [full, quick] {
            guard case .object(var members) = spec.config else { Issue.record("config"); continue }
            members["resets"] = nil  // the trial kind's own key
            let settings = try PartialRestartSettings(config: .object(members))
            #expect(settings.configuration.patience != nil && settings.configuration.validationFraction != nil)
        }
    }
}
