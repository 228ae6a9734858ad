import Foundation
import Testing
import SculptCore
import SculptData
import SculptNN
import SculptSurgery
@testable import SculptRecipes

/// A measurement, not a check: runs only with SCULPT_MEASURE set (e.g. "10:2:1,2,3" = width 10,
/// 2 reinitializations, seeds 1-3) and prints one JSON line per trial. Run in release.
@Test("star measurement (SCULPT_MEASURE)", .enabled(if: ProcessInfo.processInfo.environment["SCULPT_MEASURE"] != nil))
func starMeasurement() throws {
    BLAS.setThreads(1)
    let env = ProcessInfo.processInfo.environment
    let parts = env["SCULPT_MEASURE"]!.split(separator: ":")
    let width = Int(parts[0])!, reinitializations = Int(parts[1])!
    let seeds = parts[2].split(separator: ",").map { UInt64($0)! }
    let size = Int(env["SCULPT_SIZE"] ?? "64")!
    let learningRate = Float(env["SCULPT_LR"] ?? "0.001")!
    let painting = try Painting(shape: .star(points: 6), size: size)
    for seed in seeds {
        var rng = RandomSource(seed: seed)
        let layers: [LayerSpec] = [.dense(inputs: 2, outputs: width, bias: true), .activation(.relu)]
            + (0..<3).flatMap { _ in [LayerSpec.dense(inputs: width, outputs: width, bias: true),
                                      .activation(.identity)] }
            + [.dense(inputs: width, outputs: 1, bias: true), .activation(.sigmoid)]
        let net = try Network(Architecture(inputShape: [2], layers: layers), initializer: .glorotUniform, rng: &rng)
        var c = ReinitializationConfiguration()
        c.reinitializations = reinitializations
        c.maxEpochsPerPhase = Int(env["SCULPT_MAX_EPOCHS"] ?? "20000")!
        let result = try ReinitializationTraining(configuration: c)
            .run(network: net, data: painting.dataset, loss: MeanSquaredError(),
                 optimizer: Adam(learningRate: learningRate), rng: &rng)
        let assessment = try PaintingAssessor(minimalUnits: 6).assess(network: net, painting: painting)
        let sides = try SideCounter().count(network: net, size: size)
        if env["SCULPT_ASCII"] != nil {
            let y = net.predict(painting.dataset.inputs)
            for i in 0..<size { print(String((0..<size).map { y.data[i * size + $0] > 0.5 ? "#" : "." })) }
        }
        print(
            "MEASURE width=\(width) R=\(reinitializations) seed=\(seed) loss=\(result.finalLoss) active=\(result.activeUnits) remaining=\(result.remainingUnits) sides=\(sides.sides) lines=\(sides.lines) explained=\(String(format: "%.2f", sides.explainedFraction)) agreement=\(String(format: "%.4f", assessment.pixelAgreement)) epochs=\(result.totalEpochs) reverted=\(result.rounds.map(\.reverted)) reinit=\(result.rounds.map { $0.reinitializedUnits.reduce(0) { $0 + $1.units.count } }) params=\(result.parametersTrained)->\(result.parametersFinal) seconds=\(String(format: "%.1f", result.seconds))"
        )
    }
}
