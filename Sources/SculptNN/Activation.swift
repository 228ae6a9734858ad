import SculptCore

/// Elementwise nonlinearities.
public enum ActivationKind: Codable, Equatable, Sendable {
    case relu
    case leakyRelu(slope: Float)
    case tanh
    case sigmoid
    /// No nonlinearity: Dense + Identity is a collapsible "linear layer".
    case identity

    /// The name used in architecture JSON and on the command line.
    public var name: String {
        switch self {
        case .relu: return "relu"
        case .leakyRelu: return "leaky_relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .identity: return "identity"
        }
    }
}

/// An elementwise activation layer; works on any input shape.
public final class Activation: Layer {
    public let kind: ActivationKind
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])
    @exclusivity(unchecked) private var lastInput: Tensor?

    public init(_ kind: ActivationKind) { self.kind = kind }

    public var spec: LayerSpec { .activation(kind) }

    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        // x and y have the same shape (B, ...)
        if case .identity = kind { lastInput = x; return x }
        output.resize(x.shape)
        let xs = x.data, ys = output.data, kind = kind
        Parallel.forRanges(count: x.count) { range in
            switch kind {
            case .relu:
                for i in range { ys[i] = xs[i] > 0 ? xs[i] : 0 }
            case .leakyRelu(let s):
                for i in range { ys[i] = xs[i] > 0 ? xs[i] : s * xs[i] }
            case .tanh:
                for i in range { ys[i] = floatTanh(xs[i]) }
            case .sigmoid:
                Self.sigmoid(xs, into: ys, range)
            case .identity:
                break
            }
        }
        lastInput = x
        return output
    }

    /// `VectorMath.sigmoid` over `range`, sixteen values at a time; the tail goes through a
    /// zero-padded vector, so every value is what any lane of the vector function gives.
    private static func sigmoid(_ xs: UnsafeMutablePointer<Float>, into ys: UnsafeMutablePointer<Float>,
                                _ range: Range<Int>) {
        let src = UnsafeRawPointer(xs), out = UnsafeMutableRawPointer(ys)
        var i = range.lowerBound
        while i + 16 <= range.upperBound {
            let v = src.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            out.storeBytes(of: VectorMath.sigmoid(v), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        if i < range.upperBound {
            var v = SIMD16<Float>()
            for k in i..<range.upperBound { v[k - i] = xs[k] }
            let y = VectorMath.sigmoid(v)
            for k in i..<range.upperBound { ys[k] = y[k - i] }
        }
    }

    public func backward(_ dy: Tensor, needInputGradient: Bool) -> Tensor? {
        guard needInputGradient else { return nil }
        if case .identity = kind { return dy }
        guard let x = lastInput else { preconditionFailure("Activation.backward before forward") }
        gradInput.resize(dy.shape)
        let g = dy.data, dx = gradInput.data, ys = output.data, xs = x.data, kind = kind
        Parallel.forRanges(count: dy.count) { range in
            switch kind {
            case .relu:
                // both loads unconditional, so the select vectorizes (a branch here mispredicts on random signs)
                for i in range { let gi = g[i], xi = xs[i]; dx[i] = xi > 0 ? gi : 0 }
            case .leakyRelu(let s):
                for i in range { let gi = g[i], xi = xs[i]; dx[i] = xi > 0 ? gi : s * gi }
            case .tanh:
                for i in range { dx[i] = g[i] * (1 - ys[i] * ys[i]) }
            case .sigmoid:
                for i in range { dx[i] = g[i] * ys[i] * (1 - ys[i]) }
            case .identity:
                break
            }
        }
        return gradInput
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func floatTanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func floatExp(_ x: Float) -> Float { expf(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func floatTanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func floatExp(_ x: Float) -> Float { expf(x) }
#endif
