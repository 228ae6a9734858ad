import SculptCore
import SculptData
import SculptNN

/// The projection test of Nagarajan & Kolter 2019 ("Uniform convergence may be unable to explain
/// generalization in deep learning", arXiv:1902.04742): every weight's update W − W₀ is replaced
/// by its projection onto its top-k left singular vectors, W₀ + U_k U_kᵀ (W − W₀), and the
/// network is evaluated on test data, for k = 1, 2, 4, ..., full. Biases and BatchNorm keep their
/// trained values. The residual (I − U_k U_kᵀ)(W − W₀) the projection removes has spectral norm
/// σ_{k+1} of the update (0 at full rank).
public struct ProjectionTest: Codable, Equatable, Sendable {
    /// One rank.
    public struct Point: Codable, Equatable, Sendable {
        public var k: Int
        public var testLoss: Double
        public var testAccuracy: Double?
        /// Spectral norm of each layer's removed residual, by parameter name.
        public var residualSpectralNorms: [String: Double]
    }

    /// The trained network's test loss and accuracy.
    public var trainedLoss: Double
    public var trainedAccuracy: Double?
    /// The network with every update removed (k = 0: initial weights, trained biases).
    public var initialLoss: Double
    public var initialAccuracy: Double?
    public var points: [Point]

    /// Runs the test on `network` (left bit-for-bit as it was) with the initial weights `initial`
    /// (by parameter name) on `test`. `ranks` defaults to 1, 2, 4, ... up to the largest rank.
    public static func run(network: Network, initial: [String: Tensor], test: Dataset, loss: Loss,
                           ranks: [Int]? = nil, batchSize: Int = 1000) throws -> ProjectionTest {
        let layers = try updates(network: network, initial: initial)
        let saved = layers.map { $0.parameter.value.copy() }
        defer { for (layer, value) in zip(layers, saved) { layer.parameter.value.assign(value) } }
        let evaluator = Trainer(network: network, loss: loss, optimizer: SGD(learningRate: 1))
        let trained = evaluator.evaluate(test, batchSize: batchSize)
        let maxRank = layers.map { $0.singular.s.count }.max() ?? 0
        var points: [Point] = []
        for k in (ranks ?? Self.ranks(upTo: maxRank)) + [0] {
            var residuals: [String: Double] = [:]
            for layer in layers {
                let kk = Swift.min(k, layer.singular.s.count)
                layer.parameter.value.assign(layer.projected(rank: kk))
                residuals[layer.name] = kk < layer.singular.s.count ? Double(layer.singular.s.data[kk]) : 0
            }
            let r = evaluator.evaluate(test, batchSize: batchSize)
            points.append(Point(k: k, testLoss: Double(r.loss), testAccuracy: r.accuracy.map(Double.init),
                                residualSpectralNorms: residuals))
        }
        let initialPoint = points.removeLast()
        return ProjectionTest(trainedLoss: Double(trained.loss), trainedAccuracy: trained.accuracy.map(Double.init),
                              initialLoss: initialPoint.testLoss, initialAccuracy: initialPoint.testAccuracy,
                              points: points)
    }

    /// 1, 2, 4, ... below `rank`, then `rank` itself (empty for rank 0).
    public static func ranks(upTo rank: Int) -> [Int] {
        guard rank > 0 else { return [] }
        var out: [Int] = [], k = 1
        while k < rank { out.append(k); k *= 2 }
        return out + [rank]
    }

    /// A weight with its initial value and the SVD of its update.
    struct Update {
        var name: String
        var parameter: Parameter
        var initial: Tensor
        var singular: SingularValueDecomposition
        /// (U_kᵀ applied to the update), [k, columns], cached per call.
        var update: Tensor

        /// W₀ + U_k U_kᵀ (W − W₀), in the weight's shape.
        func projected(rank k: Int) -> Tensor {
            guard k > 0 else { return initial.copy() }
            let (m, r) = (singular.u.shape[0], singular.u.shape[1])
            let uk = Tensor(zeros: [m, k])
            for i in 0..<m { for j in 0..<k { uk.data[i * k + j] = singular.u.data[i * r + j] } }
            let coefficients = uk.matmul(update, transposeSelf: true)   // [k, columns]
            let projection = uk.matmul(coefficients)                    // [m, columns]
            return initial + projection.reshaped(initial.shape)
        }
    }

    /// Every Dense/Conv2D weight with its initial value and update SVD.
    static func updates(network: Network, initial: [String: Tensor]) throws -> [Update] {
        var out: [Update] = []
        for (name, p) in NetworkAnalysis.weights(of: network) {
            guard let w0 = initial[name] else { throw AnalysisError.missingInitialTensor(name: name) }
            guard w0.shape == p.value.shape else {
                throw AnalysisError.initialShapeMismatch(name: name, trained: p.value.shape, initial: w0.shape)
            }
            try AnalysisError.checkFinite(p.value, name: name)
            try AnalysisError.checkFinite(w0, name: name + " (initial)")
            let update = try InitialDistance.updateMatrix(weight: p.value, initial: w0, name: name)
            out.append(Update(name: name, parameter: p, initial: w0, singular: try update.svd(), update: update))
        }
        return out
    }
}
