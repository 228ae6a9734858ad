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
        #expect(r.stderr.hasPrefix("sculpt: error: training diverged: loss is "), "\(r.stderr)")
        #expect(
            r.stderr.contains(" at epoch ") && r.stderr.contains(", batch ")
                && r.stderr.contains("(first non-finite layer: "),
                "\(r.stderr)")
        #expect(r.stderr.dropLast().split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }
}
