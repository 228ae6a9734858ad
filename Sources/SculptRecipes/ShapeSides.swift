import SculptCore
import SculptData
import SculptNN

/// The sides of the shape a painting network draws.
public struct ShapeSides: Codable, Equatable, Sendable {
    /// Straight boundary pieces long enough to count (the paper's "# sides").
    public var sides: Int
    /// Distinct boundary lines carrying at least one counted side (a hexagram: 12 sides on 6 lines).
    public var lines: Int
    /// Boundary points found between pixels of different thresholded value.
    public var boundaryPoints: Int
    /// Fraction of boundary points that lie on a counted side (low values: curved or ragged edges).
    public var explainedFraction: Double
}

/// Problems with a network given to side counting.
public enum ShapeSidesError: Error, Equatable, CustomStringConvertible {
    /// The network is not a map R^2 -> R built from Dense layers and piecewise-linear activations
    /// (with a monotone sigmoid/tanh allowed last).
    case unsupportedNetwork(String)

    public var description: String {
        switch self {
        case .unsupportedNetwork(let why): return "cannot count sides: \(why)"
        }
    }
}

/// Counts the sides of a painted shape.
///
/// Definition. Paint the network at `size` x `size` on the painting grid (x, y in [-0.5, 0.5])
/// and threshold the output at `threshold` (0.5). Boundary points are the midpoints between
/// 4-adjacent pixels on opposite sides of the threshold, so the image border is never a side.
/// A ReLU network is piecewise affine: at each boundary point the output's pre-activation g is
/// exactly affine on the point's activation region, and the boundary there lies on the line
/// g(x, y) = level (level = logit(threshold) for a sigmoid output). Each boundary point gets
/// that line; lines closer than `mergeTolerance` pixels anywhere inside the image are one line
/// (so duplicated units and units whose outgoing weights are zero, which do not bend the
/// boundary, count once); points farther than `mergeTolerance` from their line are dropped.
/// Along each line the points are split into runs wherever consecutive points are more than
/// `gapTolerance` pixels apart; a run is a side when it spans at least `minimumSideLength`
/// pixels and holds at least `minimumPoints` points. The shape's sides are then what a person
/// would count: a triangle 3, a square 4, a hexagram 12 (its 6 lines each carry 2 sides).
public struct SideCounter: Sendable {
    /// Output value separating inside from outside.
    public var threshold: Float = 0.5
    /// Lines within this many pixels of each other inside the image are one line.
    public var mergeTolerance: Double = 1
    /// A gap longer than this many pixels splits a line into two sides.
    public var gapTolerance: Double = 2.5
    /// Shortest side, in pixels.
    public var minimumSideLength: Double = 2
    /// Fewest boundary points on a side.
    public var minimumPoints: Int = 3

    public init() {}

    /// The sides of the shape `network` paints at `size` x `size`.
    public func count(network: Network, size: Int) throws -> ShapeSides {
        guard size >= 2 else { throw PaintingError.invalidSize(size) }
        guard network.inputShape == [2], network.outputShape == [1] else {
            throw ShapeSidesError.unsupportedNetwork("it maps \(network.inputShape) to \(network.outputShape), not " +
                                                     "[2] to [1]")
        }
        let local = try LocalAffine(network: network, threshold: threshold)
        let spacing = 1 / Double(size - 1)
        let coordinates = (0..<size).map { Painting.coordinate($0, size: size) }
        let inputs = Tensor(zeros: [size * size, 2])
        for i in 0..<size {
            for j in 0..<size {
                inputs.data[2 * (i * size + j)] = Float(coordinates[j])
                inputs.data[2 * (i * size + j) + 1] = Float(coordinates[i])
            }
        }
        let prediction = network.predict(inputs)
        let inside = (0..<(size * size)).map { prediction.data[$0] > threshold }
        // Boundary crossings: for 4-adjacent pixel centres on opposite sides of the threshold,
        // the point between them where the exact piecewise-affine output crosses the level.
        var points: [(x: Double, y: Double)] = []
        var pieces: [(pattern: [UInt8], line: Line)?] = []
        func addCrossing(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) {
            let found = local.crossing(from: a, to: b)
            points.append(found.point)
            pieces.append(found.piece)
        }
        for i in 0..<size {
            for j in 0..<size {
                if j + 1 < size, inside[i * size + j] != inside[i * size + j + 1] {
                    addCrossing((coordinates[j], coordinates[i]), (coordinates[j + 1], coordinates[i]))
                }
                if i + 1 < size, inside[i * size + j] != inside[(i + 1) * size + j] {
                    addCrossing((coordinates[j], coordinates[i]), (coordinates[j], coordinates[i + 1]))
                }
            }
        }

        // Group points by activation region, then merge regions whose lines coincide.
        var regions: [[UInt8]: (line: Line, points: [Int])] = [:]
        for (k, piece) in pieces.enumerated() {
            guard let (pattern, line) = piece else { continue }
            regions[pattern, default: (line, [])].points.append(k)
        }
        let tolerance = mergeTolerance * spacing
        var clusters: [(line: Line, points: [Int])] = []
        for region in regions.values.sorted(by: { $0.points.count > $1.points.count }) {
            if let c = clusters.firstIndex(where: { $0.line.distance(to: region.line) <= tolerance }) {
                clusters[c].points += region.points
            } else {
                clusters.append(region)
            }
        }

        var sides = 0, lines = 0, explained = 0
        for cluster in clusters {
            let l = cluster.line
            let along = cluster.points.filter { abs(l.value(points[$0])) <= tolerance }
                .map { -l.ny * points[$0].x + l.nx * points[$0].y }.sorted()
            var onLine = 0, runStart = 0
            for k in 0..<along.count where k == along.count - 1 || along[k + 1] - along[k] > gapTolerance * spacing {
                let run = along[runStart...k]
                if run.count >= minimumPoints && run.last! - run.first! >= minimumSideLength * spacing {
                    onLine += 1
                    explained += run.count
                }
                runStart = k + 1
            }
            sides += onLine
            if onLine > 0 { lines += 1 }
        }
        return ShapeSides(sides: sides, lines: lines, boundaryPoints: points.count,
                          explainedFraction: points.isEmpty ? 1 : Double(explained) / Double(points.count))
    }
}

/// A line nx x + ny y + d = 0 with (nx, ny) of unit length.
struct Line {
    var nx: Double, ny: Double, d: Double

    func value(_ p: (x: Double, y: Double)) -> Double { nx * p.x + ny * p.y + d }

    /// An upper bound on the distance between the two lines over the disc holding the image
    /// (radius sqrt(0.5)), whichever way their normals point.
    func distance(to other: Line) -> Double {
        let r = 0.5.squareRoot()
        func bound(_ s: Double) -> Double {
            let (dx, dy) = (nx - s * other.nx, ny - s * other.ny)
            return abs(d - s * other.d) + r * (dx * dx + dy * dy).squareRoot()
        }
        return min(bound(1), bound(-1))
    }
}

/// The exact affine piece of a piecewise-linear network R^2 -> R at a point, in Double.
struct LocalAffine {
    private let steps: [Step]
    private let level: Double

    private enum Step {
        case dense(weight: [Double], bias: [Double], outputs: Int, inputs: Int)
        case relu(slope: Double)
    }

    init(network: Network, threshold: Float) throws {
        var steps: [Step] = []
        var level = Double(threshold)
        for (i, layer) in network.layers.enumerated() {
            if let dense = layer as? Dense {
                let w = dense.weight.value.scalars.map(Double.init)
                let b = dense.bias?.value.scalars.map(Double.init) ?? [Double](repeating: 0,
                    count: dense.outputFeatures)
                steps.append(.dense(weight: w, bias: b, outputs: dense.outputFeatures, inputs: dense.inputFeatures))
            } else if let activation = layer as? Activation {
                let last = i == network.layers.count - 1
                switch activation.kind {
                case .identity: break
                case .relu: steps.append(.relu(slope: 0))
                case .leakyRelu(let s): steps.append(.relu(slope: Double(s)))
                case .sigmoid where last:
                    guard threshold > 0 && threshold < 1 else {
                        throw ShapeSidesError.unsupportedNetwork(
                            "threshold \(threshold) is outside the sigmoid's range (0, 1)")
                    }
                    level = log(level / (1 - level))
                case .tanh where last:
                    guard threshold > -1 && threshold < 1 else {
                        throw ShapeSidesError.unsupportedNetwork(
                            "threshold \(threshold) is outside tanh's range (-1, 1)")
                    }
                    level = atanh(level)
                default:
                    throw ShapeSidesError.unsupportedNetwork("layer \(i) applies \(activation.kind.name) before the " +
                                                             "output; only piecewise-linear hidden activations have " +
                                                             "straight boundaries")
                }
            } else {
                throw ShapeSidesError.unsupportedNetwork("layer \(i) is \(layer.spec), not a dense or activation layer")
            }
        }
        self.steps = steps
        self.level = level
    }

    /// The activation pattern at (x, y) and the affine piece there: g - level = gx x + gy y + offset.
    func piece(atX x: Double, y: Double) -> (pattern: [UInt8], gx: Double, gy: Double, offset: Double) {
        // h is the activation (n), a is dh/d(x, y) (n, 2), c the offset: h = a (x, y) + c on the region
        var h = [x, y], a = [1.0, 0, 0, 1], c = [0.0, 0]
        var pattern: [UInt8] = []
        for step in steps {
            switch step {
            case .dense(let w, let b, let m, let n):
                var h2 = [Double](repeating: 0, count: m), a2 = [Double](repeating: 0, count: 2 * m), c2 = b
                for r in 0..<m {
                    var s = b[r]
                    for k in 0..<n {
                        let wk = w[r * n + k]
                        s += wk * h[k]
                        a2[2 * r] += wk * a[2 * k]
                        a2[2 * r + 1] += wk * a[2 * k + 1]
                        c2[r] += wk * c[k]
                    }
                    h2[r] = s
                }
                h = h2; a = a2; c = c2
            case .relu(let slope):
                for r in h.indices where h[r] <= 0 {
                    h[r] *= slope; a[2 * r] *= slope; a[2 * r + 1] *= slope; c[r] *= slope
                }
                pattern += h.map { $0 > 0 ? 1 : 0 }
            }
        }
        return (pattern, a[0], a[1], c[0] - level)
    }

    /// The line of the affine piece at (x, y); nil where the piece is flat.
    func line(atX x: Double, y: Double) -> (pattern: [UInt8], line: Line)? {
        let p = piece(atX: x, y: y)
        let norm = (p.gx * p.gx + p.gy * p.gy).squareRoot()
        guard norm > 0 else { return nil }
        return (p.pattern, Line(nx: p.gx / norm, ny: p.gy / norm, d: p.offset / norm))
    }

    /// Where g crosses the level between `a` and `b` (bisection; the midpoint when g does not
    /// change sign in Double), with the non-flat piece found there or just beside it.
    func crossing(from a: (x: Double, y: Double), to b: (x: Double, y: Double))
        -> (point: (x: Double, y: Double), piece: (pattern: [UInt8], line: Line)?) {
        func g(_ t: Double) -> Double {
            let p = piece(atX: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))
            return p.gx * (a.x + t * (b.x - a.x)) + p.gy * (a.y + t * (b.y - a.y)) + p.offset
        }
        var lo = 0.0, hi = 1.0, t = 0.5
        let gLo = g(0)
        if (gLo > 0) != (g(1) > 0) {
            for _ in 0..<40 {
                t = (lo + hi) / 2
                if (g(t) > 0) == (gLo > 0) { lo = t } else { hi = t }
            }
            t = (lo + hi) / 2
        }
        let point = (x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y))
        for u in [t, lo, hi, t - 1e-4, t + 1e-4] {
            if let found = line(atX: a.x + u * (b.x - a.x), y: a.y + u * (b.y - a.y)) { return (point, found) }
        }
        return (point, nil)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
