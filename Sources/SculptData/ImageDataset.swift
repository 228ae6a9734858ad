import SculptCore

/// Images stored as bytes with class labels, converted to Float (`byte / 255`, then normalized
/// per channel) as batches are filled; a quarter of the memory of Float storage.
///
/// Samples are `[channels, height, width]` (NCHW batches); targets are class indices as Float.
public struct ImageDataset: Dataset, Sendable {
    /// Pixels of all samples, each `channels * height * width` bytes, channel-major.
    public let pixels: [UInt8]
    /// The class of each sample.
    public let labels: [Int32]
    public let channels: Int
    public let height: Int
    public let width: Int
    /// Number of classes; every label lies in `0..<classes`.
    public let classes: Int
    /// Applied to the `[0, 1]`-scaled pixels as batches are filled.
    public var normalization: ChannelNormalization {
        didSet { table = Self.lookupTable(normalization, channels: channels) }
    }
    /// `table[c * 256 + byte]` is the normalized value of `byte` in channel `c`.
    private var table: [Float]

    /// A dataset of `labels.count` images; labels must lie in `0..<classes`.
    public init(pixels: [UInt8], labels: [Int32], channels: Int, height: Int, width: Int, classes: Int,
                normalization: ChannelNormalization? = nil) {
        precondition(channels > 0 && height > 0 && width > 0, "image shape \([channels, height, width])")
        precondition(pixels.count == labels.count * channels * height * width,
                     "\(pixels.count) bytes for \(labels.count) images of \([channels, height, width])")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "labels outside 0..<\(classes)")
        let n = normalization ?? .identity(channels: channels)
        precondition(n.mean.count == channels, "normalization for \(n.mean.count) channels, images have \(channels)")
        self.pixels = pixels
        self.labels = labels
        self.channels = channels
        self.height = height
        self.width = width
        self.classes = classes
        self.normalization = n
        self.table = Self.lookupTable(n, channels: channels)
    }

    public var count: Int { labels.count }
    public var inputShape: [Int] { [channels, height, width] }
    public var targetShape: [Int] { [] }
    public var classCount: Int? { classes }

    public func fillBatch(indices: ArraySlice<Int>, inputs: Tensor, targets: Tensor) {
        // inputs is (B, C, H, W), targets is (B)
        let plane = height * width, size = channels * plane
        inputs.resize([indices.count, channels, height, width])
        targets.resize([indices.count])
        for i in indices { precondition(i >= 0 && i < count, "sample \(i) out of range 0..<\(count)") }
        let x = inputs.data, y = targets.data
        pixels.withUnsafeBufferPointer { px in
            table.withUnsafeBufferPointer { tb in
                labels.withUnsafeBufferPointer { ls in
                    indices.withUnsafeBufferPointer { idx in
                        // samples split over the workers (a training step's serial part otherwise: W2's 128
                        // images are 100,352 lookups); every value is a table entry, whatever the split
                        Parallel.forRanges(count: idx.count, work: idx.count * size) { rows in
                            for r in rows {
                                let i = idx[r], src = px.baseAddress! + i * size, dst = x + r * size
                                for c in 0..<channels {
                                    let t = tb.baseAddress! + c * 256, s = src + c * plane, d = dst + c * plane
                                    for k in 0..<plane { d[k] = t[Int(s[k])] }
                                }
                                y[r] = Float(ls[i])
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first `limit` samples when 0 < `limit` < `count`, else the whole set: the sample limit
    /// (`--train-limit`, a spec's `trainLimit` / `testLimit`; 0 means no limit).
    public func limited(to limit: Int) -> ImageDataset {
        limit > 0 && limit < count ? subset(Array(0..<limit)) : self
    }

    /// The samples at `indices`, in that order (copies the bytes).
    public func subset(_ indices: [Int]) -> ImageDataset {
        let size = channels * height * width
        var px = [UInt8]()
        px.reserveCapacity(indices.count * size)
        var ls = [Int32]()
        ls.reserveCapacity(indices.count)
        for i in indices {
            precondition(i >= 0 && i < count, "sample \(i) out of range 0..<\(count)")
            px.append(contentsOf: pixels[(i * size)..<((i + 1) * size)])
            ls.append(labels[i])
        }
        return ImageDataset(pixels: px, labels: ls, channels: channels, height: height, width: width,
                            classes: classes, normalization: normalization)
    }

    /// Per-channel mean and standard deviation of the `[0, 1]`-scaled pixels (a constant channel
    /// gets standard deviation 1).
    public func channelStatistics() -> ChannelNormalization {
        let plane = height * width
        var histogram = [[Int]](repeating: [Int](repeating: 0, count: 256), count: channels)
        for i in 0..<count {
            for c in 0..<channels {
                let base = (i * channels + c) * plane
                for k in 0..<plane { histogram[c][Int(pixels[base + k])] += 1 }
            }
        }
        var mean = [Float](), std = [Float]()
        for c in 0..<channels {
            var n = 0.0, s = 0.0, s2 = 0.0
            for v in 0..<256 where histogram[c][v] > 0 {
                let x = Double(v) / 255, w = Double(histogram[c][v])
                n += w; s += w * x; s2 += w * x * x
            }
            let m = n > 0 ? s / n : 0
            let variance = n > 0 ? Swift.max(s2 / n - m * m, 0) : 0
            mean.append(Float(m))
            std.append(variance > 1e-12 ? Float(variance.squareRoot()) : 1)
        }
        return ChannelNormalization(mean: mean, std: std)
    }

    private static func lookupTable(_ n: ChannelNormalization, channels: Int) -> [Float] {
        var t = [Float](repeating: 0, count: channels * 256)
        for c in 0..<channels {
            for v in 0..<256 { t[c * 256 + v] = (Float(v) / 255 - n.mean[c]) / n.std[c] }
        }
        return t
    }
}
