import SculptCore

/// Per-channel normalization `(x - mean[c]) / std[c]` of NCHW images.
public struct ChannelNormalization: Codable, Equatable, Sendable {
    public var mean: [Float]
    public var std: [Float]

    /// A normalization with one mean and one (positive) standard deviation per channel.
    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "\(mean.count) means for \(std.count) standard deviations")
        precondition(std.allSatisfy { $0 > 0 }, "standard deviations must be positive, got \(std)")
        self.mean = mean
        self.std = std
    }

    /// The normalization that changes nothing.
    public static func identity(channels: Int) -> ChannelNormalization {
        ChannelNormalization(mean: [Float](repeating: 0, count: channels), std: [Float](repeating: 1, count: channels))
    }

    /// Number of channels.
    public var channels: Int { mean.count }

    /// Normalizes a batch `[B, C, ...]` in place.
    public func apply(to batch: Tensor) {
        // batch is (B, C, H, W) or any (B, C, ...)
        precondition(
            batch.rank >= 2 && batch.shape[1] == channels, "normalization of \(channels) channels for \(batch.shape)")
        let b = batch.shape[0], plane = batch.shape.dropFirst(2).reduce(1, *)
        for r in 0..<b {
            for c in 0..<channels {
                let p = batch.data + (r * channels + c) * plane
                let m = mean[c], inv = 1 / std[c]
                for k in 0..<plane { p[k] = (p[k] - m) * inv }
            }
        }
    }
}
