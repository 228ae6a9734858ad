/// A colour for plots, as SVG/CSS hex text (`#0072B2`).
public struct PlotColor: Hashable, Sendable, CustomStringConvertible {
    /// `#RRGGBB`.
    public var hex: String

    public init(hex: String) { self.hex = hex }

    /// The hex form of an 8-bit RGB colour (for colormaps).
    public init(_ rgb: RGBColor) {
        func byte(_ v: UInt8) -> String {
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(v >> 4)], digits[Int(v & 15)]])
        }
        hex = "#" + byte(rgb.red) + byte(rgb.green) + byte(rgb.blue)
    }

    public var description: String { hex }

    /// Okabe & Ito's colour-blind-safe palette, in the order series receive it: blue, vermillion,
    /// bluish green, orange, reddish purple, sky blue, black, yellow (last: faint on white).
    public static let okabeIto: [PlotColor] = [
        "#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442",
    ].map { PlotColor(hex: $0) }

    /// The `index`-th palette colour (wrapping around).
    public static func palette(_ index: Int) -> PlotColor {
        okabeIto[((index % okabeIto.count) + okabeIto.count) % okabeIto.count]
    }

    /// Mid grey for reference lines and notes.
    public static let gray = PlotColor(hex: "#767676")
    public static let black = PlotColor(hex: "#000000")
}
