import SculptCore

/// One stage of a network with an explicit forward and backward pass.
///
/// A layer owns its output and input-gradient buffers and returns references to them; they
/// stay valid until the layer's next forward/backward call. Buffers are reallocated only when
/// the batch size changes, so training allocates nothing per step.
public protocol Layer: AnyObject {
    /// The layer's description as data (architecture JSON); reflects the current shapes.
    var spec: LayerSpec { get }
    /// Parameters with names relative to the layer ("weight", "bias").
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// Non-trainable state saved with the weights (BatchNorm's "running_mean", "running_var"),
    /// with names relative to the layer.
    var namedBuffers: [(name: String, buffer: Tensor)] { get }
    /// Shape of one output sample given one input sample's shape; throws when they do not fit.
    func outputShape(for inputShape: [Int]) throws -> [Int]
    /// Computes the output for a batch `[B] + inputShape`.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Given dLoss/dOutput of the last forward, accumulates (+=) parameter gradients and returns
    /// dLoss/dInput (nil when `needInputGradient` is false).
    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor?
}

extension Layer {
    /// Parameters in declaration order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }
    public var namedParameters: [(name: String, parameter: Parameter)] { [] }
    public var namedBuffers: [(name: String, buffer: Tensor)] { [] }
    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Problems with shapes or architecture descriptions that a user can cause.
public enum ShapeError: Error, Equatable, CustomStringConvertible {
    /// A layer received an input it cannot take.
    case mismatch(layer: String, expected: String, actual: [Int])
    /// An architecture description is invalid.
    case invalidArchitecture(String)
    /// The two branches of a residual block give different shapes.
    case branchMismatch(layer: String, body: [Int], shortcut: [Int])

    public var description: String {
        switch self {
        case .mismatch(let layer, let expected, let actual):
            return "layer \(layer) expects input \(expected) but receives \(actual)"
        case .invalidArchitecture(let why): return "invalid architecture: \(why)"
        case .branchMismatch(let layer, let body, let shortcut):
            return
                "layer \(layer): the body gives \(body) but the shortcut gives \(shortcut); they must match to be added"
        }
    }
}

extension ShapeError {
    /// The same error with the layer's position (`layers.3`, `body.1`) put before its name.
    public func at(_ position: String) -> ShapeError {
        switch self {
        case .mismatch(let layer, let expected, let actual):
            return .mismatch(layer: "\(position) \(layer)", expected: expected, actual: actual)
        case .branchMismatch(let layer, let body, let shortcut):
            return .branchMismatch(layer: "\(position) \(layer)", body: body, shortcut: shortcut)
        case .invalidArchitecture(let why):
            return .invalidArchitecture("\(position): \(why)")
        }
    }
}
