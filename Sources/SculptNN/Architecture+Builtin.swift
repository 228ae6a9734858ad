/// Built-in architectures, as data.
///
/// | name | default input | layout |
/// |---|---|---|
/// | `mlp` | `[1, 28, 28]` | flatten, 784-512-512-10 ReLU (W2 of the peer benchmarks) |
/// | `mlp:W1,W2,...` | `[1, 28, 28]` | flatten, ReLU Dense layers of those widths (`mlp:300,100`: LeNet-300-100) |
/// | `cnn-small` | `[1, 28, 28]` | conv32-pool-conv64-pool-fc128-fc10 (W3 of the peer benchmarks) |
/// | `cnn-gap` | `[1, 28, 28]` | conv32-pool-conv64-pool-conv128, global average pooling, fc10: 98% of the parameters in convolutions |
/// | `vgg16` | `[3, 32, 32]` | the thesis's VGG16: 11 3x3 convs (64,64,M,128,128,M,256x3,M,512,512,M,512,512), flatten 512x2x2, 4 FC 2048-1024-512-256-10, BN everywhere |
/// | `alexnet` | `[3, 32, 32]` | 5 convs (64,192,384,256,256) with 3 max pools, dropout, FC 1024-1024 |
/// | `mininet` | `[3, 32, 32]` | 3 conv-ReLU-pool stages (32, 64, 128), FC 256 |
/// | `resnet20` (`resnet-N`, N = 6n+2) | `[3, 32, 32]` | He et al.'s CIFAR ResNet, 16/32/64 channels, 1x1 conv + BN projections |
/// | `wrn-16-K` (`wrn-D-K`, D = 6n+4) | `[3, 32, 32]` | Zagoruyko's pre-activation Wide ResNet, 16K/32K/64K channels |
///
/// `widthMultiplier` scales every hidden width (channels and hidden units; at least 1).
extension Architecture {
    /// Names `builtin(named:)` accepts (`resnet-N` and `wrn-D-K` take other depths and widths too).
    public static let builtinNames = [
        "mlp", "cnn-small", "cnn-gap", "vgg16", "alexnet", "mininet", "resnet20", "wrn-16-4",
    ]
    /// Names of the built-in families that take numbers (`builtin(named:)` accepts them too).
    public static let builtinFamilies = ["mlp:W1,W2,...", "resnet-N", "wrn-D-K"]

    /// A built-in architecture for inputs of `inputShape` (the name's default when nil) and `classes` outputs.
    public static func builtin(named name: String, widthMultiplier: Double = 1, inputShape: [Int]? = nil,
                               classes: Int = 10) throws -> Architecture {
        guard widthMultiplier > 0, widthMultiplier.isFinite else {
            throw ArchitectureError.invalidOption("width multiplier must be positive, got \(widthMultiplier)")
        }
        guard widthMultiplier <= SizeLimits.maxWidthMultiplier else {
            throw ArchitectureError.invalidOption("width multiplier \(widthMultiplier) exceeds the largest supported, "
                                                  + "\(SizeLimits.maxWidthMultiplier)")
        }
        guard classes > 0 else { throw ArchitectureError.invalidOption("class count must be positive, got \(classes)") }
        let lower = name.lowercased()
        let grayscale = lower == "mlp" || lower.hasPrefix("mlp:") || lower == "cnn-small" || lower == "cnn-gap"
        let image: [Int] = inputShape ?? (grayscale ? [1, 28, 28] : [3, 32, 32])
        var b = Builder(input: image, width: widthMultiplier)
        try addHiddenLayers(lower, name: name, to: &b)
        b.dense(classes)
        let architecture = Architecture(inputShape: image, layers: b.layers)
        _ = try architecture.outputShapes()
        return architecture
    }

    /// The layers of built-in `lower` (the lowercased `name`) before its classifier.
    private static func addHiddenLayers(_ lower: String, name: String, to b: inout Builder) throws {
        switch lower {
        case "mlp":
            for units in [512, 512] { b.dense(b.scaled(units)); b.add(.activation(.relu)) }
        case "cnn-small":
            for channels in [32, 64] {
                b.conv(b.scaled(channels), kernel: 3, padding: 1)
                b.add(.activation(.relu))
                b.add(.maxPool2d(kernel: 2, stride: 2, padding: 0))
            }
            b.add(.flatten)
            b.dense(b.scaled(128))
            b.add(.activation(.relu))
        case "cnn-gap":
            // Rosenfeld & Tsotsos's networks keep their parameters in convolutions (GAP before one classifier).
            for (channels, pool) in [(32, true), (64, true), (128, false)] {
                b.conv(b.scaled(channels), kernel: 3, padding: 1)
                b.add(.activation(.relu))
                if pool { b.add(.maxPool2d(kernel: 2, stride: 2, padding: 0)) }
            }
            b.add(.globalAvgPool)
        case "vgg16":
            for item in [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 0, 512, 512] {
                if item == 0 { b.add(.maxPool2d(kernel: 2, stride: 2, padding: 0)); continue }
                b.conv(b.scaled(item), kernel: 3, padding: 1)
                b.batchNorm()
                b.add(.activation(.relu))
            }
            b.add(.flatten)
            for units in [1024, 512, 256] { b.dense(b.scaled(units)); b.batchNorm(); b.add(.activation(.relu)) }
        case "alexnet":
            for (channels, pool) in [(64, true), (192, true), (384, false), (256, false), (256, true)] {
                b.conv(b.scaled(channels), kernel: 3, padding: 1)
                b.add(.activation(.relu))
                if pool { b.add(.maxPool2d(kernel: 2, stride: 2, padding: 0)) }
            }
            b.add(.flatten)
            for units in [1024, 1024] {
                b.add(.dropout(probability: 0.5))
                b.dense(b.scaled(units))
                b.add(.activation(.relu))
            }
        case "mininet":
            for channels in [32, 64, 128] {
                b.conv(b.scaled(channels), kernel: 3, padding: 1)
                b.add(.activation(.relu))
                b.add(.maxPool2d(kernel: 2, stride: 2, padding: 0))
            }
            b.add(.flatten)
            b.dense(b.scaled(256))
            b.add(.activation(.relu))
        default:
            if lower.hasPrefix("mlp:") {
                for units in try Self.mlpWidths(name) { b.dense(b.scaled(units)); b.add(.activation(.relu)) }
            } else if let depth = Self.suffix(of: lower, after: ["resnet-", "resnet"]) {
                guard depth >= 8, (depth - 2) % 6 == 0 else {
                    throw ArchitectureError.invalidOption(
                        "ResNet depth must be 6n+2 (20, 32, 44, 56, ...), got \(depth)")
                }
                b.resNet(blocksPerStage: (depth - 2) / 6)
            } else if lower.hasPrefix("wrn-") {
                let parts = lower.dropFirst(4).split(separator: "-")
                guard parts.count == 2, let depth = Int(parts[0]), let k = Int(parts[1]), k >= 1, depth >= 10,
                    (depth - 4) % 6 == 0
                else {
                    throw ArchitectureError.invalidOption(
                        "Wide ResNet name must be wrn-D-K with D = 6n+4 (10, 16, 22, 28, ...) and K >= 1, got '\(name)'"
                    )
                }
                b.wideResNet(blocksPerStage: (depth - 4) / 6, widen: k)
            } else {
                throw ArchitectureError.unknownBuiltin(name: name, known: builtinNames + builtinFamilies)
            }
        }
    }

    /// The hidden widths of `mlp:W1,W2,...`.
    private static func mlpWidths(_ name: String) throws -> [Int] {
        let parts = name.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int(String($0.filter { $0 != " " })) }
        guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 > 0 }) else {
            throw ArchitectureError.invalidOption(
                "'\(name)': mlp:W1,W2,... needs positive integer widths, as in mlp:300,100")
        }
        return widths
    }

    private static func suffix(of name: String, after prefixes: [String]) -> Int? {
        for p in prefixes where name.hasPrefix(p) { if let n = Int(name.dropFirst(p.count)) { return n } }
        return nil
    }
}

/// Appends layers while tracking the current per-sample shape.
private struct Builder {
    var layers: [LayerSpec] = []
    var shape: [Int]
    let width: Double

    init(input: [Int], width: Double) {
        shape = input
        self.width = width
    }

    func scaled(_ n: Int) -> Int { Swift.max(1, Int((Double(n) * width).rounded())) }

    /// Appends a layer; shapes that do not chain are reported by `outputShapes()` afterwards.
    mutating func add(_ spec: LayerSpec) {
        layers.append(spec)
        if let s = try? spec.outputShape(for: shape) { shape = s }
    }

    mutating func conv(_ outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        add(
            .conv2d(
                inputs: shape.first ?? 1, outputs: outputs, kernel: kernel, stride: stride, padding: padding, bias: bias
            ))
    }

    mutating func dense(_ outputs: Int) {
        if shape.count != 1 { add(.flatten) }
        add(.dense(inputs: shape.reduce(1, *), outputs: outputs, bias: true))
    }

    mutating func batchNorm() { add(.batchNorm(features: shape.first ?? 1, momentum: 0.1, epsilon: 1e-5)) }

    /// CIFAR ResNet (He et al. 2016, 6n+2 layers): conv-BN-ReLU stem, three stages of `n` basic
    /// blocks (conv-BN-ReLU-conv-BN + shortcut, then ReLU), 1x1 conv + BN projection where the
    /// shape changes, global average pooling.
    mutating func resNet(blocksPerStage n: Int) {
        conv(scaled(16), kernel: 3, padding: 1, bias: false)
        batchNorm()
        add(.activation(.relu))
        for (stage, channels) in [16, 32, 64].enumerated() {
            for block in 0..<n {
                let c = scaled(channels), stride = stage > 0 && block == 0 ? 2 : 1, cin = shape[0]
                let body: [LayerSpec] = [
                    .conv2d(inputs: cin, outputs: c, kernel: 3, stride: stride, padding: 1, bias: false),
                    .batchNorm(features: c, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
                    .conv2d(inputs: c, outputs: c, kernel: 3, stride: 1, padding: 1, bias: false),
                    .batchNorm(features: c, momentum: 0.1, epsilon: 1e-5),
                ]
                let projection: [LayerSpec]? = stride != 1 || cin != c
                    ? [.conv2d(inputs: cin, outputs: c, kernel: 1, stride: stride, padding: 0, bias: false),
                       .batchNorm(features: c, momentum: 0.1, epsilon: 1e-5)]
                    : nil
                add(.residual(body: body, projection: projection))
                add(.activation(.relu))
            }
        }
        add(.globalAvgPool)
    }

    /// Wide ResNet (Zagoruyko and Komodakis 2016, depth 6n+4, widening k): conv stem, three
    /// stages of `n` pre-activation blocks (BN-ReLU-conv-BN-ReLU-conv). Where the shape changes,
    /// BN-ReLU runs before the block and a 1x1 conv projects the shortcut, as in the authors' code.
    mutating func wideResNet(blocksPerStage n: Int, widen k: Int) {
        conv(scaled(16), kernel: 3, padding: 1, bias: false)
        for (stage, channels) in [16, 32, 64].enumerated() {
            for block in 0..<n {
                let c = scaled(channels * k), stride = stage > 0 && block == 0 ? 2 : 1, cin = shape[0]
                let tail: [LayerSpec] = [
                    .conv2d(inputs: cin, outputs: c, kernel: 3, stride: stride, padding: 1, bias: false),
                    .batchNorm(features: c, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
                    .conv2d(inputs: c, outputs: c, kernel: 3, stride: 1, padding: 1, bias: false),
                ]
                if stride != 1 || cin != c {
                    batchNorm()
                    add(.activation(.relu))
                    add(.residual(body: tail, projection: [
                        .conv2d(inputs: cin, outputs: c, kernel: 1, stride: stride, padding: 0, bias: false),
                    ]))
                } else {
                    add(
                        .residual(
                            body: [.batchNorm(features: cin, momentum: 0.1, epsilon: 1e-5), .activation(.relu)] + tail,
                                  projection: nil))
                }
            }
        }
        batchNorm()
        add(.activation(.relu))
        add(.globalAvgPool)
    }
}
