/// The one way Sculpt prints numbers for people: never traps, whatever the value.
///
/// Non-finite values print as `nan`, `inf` and `-inf`; values too large for fixed notation
/// print in Swift's shortest round-trip form (`1e+38`). Conversions such as `Int(x)` trap on
/// NaN, infinity and values beyond `Int.max`, so printing code must not round through them.
public enum NumberFormatting {
    /// `x` rounded to `digits` decimals (trailing zeros dropped, at least one decimal kept): `0.1235`.
    public static func fixed(_ x: Double, digits: Int) -> String {
        if let special = nonFinite(x) { return special }
        let digits = Swift.max(0, Swift.min(digits, 15))
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (x * scale).rounded()
        guard scaled.isFinite, Swift.abs(scaled) < 9e15 else { return "\(x)" }
        return "\(scaled / scale)"
    }

    /// `x` rounded to `digits` decimals.
    public static func fixed(_ x: Float, digits: Int) -> String { fixed(Double(x), digits: digits) }

    /// A byte count in binary units with one decimal: `3.5 GiB`, `512.0 MiB`, `100 B`.
    public static func bytes(_ count: Double) -> String {
        if let special = nonFinite(count) { return special + " B" }
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = count, unit = 0
        while Swift.abs(value) >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) B" }
        return fixed((value * 10).rounded() / 10, digits: 1) + " " + units[unit]
    }

    /// `nan`, `inf` or `-inf` for non-finite values, else nil.
    public static func nonFinite(_ x: Double) -> String? {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        return nil
    }
}
