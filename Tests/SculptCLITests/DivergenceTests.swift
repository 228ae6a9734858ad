import Foundation
import Testing

/// Every training command on a dense and a conv model with an absurd learning rate: one line
/// "training diverged: loss is nan at epoch E, batch B (first non-finite layer: L)", exit 2, and
/// no output left behind (no crash in the progress formatting, no untrained checkpoint).
@Suite struct DivergenceTests {
    static var fixture: BadInputTests.Fixture { BadInputTests.fixture }

    static let cases: [BadInputTests.Case] = [
        .init("train --model {mlp.json} --data {data} --epochs 2 --lr 1e38 --out {out}"),
        .init("train --model {conv.json} --data {data} --epochs 2 --lr 1e38 --out {out}"),
        .init("schedule --model {mlp.json} --data {data} --epochs 2 --lr 1e38 --at 1:freeze:fc1 --out {out}"),
        .init("schedule --model {conv.json} --data {data} --epochs 2 --lr 1e38 --at 1:freeze:conv1 --out {out}"),
        .init("partial --model {mlp.json} --data {data} --epochs 2 --lr 1e38 --out {out}"),
        .init("partial --model {conv.json} --data {data} --epochs 2 --lr 1e38 --out {out}"),
        .init("partial --model {conv.json} --data {data} --members 2 --lr 1e38 --out {out}"),
        .init("lottery --model {mlp.json} --data {data} --epochs 2 --rounds 1 --lr 1e38 --out {out}"),
        .init("lottery --model {conv.json} --data {data} --epochs 2 --rounds 1 --lr 1e38 --out {out}"),
        .init("restart --model {conv.json} --data {data} --epochs-high 2 --epochs-low 0 --restarts 1 " +
              "--restart-epochs-high 1 "
              + "--restart-epochs-low 0 --measure-samples 8 --lr 1e38 --out {out}"),
        .init("paint --size 8 --hidden 6 --epochs 50 --lr 1e38 --out {out}"),
        .init("paint --size 8 --hidden 6 --reinit 1 --epochs 50 --lr 1e38 --out {out}"),
    ]

    @Test(arguments: cases)
    func divergence(_ c: BadInputTests.Case) throws {
        let folder = PaintCommandTests.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let arguments = c.arguments.map { Self.fixture.expand($0, out: folder + "/out") }
        let r = try PaintCommandTests.sculpt(arguments, in: folder)
        #expect(r.status == 2, "\(r.stderr)")
        // The error is one line, the last; stderr is a pipe here, so the epochs that ran before may precede it as
        // time-stamped log lines ("[2026-...Z] epoch 1/2: loss ...").
        let lines = r.stderr.dropLast().split(separator: "\n")
        let error = String(lines.last ?? "")
        #expect(error.hasPrefix("sculpt: error: training diverged: loss is "), "\(r.stderr)")
        #expect(
            error.contains(" at epoch ") && error.contains(", batch ") && error.contains("(first non-finite layer: "),
                "\(r.stderr)")
        #expect(r.stderr.hasSuffix("\n") && lines.dropLast().allSatisfy { $0.hasPrefix("[20") }, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
