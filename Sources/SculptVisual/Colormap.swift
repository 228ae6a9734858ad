/// A map from [0, 1] to colors, by linear interpolation between evenly spaced anchors.
public struct Colormap: Sendable {
    /// Anchor colors at 0, 1/(n-1), ..., 1.
    public let anchors: [RGBColor]

    public init(anchors: [RGBColor]) {
        precondition(anchors.count >= 2, "a colormap needs at least two anchors")
        self.anchors = anchors
    }

    /// The color of `value`; values outside [0, 1] are clamped, NaN maps to 0.
    public func color(_ value: Float) -> RGBColor {
        let v = value.isNaN ? 0 : Swift.min(1, Swift.max(0, value))
        let position = v * Float(anchors.count - 1)
        let i = Swift.min(anchors.count - 2, Int(position))
        let t = position - Float(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Float(x) + t * (Float(y) - Float(x))).rounded()) }
        return RGBColor(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
    }

    /// Perceptually uniform purple (0) to yellow (1), sampled from matplotlib's viridis, as in the paper's figures.
    public static let viridis = Colormap(anchors: [
        RGBColor(red: 68, green: 1, blue: 84),
        RGBColor(red: 71, green: 44, blue: 122),
        RGBColor(red: 59, green: 82, blue: 139),
        RGBColor(red: 44, green: 113, blue: 142),
        RGBColor(red: 33, green: 145, blue: 140),
        RGBColor(red: 39, green: 173, blue: 129),
        RGBColor(red: 92, green: 200, blue: 99),
        RGBColor(red: 170, green: 220, blue: 50),
        RGBColor(red: 253, green: 231, blue: 37),
    ])

    /// Black (0) to white (1).
    public static let gray = Colormap(anchors: [.black, .white])
}
