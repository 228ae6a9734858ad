import Foundation
import SculptCore
import SculptExperiments
import Testing

@Suite struct RedundancyTrialTests {
    @Test func shippedSpecsParseWithTheStandardCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for (name, variants) in [
            ("redundancy-width", 3), ("redundancy-width-quick", 3), ("redundancy-cnn", 4), ("redundancy-cnn-quick", 2),
        ] {
            let spec = try ExperimentSpec.load(
                path: root.appendingPathComponent("experiments/\(name).json").path,
                catalog: .standard)
            #expect(spec.kind == "redundancy" && spec.variants.count == variants, "\(name)")
            #expect(spec.tables.count == 4)
            // Quantities against width on a log axis, and the five cited claims with their verdicts.
            #expect(spec.figures.count == 8, "\(name)")
            #expect(spec.figures.allSatisfy { $0.kind == .line && $0.x == "width" && $0.xAxis.log }, "\(name)")
            #expect(spec.findings.count == 5 && spec.findings.allSatisfy { !($0.note ?? "").isEmpty }, "\(name)")
        }
    }

    @Test func badConfigsNameTheKey() {
        let kind = RedundancyTrial()
        #expect(throws: ConfigError.self) { try kind.validate(config: .object(["model": .string("mlp")])) }  // no width
        #expect(throws: ConfigError.self) {
            try kind.validate(config: .object(["model": .string("resnet20"), "width": .number(8)]))
        }
    }
}
