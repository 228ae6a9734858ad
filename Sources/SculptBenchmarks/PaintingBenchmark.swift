import SculptCore
import SculptData
import SculptNN

/// The two W1 painting models (bench/README.md).
public enum PaintingModel: String, CaseIterable, Sendable {
    /// Linear(2,3)+ReLU -> Linear(3,9) (no activation) -> Linear(9,1)+Sigmoid: 55 parameters.
    case relu3Linear9 = "relu3_linear9"
    /// Linear(2,12)+ReLU -> Linear(12,1)+Sigmoid: 49 parameters.
    case relu12 = "relu12"

    /// The model as data.
    public var architecture: Architecture {
        switch self {
        case .relu3Linear9:
            return Architecture(inputShape: [2], layers: [
                .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu),
                .dense(inputs: 3, outputs: 9, bias: true),
                .dense(inputs: 9, outputs: 1, bias: true), .activation(.sigmoid),
            ])
        case .relu12:
            return Architecture(inputShape: [2], layers: [
                .dense(inputs: 2, outputs: 12, bias: true), .activation(.relu),
                .dense(inputs: 12, outputs: 1, bias: true), .activation(.sigmoid),
            ])
        }
    }
}

/// W1: trains the painting models on the 64x64 centred square with Adam and reports epochs/s.
///
/// As bench/README.md defines it: inputs (x, y) on linspace(-0.5, 0.5, 64), target 1 where |x| < 0.25
/// and |y| < 0.25; 4096 samples, batch 128, reshuffled each epoch, MSE, Adam lr 1e-3, PyTorch's
/// default init, seed 0. One throw-away warm-up run, then each timed repetition builds a fresh
/// model, trains it and computes the full-image MSE (all inside the timed region).
public enum PaintingBenchmark {
    /// Image side.
    public static let imageSize = 64
    /// Mini-batch size.
    public static let batchSize = 128
    /// Adam's learning rate.
    public static let learningRate: Float = 1e-3
    /// Seed of the model initialization and the shuffles.
    public static let seed: UInt64 = 0

    /// The 4096-sample training set.
    public static func dataset() throws -> TensorDataset {
        try Painting(shape: .square, size: imageSize).dataset
    }

    /// Trains a fresh `model` for `epochs` epochs as the benchmark does; returns the full-set MSE.
    public static func train(_ model: PaintingModel, epochs: Int, on data: TensorDataset) throws -> Float {
        var rng = RandomSource(seed: seed)
        let network = try Network(model.architecture, initializer: .pytorchDefault, rng: &rng)
        let trainer = Trainer(network: network, loss: MeanSquaredError(), optimizer: Adam(learningRate: learningRate),
                              batchSize: batchSize, maxEpochs: epochs)
        try trainer.fit(data, rng: &rng)
        return trainer.evaluate(data).loss
    }

    /// Runs W1 for both models at `options.threads` (the caller sets the BLAS threads).
    @Sendable
    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        let data = try dataset()
        let epochs = options.paintingEpochs
        let steps = (data.count + batchSize - 1) / batchSize
        var records: [BenchmarkRecord] = []
        for model in PaintingModel.allCases {
            if options.paintingWarmupEpochs > 0 { _ = try train(model, epochs: options.paintingWarmupEpochs, on: data) }
            var times: [Double] = []
            var firstLoss: Float?
            for _ in 0..<Swift.max(options.repetitions, 1) {
                let start = Clock.now()
                let loss = try train(model, epochs: epochs, on: data)
                times.append(Clock.now() - start)
                if firstLoss == nil { firstLoss = loss }
            }
            let med = median(times)
            var r = BenchmarkRecord(workload: "painting", model: model.rawValue, threads: options.threads,
                                    medianSeconds: med, timesSeconds: times)
            r.epochsPerSecond = Double(epochs) / med
            r.epochs = epochs
            r.stepsPerEpoch = steps
            r.stepMicroseconds = med / Double(epochs * steps) * 1e6
            r.finalFullMSE = firstLoss.map(Double.init)
            r.optimizer = "adam"
            records.append(r)
        }
        return records
    }
}
