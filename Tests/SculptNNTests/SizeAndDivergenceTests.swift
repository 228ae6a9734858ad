import SculptCore
import SculptData
import SculptNN
import Testing
import TestSupport

@Suite struct SizeAndDivergenceTests {
    /// Dense 3 -> 4 (+ bias) -> relu -> 2: 26 parameters; per sample 3 + 4 + 4 + 2 activation values.
    @Test func memoryEstimateOfATinyNetworkByHand() throws {
        let architecture = Architecture(inputShape: [3], layers: [
            .dense(inputs: 3, outputs: 4, bias: true), .activation(.relu), .dense(inputs: 4, outputs: 2, bias: true),
        ])
        let e = try MemoryEstimate.training(architecture, batchSize: 10, optimizerSlots: 2)
        #expect(e.parameters == 26)
        #expect(e.parameterBytes == 26 * 4 * 4)
        #expect(e.activationBytes == Double(3 + 4 + 4 + 2) * 10 * 4 * 2)
    }

    /// A conv layer adds its im2col workspace: I * k * k * outH * outW per sample.
    @Test func convolutionWorkspaceIsCounted() throws {
        let architecture = Architecture(inputShape: [2, 5, 5], layers: [
            .conv2d(inputs: 2, outputs: 3, kernel: 3, stride: 1, padding: 0, bias: false),
        ])
        let e = try MemoryEstimate.training(architecture, batchSize: 1, optimizerSlots: 0)
        #expect(e.parameters == 54)
        #expect(e.activationBytes == (Double(50 + 27) + 2 * 3 * 3 * 9) * 4 * 2)
    }

    /// A layer that takes Winograd (3x3, stride 1, >= 16 channels, an output of 6x6 or more) also
    /// keeps its input's transformed tiles: 16 * I * ceil(OH / 2) * ceil(OW / 2) per sample; one
    /// that takes the direct path keeps its input packed with its zero border, (H + 2p) * (W + 2p)
    /// * I; one whose 5x5 output keeps im2col does neither.
    @Test func winogradTilesAreCounted() throws {
        // 24 channels: not a multiple of 16, so Winograd and not the direct path
        let architecture = Architecture(inputShape: [24, 8, 8], layers: [
            .conv2d(inputs: 24, outputs: 24, kernel: 3, stride: 1, padding: 1, bias: false),
        ])
        let tile = Conv2D.winogradTile(inputs: 24, outputs: 24, kernel: 3, stride: 1, padding: 1, height: 8, width: 8)
        #expect(tile == .f2x2)
        let e = try MemoryEstimate.training(architecture, batchSize: 2, optimizerSlots: 0)
        let activations = Double(1536 + 1536) * 2 * 4 * 2, workspace = Double(24 * 9 * 64) * 2 * 4 * 2
        #expect(e.activationBytes == activations + workspace + Double(16 * 24 * 4 * 4) * 2 * 4)
        let direct = Architecture(inputShape: [16, 8, 8], layers: [
            .conv2d(inputs: 16, outputs: 16, kernel: 3, stride: 1, padding: 1, bias: false),
        ])
        if Conv2D.usesDirect(inputs: 16, outputs: 16, kernel: 3, stride: 1, padding: 1, height: 8, width: 8) {
            let d = try MemoryEstimate.training(direct, batchSize: 2, optimizerSlots: 0)
            let counted = Double(1024 + 1024) * 2 * 4 * 2 + Double(16 * 9 * 64) * 2 * 4 * 2
            #expect(d.activationBytes == counted + Double(10 * 10 * 16) * 2 * 4)
        }
        let small = Architecture(inputShape: [16, 5, 5], layers: [
            .conv2d(inputs: 16, outputs: 16, kernel: 3, stride: 1, padding: 1, bias: false),
        ])
        let s = try MemoryEstimate.training(small, batchSize: 2, optimizerSlots: 0)
        #expect(s.activationBytes == Double(400 + 400) * 2 * 4 * 2 + Double(16 * 9 * 25) * 2 * 4 * 2)
    }

    @Test func absurdSizesAreRefusedNotTrapped() throws {
        let wide = Architecture(inputShape: [4], layers: [.dense(inputs: 4, outputs: 1_000_000_000, bias: true)])
        #expect(throws: ShapeError.self) { try wide.outputShapes() }
        let huge = Architecture(inputShape: [16_000_000, 16_000_000, 16_000_000], layers: [.flatten])
        #expect(throws: ShapeError.self) { try huge.outputShapes() }
        #expect(throws: ArchitectureError.self) { try Architecture.builtin(named: "mlp", widthMultiplier: 1e30) }
        // Within the bounds, the estimate is large but finite: the caller compares it with a budget.
        let big = Architecture(inputShape: [4096], layers: [.dense(inputs: 4096, outputs: 16_000_000, bias: true)])
        #expect(try MemoryEstimate.training(big, batchSize: 128).total > 1e12)
    }

    @Test func initializerTextSaysWhatIsWrong() throws {
        do { _ = try Initializer.parse("uniform:5:1") } catch {
            #expect("\(error)" == "uniform:5:1: low (5) must be below high (1)")
        }
        #expect(throws: InitializerError.self) { try Initializer.parse("normal:0:-1") }
        #expect(throws: InitializerError.self) { try Initializer.parse("bogus") }
        #expect(try Initializer.parse("uniform:-1:1") == .uniform(low: -1, high: 1))
        #expect(Initializer(parsing: "uniform:5:1") == nil)
    }

    /// A network whose first layer holds a NaN diverges at epoch 1, batch 1, naming that layer.
    @Test func divergenceNamesTheFirstNonFiniteLayer() throws {
        var rng = RandomSource(seed: 0)
        let network = try Network(Architecture(inputShape: [2], layers: [
            .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu), .dense(inputs: 3, outputs: 1, bias: true),
        ]), rng: &rng)
        network.layers[2].parameters[0].value.data[0] = .nan
        let data = TensorDataset(inputs: Tensor([1, 2, 3, 4], shape: [2, 2]), targets: Tensor([1, 0], shape: [2, 1]))
        let trainer = Trainer(
            network: network, loss: MeanSquaredError(), optimizer: SGD(learningRate: 0.1), batchSize: 2, maxEpochs: 1)
        #expect {
            try trainer.fit(data, rng: &rng)
        } throws: { error in
            guard case TrainingError.diverged(1, 1, let loss, "layers.2")? = error as? TrainingError else {
                return false
            }
            return loss.isNaN
        }
        do { try trainer.fit(data, rng: &rng) } catch {
            #expect(
                "\(error)".hasPrefix(
                    "training diverged: loss is nan at epoch 1, batch 1 (first non-finite layer: layers.2)"))
        }
    }
}
