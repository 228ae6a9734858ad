import Foundation
import Testing
import SculptCore
import SculptNN

@Suite("Architectures as data")
struct ArchitectureTests {
    static let builtins: [(String, Double)] = [
        ("mlp", 1), ("cnn-small", 1), ("cnn-gap", 1), ("vgg16", 0.25), ("alexnet", 0.25), ("mininet", 1),
                                               ("resnet20", 1), ("wrn-16-2", 0.5), ("resnet-32", 0.5)]

    @Test("builtins build, chain and classify into 10 outputs", arguments: builtins)
    func builtinsBuild(name: String, width: Double) throws {
        let architecture = try Architecture.builtin(named: name, widthMultiplier: width)
        var rng = RandomSource(seed: 1)
        let network = try Network(architecture, rng: &rng)
        #expect(network.outputShape == [10])
        let x = Tensor.uniform([2] + architecture.inputShape, 0, 1, using: &rng)
        let y = network.forward(x, training: true)
        #expect(y.shape == [2, 10])
        #expect(y.isFinite)
    }

    @Test("cnn-gap keeps 98% of its parameters in convolutions: three convs, global average pooling, one classifier")
    func cnnGapLayout() throws {
        let gap = try Architecture.builtin(named: "cnn-gap")
        #expect(gap.inputShape == [1, 28, 28])
        #expect(gap.layers.suffix(2) == [.globalAvgPool, .dense(inputs: 128, outputs: 10, bias: true)])
        var rng = RandomSource(seed: 0)
        let network = try Network(gap, rng: &rng)
        #expect(network.parameterCount == 320 + 18_496 + 73_856 + 1_290)
        let conv = network.layers.compactMap { $0 as? Conv2D }.reduce(0) {
            $0 + $1.weight.count + ($1.bias?.count ?? 0)
        }
        #expect(Double(conv) / Double(network.parameterCount) > 0.98)
    }

    @Test("cnn-small is exactly W3 and mlp is 784-512-512-10")
    func exactLayouts() throws {
        let cnn = try Architecture.builtin(named: "cnn-small")
        #expect(cnn.inputShape == [1, 28, 28])
        #expect(cnn.layers == [
            .conv2d(inputs: 1, outputs: 32, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0),
            .conv2d(inputs: 32, outputs: 64, kernel: 3, stride: 1, padding: 1, bias: true), .activation(.relu),
            .maxPool2d(kernel: 2, stride: 2, padding: 0), .flatten,
                .dense(inputs: 3136, outputs: 128, bias: true), .activation(.relu),
                .dense(inputs: 128, outputs: 10, bias: true),
        ])
        var rng = RandomSource(seed: 0)
        #expect(try Network(cnn, rng: &rng).parameterCount == 421_642)  // torch: sum(p.numel()) for W3
        let mlp = try Architecture.builtin(named: "mlp")
        #expect(try Network(mlp, rng: &rng).parameterCount == 669_706)
        #expect(
            try Architecture.builtin(named: "mlp", inputShape: [784]).layers.first
                == .dense(inputs: 784, outputs: 512, bias: true))
        // CIFAR-shaped input and 100 classes
        let cifar = try Architecture.builtin(named: "cnn-small", inputShape: [3, 32, 32], classes: 100)
        #expect(cifar.layers[7] == .dense(inputs: 4096, outputs: 128, bias: true))
        #expect(try cifar.outputShapes().last == [100])
    }

    @Test("vgg16 follows the thesis: 11 convolutions, 4 dense layers from 2048, BatchNorm after each")
    func vggLayout() throws {
        let vgg = try Architecture.builtin(named: "vgg16")
        let convs = vgg.layers.filter { if case .conv2d = $0 { return true }; return false }
        let denses = vgg.layers.compactMap { spec -> Int? in
            if case .dense(let i, _, _) = spec { return i }; return nil
        }
        let norms = vgg.layers.filter { if case .batchNorm = $0 { return true }; return false }
        #expect(convs.count == 11)
        #expect(denses == [2048, 1024, 512, 256])
        #expect(norms.count == 14)
        let half = try Architecture.builtin(named: "vgg16", widthMultiplier: 0.5)
        #expect(half.layers.first == .conv2d(inputs: 3, outputs: 32, kernel: 3, stride: 1, padding: 1, bias: true))
    }

    @Test("resnet20 has 19 convolutions in 9 blocks and wrn-16-4 has 16k/32k/64k channels")
    func residualLayouts() throws {
        func count(_ specs: [LayerSpec]) -> (convs: Int, blocks: Int) {
            var c = 0, b = 0
            for s in specs {
                switch s {
                case .conv2d: c += 1
                case .residual(let body, let projection):
                    b += 1
                    c += count(body).convs  // projections are 1x1 shortcuts, not counted in the depth
                    _ = projection
                default: break
                }
            }
            return (c, b)
        }
        let resnet = try Architecture.builtin(named: "resnet20")
        #expect(count(resnet.layers).convs == 19)
        #expect(count(resnet.layers).blocks == 9)
        var rng = RandomSource(seed: 0)
        // stem 432 + 32; stage 1: 3 x (2 x 2304 + 64); stage 2: 4608 + 9216 + 128 + projection 512 + 64,
        // then 2 x (2 x 9216 + 128); stage 3: 18432 + 36864 + 256 + projection 2048 + 128, then
        // 2 x (2 x 36864 + 256); classifier 650 ("0.27M" in He et al.)
        #expect(try Network(resnet, rng: &rng).parameterCount == 272_474)
        let wrn = try Architecture.builtin(named: "wrn-16-4")
        #expect(try wrn.outputShapes().dropLast(2).last == [256, 8, 8])
        #expect(count(wrn.layers).convs == 13)
        #expect(throws: ArchitectureError.self) { try Architecture.builtin(named: "resnet-21") }
        #expect(throws: ArchitectureError.self) { try Architecture.builtin(named: "wrn-15-2") }
        #expect(throws: ArchitectureError.self) { try Architecture.builtin(named: "lenet") }
    }

    @Test("JSON round trip: decode then encode gives the same bytes", arguments: builtins)
    func roundTrip(name: String, width: Double) throws {
        let architecture = try Architecture.builtin(named: name, widthMultiplier: width)
        let json = try architecture.jsonData()
        let decoded = try Architecture(json: json)
        #expect(decoded == architecture)
        #expect(try decoded.jsonData() == json)
    }

    @Test("hand-written JSON with every layer type decodes and encodes back to the same JSON")
    func everyLayerType() throws {
        let text = """
        {"inputShape": [3, 8, 8], "layers": [
          {"type": "conv2d", "inputs": 3, "outputs": 4, "kernel": 3, "stride": 1, "padding": 1, "bias": false},
          {"type": "batchnorm", "features": 4, "momentum": 0.1, "epsilon": 0.001},
          {"type": "relu"},
          {"type": "residual", "body": [{"type": "conv2d", "inputs": 4, "outputs": 4, "kernel": 3, "stride": 1, "padding": 1, "bias": true}]},
          {"type": "residual", "body": [{"type": "conv2d", "inputs": 4, "outputs": 8, "kernel": 3, "stride": 2, "padding": 1, "bias": true}],
           "projection": [{"type": "conv2d", "inputs": 4, "outputs": 8, "kernel": 1, "stride": 2, "padding": 0, "bias": false}]},
          {"type": "maxpool2d", "kernel": 2, "stride": 2, "padding": 0},
          {"type": "avgpool2d", "kernel": 3, "stride": 1, "padding": 1},
          {"type": "leaky_relu", "slope": 0.25},
          {"type": "global_avgpool"},
          {"type": "dropout", "probability": 0.5},
          {"type": "dense", "inputs": 8, "outputs": 6, "bias": true},
          {"type": "tanh"},
          {"type": "flatten"},
          {"type": "dense", "inputs": 6, "outputs": 2, "bias": true}
        ]}
        """
        let architecture = try Architecture(json: Data(text.utf8))
        #expect(try architecture.outputShapes().last == [2])
        let original = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: architecture.jsonData()) as? NSDictionary
        #expect(original == encoded)
        var rng = RandomSource(seed: 3)
        let network = try Network(architecture, rng: &rng)
        #expect(network.architecture == architecture)
        #expect(network.forward(Tensor(zeros: [2, 3, 8, 8]), training: true).shape == [2, 2])
    }

    @Test("an unknown layer type is reported with its path")
    func unknownType() {
        let text =
            #"{"inputShape": [4], "layers": [{"type": "dense", "inputs": 4, "outputs": 4}, {"type": "residual", "body": [{"type": "gelu"}]}]}"#
        #expect(throws: ArchitectureError.unknownLayerType(path: "layers.1.body.0", type: "gelu")) {
            try Architecture(json: Data(text.utf8))
        }
        let missing = #"{"inputShape": [4], "layers": [{"type": "conv2d", "inputs": 4, "outputs": 4}]}"#
        do { _ = try Architecture(json: Data(missing.utf8)); Issue.record("expected an error") } catch {
            #expect("\(error)" == "malformed architecture JSON: layers.0: missing field 'kernel'")
        }
    }

    @Test("shapes that do not chain name the layer index and both shapes")
    func shapeErrors() throws {
        let bad = Architecture(inputShape: [1, 28, 28], layers: [
            .conv2d(inputs: 1, outputs: 8, kernel: 3, stride: 1, padding: 1, bias: true), .flatten,
                .dense(inputs: 6272, outputs: 10, bias: true),
                .conv2d(inputs: 3, outputs: 4, kernel: 3, stride: 1, padding: 0, bias: true),
        ])
        #expect(
            throws: ShapeError.mismatch(
                layer: "layers.3 conv2d(3 -> 4, kernel 3, stride 1, padding 0)", expected: "[3, H, W]", actual: [10])
        ) {
            try bad.outputShapes()
        }
        var rng = RandomSource(seed: 0)
        do { _ = try Network(bad, rng: &rng); Issue.record("expected an error") } catch {
            #expect(
                "\(error)"
                    == "layer layers.3 conv2d(3 -> 4, kernel 3, stride 1, padding 0) expects input [3, H, W] but receives [10]"
            )
        }
        let dense = Architecture(inputShape: [1, 4, 4], layers: [.flatten, .dense(inputs: 15, outputs: 2, bias: true)])
        #expect(throws: ShapeError.mismatch(layer: "layers.1 dense(15 -> 2)", expected: "[15]", actual: [16])) {
            try dense.outputShapes()
        }
        let nested = Architecture(inputShape: [2, 4, 4], layers: [
            .residual(body: [.batchNorm(features: 3, momentum: 0.1, epsilon: 1e-5)], projection: nil),
        ])
        #expect(
            throws: ShapeError.mismatch(
                layer: "layers.0 body.0 batchnorm(3)", expected: "[3] or [3, H, W]", actual: [2, 4, 4])
        ) {
            try nested.outputShapes()
        }
        let badPool = Architecture(inputShape: [1, 4, 4], layers: [.maxPool2d(kernel: 2, stride: 2, padding: 2)])
        #expect(throws: ShapeError.self) { try badPool.outputShapes() }
    }

    @Test("a few W3 steps lower the loss on a fixed batch")
    func benchmarkStepLearns() throws {
        let (network, inputs, labels) = try cnnSmallBatch(batchSize: 16, seed: 1)
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9), loss = SoftmaxCrossEntropy(),
            gradient = Tensor(zeros: [0])
        func step() -> Float {
            network.zeroGradients()
            let value = loss.compute(
                prediction: network.forward(inputs, training: true), target: labels, gradient: gradient)
            network.backward(gradient)
            optimizer.step(network.parameters)
            return value
        }
        let first = step()
        for _ in 0..<15 { _ = step() }
        #expect(step() < first - 0.1)
    }
}
