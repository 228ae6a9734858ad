import Foundation
import Testing

/// Bad input to every command, table-driven: each case exits 2 with one line on stderr that names
/// the flag (or file) and creates nothing. Every case runs in a fresh empty folder; `{out}` is a
/// path inside it; `{data}`, `{root}` and `{NAME}` (a file or folder in the fixture root) are shared fixtures.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        /// Text the one line on stderr must contain (the flag, and what is wrong).
        var expected: [String]
        var testDescription: String { arguments.joined(separator: " ") }

        init(_ arguments: String, _ expected: String...) {
            self.arguments = arguments.split(separator: " ").map(String.init)
            self.expected = expected
        }
    }

    /// The shared inputs, written once.
    nonisolated(unsafe) static var fixtureRoot: String?
    struct Fixture: Sendable {
        let root: String

        init() {
            root = PaintCommandTests.temporaryFolder()
            // Shared by every case of the run, so removed when the test process exits.
            BadInputTests.fixtureRoot = root
            atexit { if let root = BadInputTests.fixtureRoot { try? FileManager.default.removeItem(atPath: root) } }
            let fm = FileManager.default
            try? TrainCommandTests.writeData(root + "/data")
            try? TrainCommandTests.model.write(toFile: root + "/dense.json", atomically: true, encoding: .utf8)
            try? TrainCommandTests.convModel.write(toFile: root + "/conv.json", atomically: true, encoding: .utf8)
            let mlp =
                #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 16}, "#
                + #"{"type": "relu"}, {"type": "dense", "inputs": 16, "outputs": 10}]}"#
            try? mlp.write(toFile: root + "/mlp.json", atomically: true, encoding: .utf8)
            let huge =
                #"{"inputShape": [1, 8, 8], "layers": [{"type": "flatten"}, {"type": "dense", "inputs": 64, "outputs": 1000000000}]}"#
            try? huge.write(toFile: root + "/huge.json", atomically: true, encoding: .utf8)
            try? "not a folder".write(toFile: root + "/file", atomically: true, encoding: .utf8)
            let spec = { (trials: String, metric: String) in
                #"{"name": "t", "kind": "painting-linear-layers", "trials": \#(trials), "config": {"hidden": 3, "linear": [], "size": 8}, "#
                    + #""tables": [{"title": "T", "columns": [{"title": "m", "metric": "\#(metric)", "aggregate": "mean"}]}]}"#
            }
            try? spec("1000000000000", "loss").write(toFile: root + "/absurd-trials.json", atomically: true,
                                                     encoding: .utf8)
            try? spec("1", "nope").write(toFile: root + "/bad-metric.json", atomically: true, encoding: .utf8)
            try? spec("1", "loss").write(toFile: root + "/good.json", atomically: true, encoding: .utf8)
            try? fm.createDirectory(atPath: root + "/checkpoint", withIntermediateDirectories: true)
            _ = try? PaintCommandTests.sculpt(["train", "--model", root + "/dense.json", "--data",
                                               "mnist:" + root + "/data",
                                               "--epochs", "1", "--out", root + "/checkpoint"])
        }

        func expand(_ argument: String, out: String) -> String {
            argument.replacingOccurrences(of: "{out}", with: out)
                .replacingOccurrences(of: "{data}", with: "mnist:" + root + "/data")
                .replacingOccurrences(of: "{root}", with: root)
                .replacingOccurrences(of: "{", with: root + "/").replacingOccurrences(of: "}", with: "")
        }
    }

    static let fixture = Fixture()

    static let cases: [Case] = [
        // train
        Case("train --model mlp --width 1e9 --data {data} --out {out}", "--width"),
        Case("train --model mlp --width 1e30 --data {data} --out {out}", "--width"),
        Case("train --model {huge.json} --data {data} --out {out}", "--model", "exceeds"),
        Case("train --model {dense.json} --data {data} --max-memory 1K --out " +
             "{out}", "--model", "needs an estimated", "--max-memory"),
        Case("train --model {dense.json} --data {data} --max-memory lots --out {out}", "--max-memory lots"),
        Case("train --model {dense.json} --data {data} --batch -5 --out {out}", "--batch", "-5"),
        Case("train --model {dense.json} --data {data} --epochs -1 --out {out}", "--epochs"),
        Case("train --model {dense.json} --data {data} --momentum 1e30 --out {out}", "--momentum", "[0, 1)"),
        Case("train --model {dense.json} --data mnist:{file} --out {out}", "--data", "is a file, not a data directory"),
        Case("train --data {data} --resume {file}", "--resume", "is a file, not a checkpoint folder"),
        Case("train --data {data} --resume {checkpoint} --seed 3", "--seed 3 differs"),
        // schedule
        Case("schedule --model {dense.json} --data {data} --at 1:zero-expand:fc1:to=1000000000 --out " +
             "{out}", "--at", "to=1000000000"),
        Case("schedule --model mlp --width 1e9 --data {data} --at 1:freeze:fc1 --out {out}", "--width"),
        Case("schedule --model {dense.json} --data {data} --probe-samples -1 --at 1:freeze:fc1", "--probe-samples"),
        // partial
        Case("partial --model {conv.json} --data {data} --members 1000000000 --out {out}", "--members"),
        Case("partial --model cnn-small --width 1e30 --data {data} --out {out}", "--width"),
        Case("partial --model {conv.json} --data {data} --batch -5 --out {out}", "--batch"),
        // lottery
        Case("lottery --model mlp:1000000000 --data {data} --out {out}", "--model mlp:1000000000"),
        Case("lottery --model {dense.json} --data {data} --init uniform:5:1 --out " +
             "{out}", "--init", "low (5) must be below high (1)"),
        Case("lottery --model {dense.json} --data {data} --batch -5 --out {out}", "--batch"),
        // restart
        Case("restart --model cnn-small --width 1e9 --data {data} --out {out}", "--width"),
        Case("restart --model {conv.json} --data {data} --patience 3 --out {out}", "--patience",
             "validation fraction"),
        Case("restart --model {conv.json} --data {data} --validation-fraction 1 --out {out}",
             "--validation-fraction", "(0, 1)"),
        Case("restart --model {conv.json} --data {data} --resume --out {out}", "--resume", "holds no partial restart"),
        Case("restart --model {conv.json} --data {data} --resume --out " +
             "{checkpoint}", "--resume", "holds no partial restart"),
        // paint
        Case("paint --hidden 1000000000 --out {out}", "--hidden"),
        Case("paint --shape polygon:1000000000 --out {out}", "--shape polygon:1000000000"),
        Case("paint --size 100000 --out {out}", "--size 100000"),
        Case("paint --init uniform:5:1 --out {out}", "--init", "low (5) must be below high (1)"),
        Case("paint --batch -5 --out {out}", "--batch"),
        Case("paint --out {root}", "--out", "not a painting"),
        Case("paint --out {checkpoint}", "--out", "--overwrite"),
        // inspect
        Case("inspect {checkpoint} --data painting:square:100000", "--data painting:square:100000", "4096"),
        Case("inspect {checkpoint} --data {data} --samples -3", "--samples"),
        Case("inspect {file} --data {data}", "is a file, not a checkpoint folder"),
        // bench
        Case("bench --workloads gemm --gemm-size 1000000", "--gemm-size"),
        Case("bench --workloads gemm --gemm-size 40000 --max-memory 1G", "--gemm-size 40000", "needs an estimated"),
        // eval
        Case("eval {file} --data {data}", "is a file, not a checkpoint folder"),
        Case("eval {checkpoint} --data mnist:{nowhere}", "--data", "does not exist"),
        // analyze
        Case("analyze {checkpoint} --data {data} --tolerance inf --out {out}", "--tolerance inf", "finite"),
        // run and table
        Case("run {absurd-trials.json} --db {out}", "trials"),
        Case("table {bad-metric.json} --db {out}", "unknown metric \"nope\""),
        Case("table {good.json} --db {file}", "--db"),
    ]

    @Test(arguments: cases)
    func badInput(_ c: Case) throws {
        let folder = PaintCommandTests.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixtureBefore = try FileManager.default.contentsOfDirectory(atPath: Self.fixture.root).sorted()
        let arguments = c.arguments.map { Self.fixture.expand($0, out: folder + "/out") }
        let r = try PaintCommandTests.sculpt(arguments, in: folder)
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("sculpt: error: ") && r.stderr.hasSuffix("\n"), "\(r.stderr)")
        #expect(r.stderr.dropLast().split(separator: "\n").count == 1, "\(r.stderr)")
        for text in c.expected { #expect(r.stderr.contains(text), "\(r.stderr)") }
        // Nothing created: the case's folder stays empty, the fixtures keep their files.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: Self.fixture.root).sorted() == fixtureBefore)
    }
}
