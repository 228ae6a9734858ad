import SculptCore
import SculptNN
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Times the W3 CNN step: `conv-bench [threads] [batches] [repetitions] [warmup]`.
@main
struct ConvBench {
    static func main() throws {
        let args = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let threads = args.count > 0 ? args[0] : 1
        let batches = args.count > 1 ? args[1] : 100
        let repetitions = args.count > 2 ? args[2] : 3
        let warmup = args.count > 3 ? args[3] : 20
        BLAS.setThreads(threads)
        if CommandLine.arguments.contains("--blas1") { BLAS.setThreads(1); Parallel.threads = threads }
        if let c = ProcessInfo.processInfo.environment["CHUNK"], let n = Int(c) { Conv2D.chunkElements = n }
        let bench = try CNNBenchmark()
        var t0 = timespec(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0)
        defer {
            var t1 = timespec(); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1)
            let cpu = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9
            print("process cpu seconds \(String(format: "%.2f", cpu)) for \(warmup + batches * repetitions + 1) steps: \(String(format: "%.2f", cpu * 1000 / Double(warmup + batches * repetitions + 1))) ms cpu/step")
        }
        if CommandLine.arguments.contains("--profile") { profile(bench, steps: batches); return }
        let ms = bench.millisecondsPerBatch(warmup: warmup, batches: batches, repetitions: repetitions)
        let epoch = ms * 60_000 / 128 / 1000
        print("W3 cnn threads=\(threads) ms/batch=\(String(format: "%.2f", ms)) epoch_s=\(String(format: "%.2f", epoch)) loss=\(bench.step())")
    }
}

/// Per-layer forward/backward milliseconds of the W3 step (for profiling).
func profile(_ bench: CNNBenchmark, steps: Int) {
    let layers = bench.network.layers
    var fwd = [Double](repeating: 0, count: layers.count), bwd = fwd
    var optimizerTime = 0.0
    let loss = SoftmaxCrossEntropy(), g = Tensor(zeros: [0])
    for _ in 0..<steps {
        bench.network.zeroGradients()
        var h = bench.inputs
        for (i, l) in layers.enumerated() { let t = Clock.now(); h = l.forward(h, training: true); fwd[i] += Clock.now() - t }
        _ = loss.compute(prediction: h, target: bench.labels, gradient: g)
        var d = g
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            let t = Clock.now()
            if let gi = layers[i].backward(d, needInputGradient: i > 0) { d = gi }
            bwd[i] += Clock.now() - t
        }
        let t = Clock.now()
        bench.optimizer.step(bench.network.parameters)
        optimizerTime += Clock.now() - t
    }
    for (i, l) in layers.enumerated() {
        print("layers.\(i) \(l.spec.summary): forward \(String(format: "%.2f", fwd[i] * 1000 / Double(steps))) ms, backward \(String(format: "%.2f", bwd[i] * 1000 / Double(steps))) ms")
    }
    print("optimizer \(String(format: "%.2f", optimizerTime * 1000 / Double(steps))) ms")
}
