import SculptCore

/// The memory training (or evaluating) a network needs, estimated from its architecture alone,
/// before any tensor is allocated: parameters with their gradients and optimizer state, and the
/// activations, gradients and im2col workspaces of one batch, and the transformed inputs
/// Winograd layers keep for backward.
///
/// Computed in `Double`, so an absurd architecture gives a large estimate instead of an
/// overflow; check it against a `MemoryBudget` before building the network.
public struct MemoryEstimate: Equatable, Sendable {
    /// Number of parameters.
    public var parameters: Double
    /// Bytes of parameter values, gradients and optimizer state.
    public var parameterBytes: Double
    /// Bytes of one batch's activations, their gradients and convolution workspaces.
    public var activationBytes: Double
    /// The batch the activations are for.
    public var batchSize: Int

    /// All bytes.
    public var total: Double { parameterBytes + activationBytes }

    /// Training `architecture` on batches of `batchSize` with `optimizerSlots` tensors of optimizer
    /// state per parameter (0 plain SGD, 1 momentum, 2 Adam).
    public static func training(_ architecture: Architecture, batchSize: Int,
                                optimizerSlots: Int = 2) throws -> MemoryEstimate {
        _ = try architecture.outputShapes()
        var tally = Tally()
        var shape = architecture.inputShape
        for spec in architecture.layers { shape = try tally.add(spec, input: shape) }
        let floatBytes = 4.0, batch = Double(Swift.max(batchSize, 1))
        // A layer keeps its input or output for backward and a gradient buffer of each: count both.
        let activations = (tally.activations + Double(architecture.inputShape.reduce(1, *))) * batch * floatBytes * 2
        return MemoryEstimate(parameters: tally.parameters,
                              parameterBytes: tally.parameters * floatBytes * Double(2 + Swift.max(optimizerSlots, 0)),
                              activationBytes: activations + tally.workspace * batch * floatBytes * 2
                                  + tally.keptTiles * batch * floatBytes,
                              batchSize: batchSize)
    }

    /// Throws `MemoryError.exceeded` naming `flag` when the estimate exceeds `budget`.
    public func check(_ budget: MemoryBudget, flag: String, what: String = "training the network") throws {
        let detail = "\(what) (\(NumberFormatting.fixed(parameters / 1e6, digits: 1))M parameters, batch \(batchSize))"
        try budget.check(total, flag: flag, what: detail)
    }

    /// Per-sample counts, accumulated layer by layer.
    private struct Tally {
        var parameters = 0.0
        var activations = 0.0
        /// The largest per-sample im2col buffer.
        var workspace = 0.0
        /// Winograd layers' transformed inputs and direct layers' packed inputs, kept from forward to backward.
        var keptTiles = 0.0

        mutating func add(_ spec: LayerSpec, input: [Int]) throws -> [Int] {
            let output = try spec.outputShape(for: input)
            let outputCount = output.reduce(1.0) { $0 * Double($1) }
            switch spec {
            case .dense(let i, let o, let bias):
                parameters += Double(i) * Double(o) + (bias ? Double(o) : 0)
            case .conv2d(let i, let o, let k, let stride, let padding, let bias):
                parameters += Double(o) * Double(i) * Double(k) * Double(k) + (bias ? Double(o) : 0)
                let positions = output.dropFirst().reduce(1.0) { $0 * Double($1) }
                workspace = Swift.max(workspace, Double(i) * Double(k) * Double(k) * positions)
                if Conv2D.usesDirect(inputs: i, outputs: o, kernel: k, stride: stride, padding: padding,
                                     height: input[1], width: input[2]) {
                    // a direct layer keeps its input packed channel-minor with its zero border for backward
                    keptTiles += Double(DirectConvolution.paddedCount(
                        channels: i, height: input[1], width: input[2], padding: padding))
                } else if let tile = Conv2D.winogradTile(
                    inputs: i, outputs: o, kernel: k, stride: stride, padding: padding, height: input[1],
                    width: input[2]) {
                    // a Winograd layer keeps its input's transformed tiles for backward: `points` per output tile
                    let (th, tw) = Winograd.tiles(outputHeight: output[1], outputWidth: output[2], tile: tile)
                    keptTiles += Double(tile.points) * Double(i) * Double(th) * Double(tw)
                }
            case .batchNorm(let f, _, _):
                parameters += 2 * Double(f)  // backward recomputes the normalized values from the input
            case .residual(let body, let projection):
                var main = input
                for inner in body { main = try add(inner, input: main) }
                var shortcut = input
                for inner in projection ?? [] { shortcut = try add(inner, input: shortcut) }
            case .activation, .maxPool2d, .avgPool2d, .globalAvgPool, .dropout, .flatten:
                break
            }
            activations += outputCount
            return output
        }
    }
}
