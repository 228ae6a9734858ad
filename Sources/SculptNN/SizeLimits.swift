/// Bounds on the sizes a network description may hold, so that absurd values are refused with
/// an error instead of overflowing an `Int` or asking the allocator for terabytes.
///
/// The bounds are far above any network Sculpt trains; memory is checked separately, against
/// the machine, by `MemoryEstimate`.
public enum SizeLimits {
    /// The largest width, channel count, kernel side, stride, padding or sample side: 2^24.
    public static let maxDimension = 1 << 24
    /// The largest number of values in one sample (a flattened feature map): 2^31.
    public static let maxSampleCount = 1 << 31
    /// The largest width multiplier of a built-in model.
    public static let maxWidthMultiplier = 4096.0

    /// Throws `ShapeError.invalidArchitecture` naming `what` when `value` exceeds `maxDimension`.
    static func checkDimension(_ value: Int, _ what: String) throws {
        guard value <= maxDimension else {
            throw ShapeError.invalidArchitecture("\(what) \(value) exceeds the largest supported size \(maxDimension)")
        }
    }

    /// The product of `shape`'s sides, or an error when it exceeds `maxSampleCount`.
    static func sampleCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for side in shape {
            let (product, overflow) = n.multipliedReportingOverflow(by: side)
            guard !overflow, product <= maxSampleCount else {
                throw ShapeError.invalidArchitecture("a sample of shape \(shape) exceeds \(maxSampleCount) values")
            }
            n = product
        }
        return n
    }
}
