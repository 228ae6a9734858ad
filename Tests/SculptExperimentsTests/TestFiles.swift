import Foundation
import SculptExperiments
import SculptExperimentsTestKinds

/// A fresh temporary folder for one test.
func makeTemporaryFolder() throws -> String {
    let path = NSTemporaryDirectory() + "sculpt-experiments-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to `folder/name` and returns the path.
func writeFile(_ text: String, named name: String, in folder: String) throws -> String {
    let path = folder + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Parses spec text with the test catalog.
func parseSpec(_ text: String, file: String = "spec.json") throws -> ExperimentSpec {
    try ExperimentSpec.parse(Array(text.utf8), file: file, catalog: ArithmeticTrial.catalog)
}

/// The fixture executable built beside this test binary.
func fixtureExecutable() -> String {
    let me = ProcessExecutor.currentExecutable()
    return (me as NSString).deletingLastPathComponent + "/SculptExperimentsFixture"
}

/// A two-variant spec of the arithmetic kind.
func arithmeticSpec(trials: Int = 3, extraConfig: String = "", tables: String = "[]") -> String {
    """
    {
      "name": "arithmetic-test",
      "kind": "arithmetic",
      "seed": 7,
      "trials": \(trials),
      "config": {"a": 1\(extraConfig)},
      "variants": [
        {"name": "small", "config": {"b": 1}},
        {"name": "large", "config": {"b": 10}}
      ],
      "tables": \(tables)
    }
    """
}
