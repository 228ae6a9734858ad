import Foundation
import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptRecipes

@Suite struct PaintingJobTests {
    static let invalidJobs: [(job: PaintingJob, flag: String)] = [
        (PaintingJob(size: 1), "--size"),
        (PaintingJob(size: 5000), "--size"),
        (PaintingJob(hidden: 0), "--hidden"),
        (PaintingJob(linear: [3, 0, 3]), "--linear"),
        (PaintingJob(epochs: 0), "--epochs"),
        (PaintingJob(patience: -1), "--patience"),
        (PaintingJob(batch: 0), "--batch"),
        (PaintingJob(learningRate: 0), "--lr"),
        (PaintingJob(learningRate: -0.1), "--lr"),
        (PaintingJob(learningRate: .nan), "--lr"),
        (PaintingJob(minDelta: -1), "--min-delta"),
        (PaintingJob(outputActivation: .relu), "--output"),
    ]

    @Test(arguments: PaintingJobTests.invalidJobs)
    func invalidFieldsNameTheirFlag(_ case: (job: PaintingJob, flag: String)) {
        let (job, flag) = `case`
        #expect { try job.validate() } throws: { error in
            guard case PaintingJobError.invalid(let f, _, _) = error else { return false }
            return f == flag && "\(error)".hasPrefix(flag + " ")
        }
        #expect(throws: PaintingJobError.self) { try job.run() }
    }

    @Test func unreadableImageIsReportedOnShape() {
        let job = PaintingJob(shape: .image(path: "/nonexistent/picture.png"))
        #expect { try job.makePainting() } throws: { error in
            guard case PaintingJobError.invalid("--shape", "image:/nonexistent/picture.png",
                                                _) = error else { return false }
            return true
        }
    }

    @Test func architectureMatchesThePaperModels() throws {
        var rng = RandomSource(seed: 0)
        // Model 2 (Fig. 4a, one linear layer of 9) has 55 parameters with biases, as the paper counts.
        // Model 1 (Fig. 1) has 13 with biases; the paper's "9" counts its weights only.
        #expect(try Network(PaintingJob(hidden: 3).architecture, rng: &rng).parameterCount == 13)
        #expect(try Network(PaintingJob(hidden: 3, linear: [9]).architecture, rng: &rng).parameterCount == 55)
        #expect(PaintingJob(hidden: 3, linear: [9]).architecture.layers == [
            .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu),
            .dense(inputs: 3, outputs: 9, bias: true), .activation(.identity),
            .dense(inputs: 9, outputs: 1, bias: true), .activation(.sigmoid),
        ])
    }

    @Test func jobRoundTripsThroughJSONAndFillsDefaults() throws {
        let job = PaintingJob(shape: .star(points: 6), size: 32, hidden: 6, linear: [3, 3], epochs: 10, patience: 5,
                              batch: 64,
                              learningRate: 0.01, seed: 7, minDelta: 1e-6, initializer: .glorotUniform)
        let data = try JSONEncoder().encode(job)
        #expect(try JSONDecoder().decode(PaintingJob.self, from: data) == job)
        let partial = try JSONDecoder().decode(PaintingJob.self,
                                               from: Data(#"{"shape": "circle", "linear": [9]}"#.utf8))
        #expect(partial == PaintingJob(shape: .circle, linear: [9]))
    }

    @Test func shortRunOnASmallSquareLowersTheLoss() throws {
        let job = PaintingJob(shape: .square, size: 8, hidden: 3, linear: [9], epochs: 60, patience: 100, batch: 16,
                              learningRate: 0.01, seed: 3, initializer: .glorotUniform)
        var rng = RandomSource(seed: job.seed)
        let untrained = try Network(job.architecture, initializer: job.initializer, rng: &rng)
        let painting = try job.makePainting()
        let data = painting.dataset
        let before = MeanSquaredError().compute(prediction: untrained.predict(data.inputs), target: data.targets,
                                                gradient: nil)
        let result = try job.run()
        #expect(result.epochs == 60 && result.stopReason == .maxEpochs)
        #expect(result.finalLoss < 0.5 * before)
        #expect(result.parameterCount == 55)
        // finalLoss is the MSE over all 64 pixels of the trained network.
        let after = MeanSquaredError().compute(prediction: result.network.predict(data.inputs), target: data.targets,
                                               gradient: nil)
        #expect(abs(after - result.finalLoss) <= 1e-6 * Swift.max(1, after))
    }

    @Test func earlyStoppingEndsAPlateau() throws {
        // Learning rate tiny enough that the loss stops improving by more than minDelta at once.
        let result = try PaintingJob(size: 8, epochs: 1000, patience: 3, learningRate: 1e-7, minDelta: 0.1).run()
        #expect(result.stopReason == .earlyStopping && result.epochs == 4)
    }

    @Test func sameSeedGivesBitwiseIdenticalRuns() throws {
        BLAS.setThreads(1)
        let job = PaintingJob(size: 12, hidden: 3, linear: [3, 3], epochs: 15, patience: 100, batch: 32,
                              learningRate: 0.005, seed: 42)
        let a = try job.run(), b = try job.run()
        #expect(a.finalLoss.bitPattern == b.finalLoss.bitPattern)
        #expect(a.history.epochs.map(\.loss) == b.history.epochs.map(\.loss))
        for (p, q) in zip(a.network.parameters, b.network.parameters) { #expect(p.value == q.value) }
        var other = job
        other.seed = 43
        #expect(try other.run().finalLoss != a.finalLoss)
    }
}
