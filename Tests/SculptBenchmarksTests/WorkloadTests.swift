import SculptBenchmarks
import SculptCore
import SculptData
import SculptNN
import Testing

@Suite struct WorkloadDefinitionTests {
    @Test func paintingDatasetIsTheCentredSquareOn4096Pixels() throws {
        let data = try PaintingBenchmark.dataset()
        #expect(data.count == 4096)
        #expect(data.inputShape == [2])
        #expect(data.targetShape == [1])
        var inside = 0
        for i in 0..<4096 {
            let x = data.inputs.data[2 * i], y = data.inputs.data[2 * i + 1]
            // linspace(-0.5, 0.5, 64): pixel (row, col) has x = col's coordinate, y = row's
            let row = i / 64, col = i % 64
            #expect(abs(Double(x) - (-0.5 + Double(col) / 63)) < 1e-7)
            #expect(abs(Double(y) - (-0.5 + Double(row) / 63)) < 1e-7)
            let expected: Float = abs(x) < 0.25 && abs(y) < 0.25 ? 1 : 0
            #expect(data.targets.data[i] == expected)
            if expected == 1 { inside += 1 }
        }
        // |c| < 0.25 holds for columns 16...47 (c = -0.5 + k/63): 32 x 32 pixels.
        #expect(inside == 32 * 32)
        #expect(data.inputs.data[0] == -0.5 && data.inputs.data[2 * 4095] == 0.5)
    }

    @Test func paintingModelsHaveThePeerParameterCounts() throws {
        var rng = RandomSource(seed: 0)
        let a = try Network(PaintingModel.relu3Linear9.architecture, rng: &rng)
        let b = try Network(PaintingModel.relu12.architecture, rng: &rng)
        let relu3Linear9: Int = 2 * 3 + 3 + 3 * 9 + 9 + 9 + 1
        let relu12: Int = 2 * 12 + 12 + 12 + 1
        #expect(relu3Linear9 == 55 && relu12 == 49)
        #expect(a.parameterCount == relu3Linear9)
        #expect(b.parameterCount == relu12)
        #expect(a.outputShape == [1] && b.outputShape == [1])
        #expect(PaintingModel.allCases.map(\.rawValue) == ["relu3_linear9", "relu12"])
    }

    @Test func shortPaintingRunReportsPositiveFigures() throws {
        let options = BenchmarkOptions(threads: 1, repetitions: 1, paintingEpochs: 2, paintingWarmupEpochs: 1)
        let records = try PaintingBenchmark.run(options)
        #expect(records.map(\.model) == ["relu3_linear9", "relu12"])
        for r in records {
            let eps = try #require(r.epochsPerSecond)
            #expect(eps > 0 && eps.isFinite)
            #expect(r.epochs == 2 && r.stepsPerEpoch == 32 && r.timesSeconds.count == 1)
            let mse = try #require(r.finalFullMSE)
            #expect(mse > 0 && mse < 1)
            #expect(abs(eps - 2 / r.medianSeconds) < 1e-9 * eps)
        }
    }

    @Test func paintingTrainingIsDeterministicAndLearns() throws {
        let data = try PaintingBenchmark.dataset()
        let a = try PaintingBenchmark.train(.relu12, epochs: 3, on: data)
        let b = try PaintingBenchmark.train(.relu12, epochs: 3, on: data)
        #expect(a == b)
        let longer = try PaintingBenchmark.train(.relu12, epochs: 30, on: data)
        #expect(longer < a)
    }

    @Test func gemmFigureIsTwoNCubedOverTheMedian() throws {
        #expect(GemmBenchmark.flops(size: 4) == 128)
        #expect(GemmBenchmark.gflops(size: 1000, seconds: 2) == 1)
        let options = BenchmarkOptions(threads: 1, gemmSize: 8, gemmWarmupCalls: 1, gemmTimedCalls: 5)
        let records = try GemmBenchmark.run(options)
        let r = try #require(records.first)
        #expect(records.count == 1 && r.workload == "gemm" && r.model == "sgemm_8")
        #expect(r.timesSeconds.count == 5)
        #expect(r.medianSeconds == median(r.timesSeconds))
        let g = try #require(r.gflops)
        #expect(abs(g - 2 * 512 / r.medianSeconds / 1e9) <= 1e-12 * g)
        #expect(g > 0)
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
        #expect(median([]) == 0)
    }

    @Test func workloadsAreRegisteredByName() {
        #expect(Benchmarks.all.map(\.name) == ["painting", "mlp", "cnn", "svd", "gemm", "vgg", "analysis"])
        #expect(Benchmarks.workload(named: "gemm") != nil)
        #expect(Benchmarks.workload(named: "nope") == nil)
    }
}
