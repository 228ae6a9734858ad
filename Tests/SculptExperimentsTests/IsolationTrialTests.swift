import Testing
import SculptCore
@testable import SculptExperiments

/// The repository's `experiments/` folder.
private let experimentsFolder: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/SculptExperimentsTests/<file>
    return parts.joined(separator: "/") + "/experiments"
}()

private let small: JSONValue = .object([
    "inputs": .number(24), "hidden": .number(20), "outputs": .number(16), "samples": .number(32), "bias": .bool(true),
])

private func config(_ extra: [String: JSONValue]) -> JSONValue {
    guard case .object(var members) = small else { return small }
    for (k, v) in extra { members[k] = v }
    return .object(members)
}

@Test("eigenremove-isolation: full-rank EigenRemove equals minimum weight selection; every method changes the output")
func eigenRemoveIsolationTrial() throws {
    let kind = EigenRemoveIsolationTrial()
    let result = try kind.run(config: config(["targetWidth": .number(14)]), seed: 3)
    let m = result.metrics
    #expect(m["eigenremove_r1"] == m["minweight"])
    #expect(m["removed"] == 6 && m["width"] == 14)
    for name in ["eigenremove_r0.75", "eigenremove_r0.5", "eigenremove_r0.25", "eigenremove_r0.2", "minweight",
                 "randomRemoval", "randomReplacement"] {
        #expect((m[name] ?? 0) > 0, "\(name)")
    }
    #expect(try kind.run(config: config(["targetWidth": .number(14)]), seed: 3) == result)
}

@Test("weakexpand-isolation: WeakExpand and ZeroExpand keep the outputs to float32 rounding")
func weakExpandIsolationTrial() throws {
    let m = try WeakExpandIsolationTrial().run(config: config(["targetWidth": .number(47)]), seed: 4).metrics
    #expect(m["weakexpandMaxRelative"]! <= 1e-5 && m["zeroexpandMaxRelative"]! <= 1e-5)
    #expect(m["weakexpand"]! < 1e-8 && m["zeroexpand"]! < 1e-8)
    #expect(m["randomReplacement"]! > 1)
}

@Test("isolation configs are checked: target width must shrink or grow the hidden layer, ratios in (0, 1]")
func isolationConfigErrors() {
    #expect(throws: ConfigError.self) {
        try EigenRemoveIsolationTrial().validate(config: config(["targetWidth": .number(20)]))
    }
    #expect(throws: ConfigError.self) {
        try EigenRemoveIsolationTrial().validate(
            config: config(["targetWidth": .number(10), "rankRatios": .array([.number(0)])]))
    }
    #expect(throws: ConfigError.self) {
        try WeakExpandIsolationTrial().validate(config: config(["targetWidth": .number(20)]))
    }
}

@Test("the isolation spec files load with the standard catalog", arguments: [
    "eigenremove-isolation", "eigenremove-isolation-quick", "weakexpand-isolation", "weakexpand-isolation-quick",
])
func isolationSpecsLoad(name: String) throws {
    let spec = try ExperimentSpec.load(path: experimentsFolder + "/\(name).json", catalog: .standard)
    #expect(spec.variants.count == 10)
    #expect(spec.plan().count == spec.variants.count * (name.hasSuffix("quick") ? 3 : 10))
}
