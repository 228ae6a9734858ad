import SculptData

/// An 8-bit RGB color.
public struct RGBColor: Equatable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
    /// The color of decision boundaries (no colormap value is pure red).
    public static let red = RGBColor(red: 255, green: 0, blue: 0)
    /// A light gray for backgrounds behind panels.
    public static let lightGray = RGBColor(red: 235, green: 235, blue: 235)
}

/// A raster of RGB pixels, row-major, with (0, 0) at the top left.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes, RGB interleaved.
    public private(set) var bytes: [UInt8]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: RGBColor = .white) {
        precondition(width > 0 && height > 0, "canvas needs positive size, got \(width)x\(height)")
        self.width = width
        self.height = height
        bytes = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            bytes[3 * p] = background.red
            bytes[3 * p + 1] = background.green
            bytes[3 * p + 2] = background.blue
        }
    }

    /// A canvas showing `values` (row-major `[height, width]`, expected in [0, 1]) through `colormap`.
    public init(values: [Float], width: Int, height: Int, colormap: Colormap = .viridis) {
        precondition(values.count == width * height, "\(values.count) values for \(width)x\(height)")
        self.init(width: width, height: height)
        for p in 0..<(width * height) { setPixel(x: p % width, y: p / width, colormap.color(values[p])) }
    }

    /// The color at (x, y).
    public func pixel(x: Int, y: Int) -> RGBColor {
        precondition(x >= 0 && x < width && y >= 0 && y < height, "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = 3 * (y * width + x)
        return RGBColor(red: bytes[i], green: bytes[i + 1], blue: bytes[i + 2])
    }

    /// Sets (x, y) to `color`; points outside the canvas are ignored (clipping).
    @inline(__always)
    public mutating func setPixel(x: Int, y: Int, _ color: RGBColor) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = 3 * (y * width + x)
        bytes[i] = color.red
        bytes[i + 1] = color.green
        bytes[i + 2] = color.blue
    }

    /// Fills the rectangle with top-left (x, y), clipped to the canvas.
    public mutating func fillRectangle(x: Int, y: Int, width w: Int, height h: Int, _ color: RGBColor) {
        for yy in Swift.max(0, y)..<Swift.max(Swift.max(0, y), Swift.min(height, y + h)) {
            for xx in Swift.max(0, x)..<Swift.max(Swift.max(0, x), Swift.min(width, x + w)) {
                setPixel(x: xx, y: yy, color)
            }
        }
    }

    /// Copies `other` with its top-left corner at (x, y), clipped to this canvas.
    public mutating func draw(_ other: Canvas, x: Int, y: Int) {
        for yy in 0..<other.height {
            for xx in 0..<other.width { setPixel(x: x + xx, y: y + yy, other.pixel(x: xx, y: yy)) }
        }
    }

    /// The canvas enlarged `factor` times by nearest neighbour (each pixel becomes a factor x factor block).
    public func upscaled(by factor: Int) -> Canvas {
        precondition(factor >= 1, "upscale factor must be >= 1, got \(factor)")
        var out = Canvas(width: width * factor, height: height * factor)
        for y in 0..<out.height {
            for x in 0..<out.width { out.setPixel(x: x, y: y, pixel(x: x / factor, y: y / factor)) }
        }
        return out
    }

    /// Draws the segment from (x0, y0) to (x1, y1) (pixel-centre coordinates), clipped to the canvas.
    public mutating func drawLine(x0: Double, y0: Double, x1: Double, y1: Double, _ color: RGBColor) {
        // Liang-Barsky clipping to the box [-0.5, width - 0.5] x [-0.5, height - 0.5].
        let dx = x1 - x0, dy = y1 - y0
        var t0 = 0.0, t1 = 1.0
        let edges: [(p: Double, q: Double)] = [(-dx, x0 + 0.5), (dx, Double(width) - 0.5 - x0),
                                               (-dy, y0 + 0.5), (dy, Double(height) - 0.5 - y0)]
        for (p, q) in edges {
            if p == 0 {
                if q < 0 { return }
            } else {
                let r = q / p
                if p < 0 { t0 = Swift.max(t0, r) } else { t1 = Swift.min(t1, r) }
            }
        }
        guard t0 <= t1 else { return }
        let ax = x0 + t0 * dx, ay = y0 + t0 * dy, bx = x0 + t1 * dx, by = y0 + t1 * dy
        let steps = Int(Swift.max(abs(bx - ax), abs(by - ay)).rounded(.up))
        for s in 0...steps {
            let t = steps == 0 ? 0 : Double(s) / Double(steps)
            setPixel(x: nearest(ax + t * (bx - ax)), y: nearest(ay + t * (by - ay)), color)
        }
    }

    /// Draws the whole line a*x + b*y + c = 0 (x, y in pixel-centre coordinates) across the canvas,
    /// `thickness` pixels wide; draws nothing when a and b are both zero or the line misses the canvas.
    public mutating func drawLine(a: Double, b: Double, c: Double, thickness: Int = 1, _ color: RGBColor) {
        guard a.isFinite, b.isFinite, c.isFinite, a != 0 || b != 0 else { return }
        let t = Swift.max(1, thickness), half = Double(t - 1) / 2
        if abs(b) >= abs(a) {
            // Mostly horizontal: one pixel per column.
            for x in 0..<width {
                let y = -(a * Double(x) + c) / b
                guard y > -1e6, y < 1e6 else { continue }
                let first = nearest(y - half)  // t pixels centred on y
                for o in 0..<t { setPixel(x: x, y: first + o, color) }
            }
        } else {
            for y in 0..<height {
                let x = -(b * Double(y) + c) / a
                guard x > -1e6, x < 1e6 else { continue }
                let first = nearest(x - half)
                for o in 0..<t { setPixel(x: first + o, y: y, color) }
            }
        }
    }

    /// The pixel whose centre is nearest to `v`, halves rounded up (so -0.5, the canvas edge, is pixel 0).
    @inline(__always)
    private func nearest(_ v: Double) -> Int { Int((v + 0.5).rounded(.down)) }

    /// The canvas as a PNG file (8-bit RGB).
    public func pngBytes() throws -> [UInt8] {
        try PNG.encode(rgb: bytes, width: width, height: height)
    }

    /// Writes the canvas as a PNG file, atomically.
    public func writePNG(to path: String) throws {
        try writeFileAtomically(try pngBytes(), to: path)
    }
}
