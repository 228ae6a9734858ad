import SculptBenchmarks
import SculptCore
import SculptData
import SculptNN
import Testing
import TestSupport

/// W2 and W3 definitions, run on a tiny generated Fashion-MNIST-shaped folder (no timed assertions).
@Suite(.serialized) struct ClassifierWorkloadTests {
    /// Writes `train` and `test` 28x28 images (labels `i % 10`, pixels depending on the label) in the MNIST layout.
    static func writeFolder(_ dir: String, train: Int, test: Int) throws {
        for (prefix, n) in [("train", train), ("t10k", test)] {
            let pixels: [UInt8] = (0..<(n * 784)).map { (k: Int) -> UInt8 in
                let label: Int = k / 784 % 10, position: Int = k % 784
                return UInt8((label * 25 + position * 7) % 256)
            }
            try IDX.write(
                IDXArray(dimensions: [n, 28, 28], values: pixels), to: dir + "/\(prefix)-images-idx3-ubyte.gz",
                compressed: true)
            try IDX.write(IDXArray(dimensions: [n], values: (0..<n).map { UInt8($0 % 10) }),
                          to: dir + "/\(prefix)-labels-idx1-ubyte.gz", compressed: true)
        }
    }

    @Test func mlpIsThePeerModel() throws {
        let architecture = try MLPBenchmark.architecture()
        #expect(architecture.inputShape == [1, 28, 28])
        #expect(architecture.layers == [
            .flatten, .dense(inputs: 784, outputs: 512, bias: true), .activation(.relu),
                .dense(inputs: 512, outputs: 512, bias: true), .activation(.relu),
                .dense(inputs: 512, outputs: 10, bias: true),
        ])
        var rng = RandomSource(seed: 0)
        let parameters: Int = 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10
        #expect(try Network(architecture, rng: &rng).parameterCount == parameters)
        #expect(
            MLPBenchmark.learningRate == 0.05 && MLPBenchmark.momentum == 0.9 && ClassifierTraining.batchSize == 128)
    }

    @Test func cnnIsThePeerModel() throws {
        let architecture = try CNNBenchmark.architecture()
        #expect(architecture.inputShape == [1, 28, 28])
        #expect(architecture.layers == [
            .conv2d(inputs: 1, outputs: 32, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .conv2d(inputs: 32, outputs: 64, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0),
                .flatten, .dense(inputs: 3136, outputs: 128, bias: true), .activation(.relu),
                .dense(inputs: 128, outputs: 10, bias: true),
        ])
        var rng = RandomSource(seed: 0)
        let parameters: Int = (9 * 32 + 32) + (32 * 9 * 64 + 64) + (3136 * 128 + 128) + (128 * 10 + 10)
        #expect(try Network(architecture, rng: &rng).parameterCount == parameters)
        #expect(CNNBenchmark.learningRate == 0.01 && CNNBenchmark.momentum == 0.9)
    }

    @Test func vggIsThePeerModel() throws {
        let architecture = try VGGBenchmark.architecture()
        #expect(architecture.inputShape == [1, 28, 28])
        let convolutions = architecture.layers.compactMap { spec -> Int? in
            if case .conv2d(_, let outputs, 3, 1, 1, true) = spec { return outputs }
            return nil
        }
        #expect(convolutions == [16, 16, 32, 32, 64, 64, 64, 128, 128, 128, 128])
        var rng = RandomSource(seed: 0)
        let network = try Network(architecture, rng: &rng)
        #expect(network.outputShape == [10])
        #expect(network.parameterCount == 702_650)  // torch_reference.py's vgg16_quarter() has as many
        #expect(VGGBenchmark.learningRate == 0.01 && VGGBenchmark.momentum == 0.9 && VGGBenchmark.weightDecay == 5e-4)
        #expect(Benchmarks.workload(named: "vgg") != nil)
        #expect(try Benchmarks.classifierArchitecture(named: "vgg") == architecture)
        #expect(try Benchmarks.classifierArchitecture(named: "gemm") == nil)
    }

    @Test func trainBatchesStopsAtTheCountOrTheEndOfThePermutation() throws {
        let saved = BLAS.threads
        defer { BLAS.setThreads(saved) }
        BLAS.setThreads(1)
        var rng = RandomSource(seed: 5)
        let data = TensorDataset(inputs: Tensor.uniform([300, 6], -1, 1, using: &rng),
                                 targets: Tensor((0..<300).map { Float($0 % 3) }, shape: [300]), classCount: 3)
        let architecture = Architecture(inputShape: [6], layers: [.dense(inputs: 6, outputs: 3, bias: true)])
        let order = ClassifierTraining.permutation(300, rng: &rng)
        #expect(order.sorted() == Array(0..<300))
        // Reference: the batches by hand, through the same layers.
        func reference(batches: Int) throws -> [Float] {
            let (network, _) = try ClassifierTraining.network(architecture, seed: 9)
            let optimizer = SGD(learningRate: 0.1, momentum: 0.9), loss = SoftmaxCrossEntropy()
            let x = Tensor(zeros: [0]), t = Tensor(zeros: [0]), g = Tensor(zeros: [0])
            for b in 0..<batches {
                data.fillBatch(indices: order[(b * 128)..<Swift.min(b * 128 + 128, 300)], inputs: x, targets: t)
                network.zeroGradients()
                _ = loss.compute(prediction: network.forward(x, training: true), target: t, gradient: g)
                network.backward(g)
                optimizer.step(network.parameters)
            }
            return network.parameters.flatMap(\.value.scalars)
        }
        func run(batches: Int) throws -> [Float] {
            let (network, _) = try ClassifierTraining.network(architecture, seed: 9)
            ClassifierTraining.trainBatches(
                network, optimizer: SGD(learningRate: 0.1, momentum: 0.9), data: data, order: order,
                                            batches: batches)
            return network.parameters.flatMap(\.value.scalars)
        }
        #expect(try run(batches: 1) == reference(batches: 1))
        // 300 samples make 3 batches (128, 128, 44): asking for 10 runs 3.
        #expect(try run(batches: 10) == reference(batches: 3))
        #expect(try run(batches: 10) != reference(batches: 2))
    }

    @Test func mlpRunReportsOneEpochPerRepetitionAndItsAccuracy() throws {
        let dir = TemporaryDirectory("w2")
        defer { dir.remove() }
        try Self.writeFolder(dir.path, train: 200, test: 30)
        let options = BenchmarkOptions(threads: 1, repetitions: 2, fashionMNISTDirectory: dir.path, warmupBatches: 1)
        let records = try Benchmarks.run(
            try #require(Benchmarks.workload(named: "mlp")), threads: [1], options: options)
        let r = try #require(records.first)
        #expect(records.count == 1 && r.workload == "mlp" && r.model == "784-512-512-10" && r.threads == 1)
        #expect(r.timesSeconds.count == 2 && r.medianSeconds == median(r.timesSeconds))
        #expect(r.secondsPerEpoch == r.medianSeconds)
        #expect(r.stepsPerEpoch == 2 && r.batchSize == 128 && r.epochs == 1)
        let accuracy = try #require(r.testAccuracy)
        // 30 test samples: the accuracy is a multiple of 1/30.
        #expect(accuracy >= 0 && accuracy <= 1 && abs(accuracy * 30 - (accuracy * 30).rounded()) < 1e-4)
        // Each repetition starts from the same fresh model: the same accuracy again.
        let again = try MLPBenchmark.run(options)
        #expect(again.first?.testAccuracy == accuracy)
    }

    @Test func cnnRunExtrapolatesAndTrainsARealEpochAtTheLargestThreadCountOnly() throws {
        let dir = TemporaryDirectory("w3")
        defer { dir.remove() }
        try Self.writeFolder(dir.path, train: 150, test: 20)
        let options = BenchmarkOptions(
            repetitions: 1, fashionMNISTDirectory: dir.path, warmupBatches: 1, cnnTimedBatches: 1)
        let records = try Benchmarks.run(
            try #require(Benchmarks.workload(named: "cnn")), threads: [1, 2], options: options)
        #expect(records.map(\.threads) == [1, 2])
        for r in records {
            #expect(r.workload == "cnn" && r.timedBatches == 1 && r.timesSeconds.count == 1)
            // one batch of 128 samples extrapolated to the 150-sample training set
            let perEpoch = try #require(r.secondsPerEpoch)
            #expect(abs(perEpoch - r.medianSeconds / 128 * 150) <= 1e-12 * perEpoch)
            #expect(r.batchMilliseconds == r.medianSeconds * 1000)
        }
        #expect(records[0].measuredEpochSeconds == nil && records[0].testAccuracy == nil)
        #expect(records[1].measuredEpochSeconds != nil)
        let accuracy = try #require(records[1].testAccuracy)
        #expect(accuracy >= 0 && accuracy <= 1)
        var without = options
        without.cnnFullEpoch = false
        #expect(try CNNBenchmark.run(without).first?.measuredEpochSeconds == nil)
    }

    @Test func vggRunFollowsTheCNNProtocol() throws {
        let dir = TemporaryDirectory("w7")
        defer { dir.remove() }
        try Self.writeFolder(dir.path, train: 130, test: 10)
        var options = BenchmarkOptions(repetitions: 1, fashionMNISTDirectory: dir.path, warmupBatches: 1,
                                       cnnTimedBatches: 1)
        options.cnnFullEpoch = false
        let workload = try #require(Benchmarks.workload(named: "vgg"))
        let records = try Benchmarks.run(workload, threads: [1], options: options)
        let r = try #require(records.first)
        #expect(records.count == 1 && r.workload == "vgg" && r.model == "vgg16x0.25" && r.timedBatches == 1)
        #expect(r.optimizer == "sgd lr=0.01 momentum=0.9 weight_decay=5e-4")
        let perEpoch = try #require(r.secondsPerEpoch)
        #expect(abs(perEpoch - r.medianSeconds / 128 * 130) <= 1e-12 * perEpoch)
        #expect(r.measuredEpochSeconds == nil)
    }

    /// cnn-small's 10 layers are 8 stages: its two ReLU + max pooling pairs run as one pass each.
    @Test func profileCoversEveryLayer() throws {
        var rng = RandomSource(seed: 0)
        let data = TensorDataset(inputs: Tensor.uniform([20, 1, 28, 28], 0, 1, using: &rng),
                                 targets: Tensor((0..<20).map { Float($0 % 10) }, shape: [20]), classCount: 10)
        let network = try Network(CNNBenchmark.architecture(), rng: &rng)
        let p = CNNBenchmark.profile(network, data: data, batches: 2)
        #expect(p.names == ["layers.0", "layers.1-2", "layers.3", "layers.4-5", "layers.6-7", "layers.8", "layers.9"])
        #expect(p.layers.count == 7 && p.forwardMilliseconds.count == 7 && p.backwardMilliseconds.count == 7)
        #expect(p.layers[0].hasPrefix("conv2d") && p.layers[1].hasPrefix("relu + maxpool2d"))
        #expect(p.layers[4].hasPrefix("flatten + dense"))
        #expect(p.forwardMilliseconds.allSatisfy { $0 >= 0 } && p.optimizerMilliseconds >= 0)
        // without the fusion, one stage per layer
        network.fusesReluPooling = false
        network.fusesFlattenDense = false
        let plain = CNNBenchmark.profile(network, data: data, batches: 1)
        #expect(plain.names == (0..<10).map { "layers.\($0)" } && plain.backwardMilliseconds.count == 10)
    }
}
