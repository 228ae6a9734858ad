import SculptCore

/// A target picture for the image-painting task (Hyatt & Lee 2018, Section 2).
public enum PaintingShape: Equatable, Sendable, CustomStringConvertible {
    /// Centred square, half the image side (the W1 benchmark image).
    case square
    /// Centred axis-aligned rectangle of the given width and height (fractions of the side).
    case rectangle(width: Double, height: Double)
    /// Regular polygon with `sides` vertices, circumradius 0.35, one vertex straight up.
    case polygon(sides: Int)
    /// Star polygon {n/2} with `points` points, circumradius 0.4: its edges lie on `points`
    /// lines, so a network with `points` ReLU units can paint it exactly (the paper's star is
    /// `star(points: 6)`, the hexagram).
    case star(points: Int)
    /// Centred disc of radius 0.3.
    case circle
    /// A grayscale image file (PGM or PNG), resampled to the requested size.
    case image(path: String)

    /// The regular triangle.
    public static let triangle = PaintingShape.polygon(sides: 3)

    /// The most vertices (polygon sides, star points) a shape may have.
    public static let maximumVertices = 10_000

    /// Parses `square`, `rectangle[:W:H]`, `triangle`, `polygon:N`, `star[:N]`, `circle`, `image:PATH`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let head = parts[0].lowercased()
        let arg = parts.count > 1 ? parts[1] : nil
        func count(_ minimum: Int) throws -> Int {
            guard let a = arg, let n = Int(a), n >= minimum, n <= Self.maximumVertices else {
                throw PaintingError.invalidShape(
                    text,
                    reason: "\(head) needs an integer in [\(minimum), \(Self.maximumVertices)], "
                                                 + "as in \(head):\(minimum + 3)")
            }
            return n
        }
        switch head {
        case "square": self = .square
        case "circle": self = .circle
        case "triangle": self = .triangle
        case "polygon": self = .polygon(sides: try count(3))
        case "star": self = arg == nil ? .star(points: 6) : .star(points: try count(5))
        case "rectangle":
            if let a = arg {
                let wh = a.split(separator: ":").compactMap { Double($0) }
                guard wh.count == 2, wh.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
                    throw PaintingError.invalidShape(text, reason: "rectangle takes rectangle:W:H with 0 < W, H <= 1")
                }
                self = .rectangle(width: wh[0], height: wh[1])
            } else {
                self = .rectangle(width: 0.6, height: 0.3)
            }
        case "image":
            guard let a = arg, !a.isEmpty else {
                throw PaintingError.invalidShape(text, reason: "image needs a path, as in image:photo.pgm")
            }
            self = .image(path: a)
        default:
            throw PaintingError.invalidShape(
                text, reason: "unknown shape; use square, rectangle, triangle, circle, polygon:N, star:N or image:PATH")
        }
    }

    public var description: String {
        switch self {
        case .square: return "square"
        case .rectangle(let w, let h): return "rectangle:\(w):\(h)"
        case .polygon(3): return "triangle"
        case .polygon(let n): return "polygon:\(n)"
        case .star(let n): return "star:\(n)"
        case .circle: return "circle"
        case .image(let p): return "image:\(p)"
        }
    }

    /// Vertices of the polygonal shapes, counter-clockwise, in input coordinates (x right, y down).
    public var vertices: [(x: Double, y: Double)]? {
        switch self {
        case .square: return [(-0.25, -0.25), (0.25, -0.25), (0.25, 0.25), (-0.25, 0.25)]
        case .rectangle(let w, let h): return [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        case .polygon(let n):
            return (0..<n).map { k in
                let a = -Double.pi / 2 + 2 * Double.pi * Double(k) / Double(n)
                return (0.35 * cos(a), 0.35 * sin(a))
            }
        case .star(let n):
            let outer = 0.4
            let inner = outer * cos(2 * Double.pi / Double(n)) / cos(Double.pi / Double(n))
            return (0..<(2 * n)).map { k in
                let a = -Double.pi / 2 + Double.pi * Double(k) / Double(n)
                let r = k % 2 == 0 ? outer : inner
                return (r * cos(a), r * sin(a))
            }
        case .circle, .image: return nil
        }
    }

    /// Whether the point (x, y) is inside the shape (for the generated shapes).
    public func contains(x: Double, y: Double) -> Bool {
        switch self {
        case .circle: return x * x + y * y < 0.09
        // Strict on every side, as the W1 benchmark defines the square (|x| < 0.25 and |y| < 0.25).
        // Ray casting would count points on the top and left edges as inside but not those on the
        // bottom and right edges, shifting the shape by a pixel at sizes where edges hit the grid (5, 9, ..., 65).
        case .square: return abs(x) < 0.25 && abs(y) < 0.25
        case .rectangle(let w, let h): return abs(x) < w / 2 && abs(y) < h / 2
        default: break
        }
        guard let v = vertices else { return false }
        var inside = false
        var j = v.count - 1
        for i in 0..<v.count {
            let (xi, yi) = v[i], (xj, yj) = v[j]
            if (yi > y) != (yj > y), x < (xj - xi) * (y - yi) / (yj - yi) + xi { inside.toggle() }
            j = i
        }
        return inside
    }
}

/// Errors in painting inputs.
public enum PaintingError: Error, Equatable, CustomStringConvertible {
    case invalidShape(String, reason: String)
    case invalidSize(Int)
    case unreadableImage(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidShape(let s, let r): return "--shape \(s): \(r)"
        case .invalidSize(let n): return "--size \(n): the image side must lie in [2, \(Painting.maximumSize)]"
        case .unreadableImage(let p, let r): return "cannot read image \(p): \(r)"
        }
    }
}

/// The painting dataset: one sample per pixel, input (x, y) in [-0.5, 0.5], target in [0, 1].
public struct Painting: Sendable {
    /// Image side in pixels.
    public let size: Int
    /// Pixel values, row-major `[size, size]`; row i has y = coordinate(i), column j x = coordinate(j).
    public let pixels: Tensor

    /// `linspace(-0.5, 0.5, size)`, inclusive, as in the W1 benchmark.
    public static func coordinate(_ i: Int, size: Int) -> Double { -0.5 + Double(i) / Double(size - 1) }

    /// The largest image side (a 4096 x 4096 painting is 16.8M training samples).
    public static let maximumSize = 4096

    /// Renders `shape` at `size` x `size`.
    public init(shape: PaintingShape, size: Int) throws {
        guard size >= 2, size <= Self.maximumSize else { throw PaintingError.invalidSize(size) }
        self.size = size
        if case .image(let path) = shape {
            let image = try GrayscaleImage(contentsOf: path)
            pixels = image.resampled(to: size)
            return
        }
        let t = Tensor(zeros: [size, size])
        for i in 0..<size {
            for j in 0..<size where shape.contains(x: Self.coordinate(j, size: size), y: Self.coordinate(i, size: size))
            {
                t.data[i * size + j] = 1
            }
        }
        pixels = t
    }

    /// Inputs `[size*size, 2]` as (x, y) and targets `[size*size, 1]`.
    public var dataset: TensorDataset {
        let n = size * size
        let x = Tensor(zeros: [n, 2])
        for i in 0..<size {
            for j in 0..<size {
                x.data[2 * (i * size + j)] = Float(Self.coordinate(j, size: size))
                x.data[2 * (i * size + j) + 1] = Float(Self.coordinate(i, size: size))
            }
        }
        return TensorDataset(inputs: x, targets: pixels.reshaped([n, 1]))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
