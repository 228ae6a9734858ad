#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptAnalysis
import SculptCore
import SculptIO
import SculptNN

/// W6: the spectral analysis (`LayerSpectrum`: ESD, power-law fit, norms, MP edge) of every
/// Dense and Conv2D weight of VGG16 x1 in CIFAR shape ([3, 32, 32], 10 classes), PyTorch's default
/// initialization from seed 0: the work WeightWatcher's `analyze()` does, timed against it by
/// `bench/weightwatcher_w6.py` on the same weights. A second record adds the k-means clustering.
///
/// With the environment variable `SCULPT_W6_EXPORT` set to a path, the analysed weights are also
/// written there as safetensors (PyTorch names and layouts) for the peer script.
public enum AnalysisBenchmark {
    public static let exportVariable = "SCULPT_W6_EXPORT"

    /// The network W6 analyses.
    public static func network() throws -> Network {
        var rng = RandomSource(seed: 0)
        let architecture = try Architecture.builtin(named: "vgg16", inputShape: [3, 32, 32], classes: 10)
        return try Network(architecture, rng: &rng)
    }

    public static func run(_ options: BenchmarkOptions) throws -> [BenchmarkRecord] {
        let network = try network()
        let weights = NetworkAnalysis.weights(of: network)
        if let path = ProcessInfo.processInfo.environment[exportVariable], !path.isEmpty {
            try Safetensors(tensors: weights.map { ($0.name, $0.parameter.value) }, metadata: ["producer": "sculpt W6"])
                .write(to: path)
        }
        var spectra: [Double] = [], withClustering: [Double] = []
        for _ in 0..<Swift.max(1, options.repetitions) {
            var start = Clock.now()
            _ = try weights.map { try LayerSpectrum(name: $0.name, weight: $0.parameter.value) }
            spectra.append(Clock.now() - start)
            start = Clock.now()
            for (name, p) in weights { _ = try WeightClustering(name: name, weight: p.value) }
            withClustering.append(spectra.last! + Clock.now() - start)
        }
        let record = BenchmarkRecord(workload: "analysis", model: "vgg16-x1-spectra", threads: options.threads,
                                     medianSeconds: median(spectra), timesSeconds: spectra)
        let both = BenchmarkRecord(workload: "analysis", model: "vgg16-x1-spectra+kmeans", threads: options.threads,
                                   medianSeconds: median(withClustering), timesSeconds: withClustering)
        return [record, both]
    }
}
