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
    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Problems with shapes or architecture descriptions that a user can cause.
public enum ShapeError: Error, Equatable, CustomStringConvertible {
    /// A layer received an input it cannot take.
    case mismatch(layer: String, expected: String, actual: [Int])
    /// An architecture description is invalid.
    case invalidArchitecture(String)

    public var description: String {
        switch self {
        case .mismatch(let layer, let expected, let actual):
            return "layer \(layer) expects input \(expected) but receives \(actual)"
        case .invalidArchitecture(let why): return "invalid architecture: \(why)"
        }
    }
}
