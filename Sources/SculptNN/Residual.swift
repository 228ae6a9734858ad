import SculptCore

/// A residual block: `y = body(x) + projection(x)`, or `body(x) + x` without a projection.
///
/// The body and the projection are layer sequences; parameters are named `body.N.weight` and
/// `projection.N.weight`, as in a PyTorch module holding two `nn.Sequential`s. An activation
/// after the sum is a separate layer that follows the block.
public final class Residual: Layer {
    public private(set) var body: [Layer]
    /// The shortcut's layers (e.g. a 1x1 convolution and BatchNorm); nil is the identity.
    public private(set) var projection: [Layer]?

    private let output = Tensor(zeros: [0])      // y (B, ...)
    private let gradInput = Tensor(zeros: [0])   // dx (B, ...)

    /// A block from layers; the body must not be empty.
    public init(body: [Layer], projection: [Layer]? = nil) {
        precondition(!body.isEmpty, "a residual block needs at least one body layer")
        self.body = body
        self.projection = projection
    }

    /// Replaces the body and the projection (surgery); the caller checks that shapes still chain.
    public func replaceLayers(body newBody: [Layer], projection newProjection: [Layer]?) {
        precondition(!newBody.isEmpty, "a residual block needs at least one body layer")
        body = newBody
        projection = newProjection
    }

    public var spec: LayerSpec { .residual(body: body.map(\.spec), projection: projection?.map(\.spec)) }

    public var namedParameters: [(name: String, parameter: Parameter)] {
        var out: [(name: String, parameter: Parameter)] = []
        for (i, layer) in body.enumerated() {
            for (n, p) in layer.namedParameters { out.append(("body.\(i).\(n)", p)) }
        }
        for (i, layer) in (projection ?? []).enumerated() {
            for (n, p) in layer.namedParameters { out.append(("projection.\(i).\(n)", p)) }
        }
        return out
    }

    public var namedBuffers: [(name: String, buffer: Tensor)] {
        var out: [(name: String, buffer: Tensor)] = []
        for (i, layer) in body.enumerated() { for (n, b) in layer.namedBuffers { out.append(("body.\(i).\(n)", b)) } }
        for (i, layer) in (projection ?? []).enumerated() {
            for (n, b) in layer.namedBuffers { out.append(("projection.\(i).\(n)", b)) }
        }
        return out
    }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { try spec.outputShape(for: inputShape) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // y = body(x) + shortcut(x), all (B, ...)
        var h = x
        for layer in body { h = layer.forward(h, training: training) }
        var s = x
        for layer in projection ?? [] { s = layer.forward(s, training: training) }
        precondition(h.shape == s.shape, "residual block: body gives \(h.shape) but the shortcut gives \(s.shape)")
        output.resize(h.shape)
        let a = h.data, b = s.data, y = output.data
        for i in 0..<h.count { y[i] = a[i] + b[i] }
        return output
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        // dx = body'(x)^T dy + shortcut'(x)^T dy
        let fromBody = Self.backward(body, dy, needInputGradient)
        let fromShortcut: Tensor?
        if let projection { fromShortcut = Self.backward(projection, dy, needInputGradient) } else { fromShortcut = dy }
        guard needInputGradient, let a = fromBody, let b = fromShortcut else { return nil }
        gradInput.resize(a.shape)
        let dx = gradInput.data, p = a.data, q = b.data
        for i in 0..<a.count { dx[i] = p[i] + q[i] }
        return gradInput
    }

    private static func backward(_ layers: [Layer], _ dy: Tensor, _ needInputGradient: Bool) -> Tensor? {
        var g = dy
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            guard let gi = layers[i].backward(g, needInputGradient: i > 0 || needInputGradient) else { return nil }
            g = gi
        }
        return g
    }
}
