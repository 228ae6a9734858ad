import SculptCore
import SculptData
import SculptNN

/// Problems drawing a network's figures.
public enum FigureError: Error, Equatable, CustomStringConvertible {
    /// The network does not start with Dense(2, n) + ReLU, so it has no painting boundaries.
    case notAPaintingNetwork(String)

    public var description: String {
        switch self {
        case .notAPaintingNetwork(let why): return "cannot draw painting figures: \(why)"
        }
    }
}

/// The line where a first-layer ReLU unit's pre-activation w_x * x + w_y * y + b is zero.
public struct DecisionBoundary: Equatable, Sendable {
    public var weightX: Float
    public var weightY: Float
    public var bias: Float

    public init(weightX: Float, weightY: Float, bias: Float) {
        self.weightX = weightX
        self.weightY = weightY
        self.bias = bias
    }

    /// The unit's pre-activation at input (x, y).
    public func preActivation(x: Float, y: Float) -> Float { weightX * x + weightY * y + bias }
}

/// The pictures of the paper's Figs. 2-3 for a painting network, at `size` x `size` pixels
/// enlarged `scale` times (nearest neighbour) so that the red boundary lines stay visible.
///
/// Coordinates follow `Painting`: column j has x = linspace(-0.5, 0.5, size)[j], row i has y likewise.
public struct PaintingFigures: Sendable {
    public let size: Int
    public let scale: Int

    public init(size: Int, scale: Int = 4) {
        precondition(size >= 2 && scale >= 1, "figures need size >= 2 and scale >= 1, got \(size), \(scale)")
        self.size = size
        self.scale = scale
    }

    /// Boundary line width in output pixels.
    public var lineThickness: Int { Swift.max(1, Swift.min(2, scale / 2)) }

    /// The decision boundaries of the first layer's ReLU units; throws unless the network starts
    /// with Dense(2, n) followed by ReLU.
    public static func boundaries(of network: Network) throws -> [DecisionBoundary] {
        guard network.inputShape == [2] else {
            throw FigureError.notAPaintingNetwork("input shape is \(network.inputShape), not [2]")
        }
        guard network.layers.count >= 2, let dense = network.layers[0] as? Dense,
              let activation = network.layers[1] as? Activation, activation.kind == .relu else {
            throw FigureError.notAPaintingNetwork("the first layers are not Dense(2, n) + ReLU")
        }
        let w = dense.weight.value, b = dense.bias?.value
        return (0..<dense.outputFeatures).map { u in
            DecisionBoundary(weightX: w.data[2 * u], weightY: w.data[2 * u + 1], bias: b?.data[u] ?? 0)
        }
    }

    /// All pixel inputs `[size*size, 2]`, row-major over pixels, as (x, y).
    public var inputs: Tensor {
        let t = Tensor(zeros: [size * size, 2])
        for i in 0..<size {
            for j in 0..<size {
                t.data[2 * (i * size + j)] = Float(Painting.coordinate(j, size: size))
                t.data[2 * (i * size + j) + 1] = Float(Painting.coordinate(i, size: size))
            }
        }
        return t
    }

    /// Panel (a): the target picture.
    public func target(_ painting: Painting) -> Canvas {
        precondition(painting.size == size, "painting of size \(painting.size) for figures of size \(size)")
        return Canvas(values: painting.pixels.scalars, width: size, height: size).upscaled(by: scale)
    }

    /// Panel (b): the network's prediction with every first-layer ReLU boundary in red.
    public func prediction(of network: Network) throws -> Canvas {
        let boundaries = try Self.boundaries(of: network)
        let values = network.predict(inputs).scalars
        var canvas = Canvas(values: values, width: size, height: size).upscaled(by: scale)
        for b in boundaries { drawBoundary(b, on: &canvas) }
        return canvas
    }

    /// Panels (c): each ReLU unit's output over the image (divided by its maximum) with its own
    /// boundary, then the pre-sigmoid sum (min-max normalized) and the prediction with all boundaries,
    /// as in the paper's Fig. 3.
    public func units(of network: Network) throws -> Canvas {
        let boundaries = try Self.boundaries(of: network)
        let n = size * size
        let xs = inputs
        var panels: [Panel] = []
        for (u, b) in boundaries.enumerated() {
            var values = [Float](repeating: 0, count: n)
            for p in 0..<n { values[p] = Swift.max(0, b.preActivation(x: xs.data[2 * p], y: xs.data[2 * p + 1])) }
            let peak = values.max() ?? 0
            if peak > 0 { for p in 0..<n { values[p] /= peak } }
            var canvas = Canvas(values: values, width: size, height: size).upscaled(by: scale)
            drawBoundary(b, on: &canvas)
            panels.append(Panel(canvas, title: "UNIT \(u + 1)\(peak > 0 ? "" : " DEAD")"))
        }
        if let last = network.layers.last as? Activation, last.kind == .sigmoid {
            var h = xs
            for layer in network.layers.dropLast() { h = layer.forward(h, training: false) }
            var values = h.scalars
            let lo = values.min() ?? 0, hi = values.max() ?? 0
            for p in 0..<values.count { values[p] = hi > lo ? (values[p] - lo) / (hi - lo) : 0 }
            if values.count == n {
                panels.append(
                    Panel(Canvas(values: values, width: size, height: size).upscaled(by: scale), title: "SUM"))
            }
        }
        panels.append(Panel(try prediction(of: network), title: "OUTPUT"))
        return PanelGrid.compose(
            panels, columns: panels.count <= 5 ? panels.count : nil, margin: 2 * scale,
            titleScale: Swift.max(1, scale / 2))
    }

    /// Draws `boundary` in red on an upscaled canvas of this figure's size.
    public func drawBoundary(_ boundary: DecisionBoundary, on canvas: inout Canvas) {
        // Output pixel u (centre) shows source pixel j = (u + 0.5) / scale - 0.5, at x = -0.5 + j / (size - 1),
        // so x = alpha * u + beta; the same holds for y and rows.
        let s = Double(scale), m = Double(size - 1)
        let alpha = 1 / (s * m), beta = -0.5 + (0.5 / s - 0.5) / m
        let wx = Double(boundary.weightX), wy = Double(boundary.weightY), b = Double(boundary.bias)
        canvas.drawLine(a: wx * alpha, b: wy * alpha, c: (wx + wy) * beta + b, thickness: lineThickness, .red)
    }
}
