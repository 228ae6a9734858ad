import SculptCore
import SculptData
import SculptIO
import SculptNN
import Testing
import TestSupport

@Suite(.serialized) struct ResumeTests {
    /// Train 2 epochs, save, load, train 1 more == train 3 epochs straight, bit for bit.
    @Test(arguments: [Fixtures.sgd, Fixtures.adam])
    func resumeEqualsStraightRun(_ optimizer: OptimizerConfiguration) throws {
        BLAS.setThreads(1)
        let dir = TemporaryDirectory("resume")
        defer { dir.remove() }
        let straight = try Fixtures.trainedRun(optimizer, epochs: 3, mask: true)

        let first = try Fixtures.trainedRun(optimizer, epochs: 2, mask: true)
        try first.checkpoint().save(to: dir.path)
        let resumed = try TrainingRun(resuming: try Checkpoint.load(from: dir.path))
        #expect(resumed.completedEpochs == 2)
        try resumed.runEpoch(train: Fixtures.data())

        #expect(sameState(resumed.network, straight.network))
        #expect(resumed.rng == straight.rng)
        #expect(resumed.completedEpochs == 3)
        #expect(resumed.reports.map(\.epoch) == [1, 2, 3])
        #expect(resumed.reports.map(\.loss) == straight.reports.map(\.loss))
        // the frozen unit did not move
        var initRNG = RandomSource(seed: 1)
        let w0 = try Network(Fixtures.mlp(), rng: &initRNG).namedParameters[0].parameter.value
        for j in 0..<6 { #expect(resumed.network.namedParameters[0].parameter.value.data[j] == w0.data[j]) }
    }

    /// Same with image data, a train/validation split and crop/flip augmentation drawing from the run's generator.
    @Test func resumeWithAugmentationAndValidation() throws {
        BLAS.setThreads(1)
        let dir = TemporaryDirectory("resume")
        defer { dir.remove() }
        var pixelRNG = RandomSource(seed: 2)
        let images = ImageDataset(pixels: (0..<(24 * 3 * 8 * 8)).map { _ in UInt8(pixelRNG.index(below: 256)) },
                                  labels: (0..<24).map { Int32($0 % 3) }, channels: 3, height: 8, width: 8, classes: 3)
        let (train, validation) = try images.split(validationFraction: 0.25, seed: 5)
        let architecture = Fixtures.mlp(inputs: 192)
        func run(epochs: Int, from start: TrainingRun? = nil) throws -> TrainingRun {
            let r: TrainingRun
            if let start { r = start } else {
                var rng = RandomSource(seed: 8)
                let network = try Network(architecture, rng: &rng)
                r = try TrainingRun(
                    network: network,
                    configuration: TrainingConfiguration(
                        optimizer: Fixtures.sgd, batchSize: 5, seed: 8,
                        validationFraction: 0.25, augmentation: true), rng: rng)
            }
            for _ in 0..<epochs {
                try r.runEpoch(
                    train: ReshapedDataset(train, inputShape: [192]),
                    validation: ReshapedDataset(validation, inputShape: [192]),
                               augmentation: RandomCropFlip(padding: 2, imageShape: [3, 8, 8]))
            }
            return r
        }
        let straight = try run(epochs: 3)
        try run(epochs: 2).checkpoint().save(to: dir.path)
        let resumed = try run(epochs: 1, from: try TrainingRun(resuming: try Checkpoint.load(from: dir.path)))
        #expect(sameState(resumed.network, straight.network))
        #expect(resumed.reports.last?.validationLoss == straight.reports.last?.validationLoss)
        #expect(resumed.reports.last?.validationLoss != nil)
    }
}
