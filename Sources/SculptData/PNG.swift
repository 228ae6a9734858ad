/// Problems decoding (or encoding) a PNG file; every malformed input ends in one of these.
public enum PNGError: Error, Equatable, CustomStringConvertible {
    /// The first 8 bytes are not the PNG signature.
    case badSignature
    /// A chunk's stored CRC does not match its contents.
    case badCRC(chunk: String, stored: UInt32, computed: UInt32)
    /// The file ends before `what` is complete.
    case truncated(String)
    /// Interlaced (Adam7) images are not supported.
    case unsupportedInterlace(method: Int)
    /// A bit depth / color type combination this decoder does not read (or the PNG standard forbids).
    case unsupportedFormat(bitDepth: Int, colorType: Int)
    /// A structurally invalid file: bad header, missing chunk, unknown filter, palette index out of range.
    case invalid(String)
    /// The image is larger than the decoder accepts.
    case tooLarge(width: Int, height: Int)

    public var description: String {
        switch self {
        case .badSignature: return "not a PNG file (bad signature)"
        case .badCRC(let c, let s, let x):
            return "PNG chunk \(c) is corrupt: stored CRC \(hex(s)), computed \(hex(x))"
        case .truncated(let what): return "PNG file is truncated (\(what))"
        case .unsupportedInterlace(let m):
            return "interlaced PNG (method \(m)) is not supported; save it non-interlaced"
        case .unsupportedFormat(let d, let c): return "unsupported PNG format: bit depth \(d) with color type \(c)"
        case .invalid(let why): return "invalid PNG: \(why)"
        case .tooLarge(let w, let h): return "PNG image \(w)x\(h) is too large (at most \(PNG.maximumPixels) pixels)"
        }
    }

    private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}

/// A decoded PNG: samples per pixel in row-major order, palette already expanded.
public struct PNGImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images decode to 3 or 4).
    public let channels: Int
    /// Largest sample value: 2^bitDepth - 1 (255 for 8-bit and palette images).
    public let maximumValue: Int
    /// `width * height * channels` samples, row-major, channels interleaved.
    public let samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, maximumValue: Int, samples: [UInt16]) {
        precondition(
            samples.count == width * height * channels, "\(samples.count) samples for \(width)x\(height)x\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.maximumValue = maximumValue
        self.samples = samples
    }

    /// Luminance in [0, 1] per pixel: gray as is, color as 0.299 R + 0.587 G + 0.114 B; an alpha
    /// channel composites the pixel over black (transparent pixels read as 0).
    public var luminance: [Float] {
        let scale = 1 / Float(maximumValue)
        var out = [Float](repeating: 0, count: width * height)
        for p in 0..<(width * height) {
            let s = p * channels
            let value: Float
            switch channels {
            case 1, 2: value = Float(samples[s]) * scale
            default:
                value =
                    (0.299 * Float(samples[s]) + 0.587 * Float(samples[s + 1]) + 0.114 * Float(samples[s + 2])) * scale
            }
            let alpha: Float = (channels == 2 || channels == 4) ? Float(samples[s + channels - 1]) * scale : 1
            out[p] = Swift.min(1, Swift.max(0, value * alpha))
        }
        return out
    }
}

/// PNG encoding (8-bit gray and RGB) and decoding (non-interlaced, every color type, bit depths 1-16).
public enum PNG {
    /// The 8-byte file signature.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The decoder refuses images with more pixels than this (64 megapixels).
    public static let maximumPixels = 1 << 26

    /// Row filter choice for encoding.
    public enum FilterStrategy: Equatable, Sendable {
        /// Per row, the filter with the smallest sum of absolute filtered bytes (the usual heuristic).
        case adaptive
        /// The same filter type (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) on every row.
        case fixed(UInt8)
    }

    // MARK: Encoding

    /// Encodes 8-bit gray pixels (`width * height` bytes, row-major).
    public static func encode(
        gray pixels: [UInt8], width: Int, height: Int, filter: FilterStrategy = .adaptive
    ) throws -> [UInt8] {
        try encode(pixels, width: width, height: height, channels: 1, colorType: 0, filter: filter)
    }

    /// Encodes 8-bit RGB pixels (`width * height * 3` bytes, row-major, interleaved).
    public static func encode(
        rgb pixels: [UInt8], width: Int, height: Int, filter: FilterStrategy = .adaptive
    ) throws -> [UInt8] {
        try encode(pixels, width: width, height: height, channels: 3, colorType: 2, filter: filter)
    }

    private static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int, colorType: UInt8,
                               filter: FilterStrategy) throws -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height * channels,
                     "\(pixels.count) bytes for a \(width)x\(height) image with \(channels) channels")
        if case .fixed(let t) = filter { precondition(t <= 4, "PNG filter type \(t) does not exist") }
        let stride = width * channels
        var raw = [UInt8]()
        raw.reserveCapacity((stride + 1) * height)
        var candidate = [UInt8](repeating: 0, count: stride)
        var best = [UInt8](repeating: 0, count: stride)
        let zeroRow = [UInt8](repeating: 0, count: stride)
        for r in 0..<height {
            let row = Array(pixels[(r * stride)..<((r + 1) * stride)])
            let prior = r == 0 ? zeroRow : Array(pixels[((r - 1) * stride)..<(r * stride)])
            let types: [UInt8]
            switch filter {
            case .fixed(let t): types = [t]
            case .adaptive: types = [0, 1, 2, 3, 4]
            }
            var bestType: UInt8 = 0, bestCost = Int.max
            for t in types {
                applyFilter(t, row: row, prior: prior, bpp: channels, into: &candidate)
                let cost = candidate.reduce(0) { $0 + Int(Int8(bitPattern: $1).magnitude) }
                if cost < bestCost { bestCost = cost; bestType = t; swap(&best, &candidate) }
            }
            raw.append(bestType)
            raw.append(contentsOf: best)
        }
        var out = signature
        var header = [UInt8]()
        appendUInt32(UInt32(width), to: &header)
        appendUInt32(UInt32(height), to: &header)
        header += [8, colorType, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        appendChunk("IDAT", try Zlib.deflate(raw), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Filters one row (bytes `row`, previous row `prior`, `bpp` bytes per pixel) with filter type `t`.
    static func applyFilter(_ t: UInt8, row: [UInt8], prior: [UInt8], bpp: Int, into out: inout [UInt8]) {
        for i in 0..<row.count {
            let a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0
            let predictor: UInt8
            switch t {
            case 0: predictor = 0
            case 1: predictor = a
            case 2: predictor = b
            case 3: predictor = UInt8((Int(a) + Int(b)) / 2)
            default: predictor = paeth(a, b, c)
            }
            out[i] = row[i] &- predictor
        }
    }

    @inline(__always)
    static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let p = Int(a) + Int(b) - Int(c)
        let pa = abs(p - Int(a)), pb = abs(p - Int(b)), pc = abs(p - Int(c))
        if pa <= pb && pa <= pc { return a }
        return pb <= pc ? b : c
    }

    private static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        appendUInt32(UInt32(data.count), to: &out)
        let typeAndData = Array(type.utf8) + data
        out += typeAndData
        appendUInt32(Zlib.crc32(typeAndData), to: &out)
    }

    // MARK: Decoding

    /// Decodes a non-interlaced PNG of any color type (gray, gray+alpha, RGB, RGBA, palette) at
    /// the bit depths the standard allows for it (1, 2, 4, 8, 16).
    public static func decode(_ bytes: [UInt8]) throws -> PNGImage {
        guard bytes.count >= 8 else {
            throw bytes.elementsEqual(signature.prefix(bytes.count))
                ? PNGError.truncated("signature") : PNGError.badSignature
        }
        guard bytes.starts(with: signature) else { throw PNGError.badSignature }

        var pos = 8
        var header: (width: Int, height: Int, bitDepth: Int, colorType: Int)?
        var palette: [UInt8]?
        var compressed = [UInt8]()
        var sawEnd = false
        while !sawEnd {
            guard bytes.count - pos >= 8 else {
                throw PNGError.truncated(header == nil ? "IHDR chunk" : "chunk header")
            }
            let length = Int(readUInt32(bytes, pos))
            let typeBytes = Array(bytes[(pos + 4)..<(pos + 8)])
            let type = String(
                decoding: typeBytes.map { (65...122).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
            guard length <= Int(Int32.max) else { throw PNGError.invalid("chunk \(type) claims length \(length)") }
            guard bytes.count - pos - 8 >= length + 4 else {
                throw PNGError.truncated("chunk \(type) of \(length) bytes")
            }
            let data = Array(bytes[(pos + 8)..<(pos + 8 + length)])
            let stored = readUInt32(bytes, pos + 8 + length)
            let computed = Zlib.crc32(typeBytes + data)
            guard stored == computed else { throw PNGError.badCRC(chunk: type, stored: stored, computed: computed) }
            pos += 12 + length

            if header == nil && type != "IHDR" { throw PNGError.invalid("first chunk is \(type), not IHDR") }
            switch type {
            case "IHDR":
                guard header == nil else { throw PNGError.invalid("two IHDR chunks") }
                header = try parseHeader(data)
            case "PLTE":
                guard length % 3 == 0, length >= 3, length <= 768 else {
                    throw PNGError.invalid("palette of \(length) bytes")
                }
                palette = data
            case "IDAT":
                compressed += data
            case "IEND":
                sawEnd = true
            default:
                // Bit 5 of the first letter clear (uppercase) marks a critical chunk we must understand.
                if typeBytes[0] & 0x20 == 0 { throw PNGError.invalid("unknown critical chunk \(type)") }
            }
        }
        guard let h = header else { throw PNGError.invalid("no IHDR chunk") }
        guard !compressed.isEmpty else { throw PNGError.invalid("no IDAT chunk") }
        if h.colorType == 3 && palette == nil { throw PNGError.invalid("palette image without a PLTE chunk") }

        let raw: [UInt8]
        do { raw = try Zlib.inflate(compressed) } catch {
            throw PNGError.invalid("image data does not decompress: \(error)")
        }
        return try unfilterAndUnpack(raw, width: h.width, height: h.height, bitDepth: h.bitDepth,
                                     colorType: h.colorType, palette: palette)
    }

    private static func readUInt32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    private static func parseHeader(_ d: [UInt8]) throws -> (width: Int, height: Int, bitDepth: Int, colorType: Int) {
        guard d.count == 13 else { throw PNGError.invalid("IHDR of \(d.count) bytes (13 expected)") }
        let w = Int(readUInt32(d, 0)), h = Int(readUInt32(d, 4))
        let depth = Int(d[8]), color = Int(d[9])
        guard w > 0, h > 0, w <= Int(Int32.max), h <= Int(Int32.max) else {
            throw PNGError.invalid("image size \(w)x\(h)")
        }
        guard w * h <= maximumPixels else { throw PNGError.tooLarge(width: w, height: h) }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[color], depths.contains(depth) else {
            throw PNGError.unsupportedFormat(bitDepth: depth, colorType: color)
        }
        guard d[10] == 0 else { throw PNGError.invalid("compression method \(d[10])") }
        guard d[11] == 0 else { throw PNGError.invalid("filter method \(d[11])") }
        guard d[12] == 0 else { throw PNGError.unsupportedInterlace(method: Int(d[12])) }
        return (w, h, depth, color)
    }

    private static func unfilterAndUnpack(_ raw: [UInt8], width: Int, height: Int, bitDepth: Int, colorType: Int,
                                          palette: [UInt8]?) throws -> PNGImage {
        let fileChannels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        let bitsPerPixel = fileChannels * bitDepth
        let stride = (width * bitsPerPixel + 7) / 8
        let bpp = Swift.max(1, bitsPerPixel / 8)
        guard raw.count >= (stride + 1) * height else {
            throw PNGError.truncated("image data holds \(raw.count) bytes, \((stride + 1) * height) needed")
        }
        let outChannels = colorType == 3 ? 3 : fileChannels
        var samples = [UInt16](repeating: 0, count: width * height * outChannels)
        var prior = [UInt8](repeating: 0, count: stride)
        var row = [UInt8](repeating: 0, count: stride)
        let paletteCount = (palette?.count ?? 0) / 3
        for r in 0..<height {
            let base = r * (stride + 1)
            let filterType = raw[base]
            guard filterType <= 4 else { throw PNGError.invalid("row \(r) has filter type \(filterType)") }
            for i in 0..<stride {
                let x = raw[base + 1 + i]
                let a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0
                switch filterType {
                case 0: row[i] = x
                case 1: row[i] = x &+ a
                case 2: row[i] = x &+ b
                case 3: row[i] = x &+ UInt8((Int(a) + Int(b)) / 2)
                default: row[i] = x &+ paeth(a, b, c)
                }
            }
            // Unpack samples of this row.
            let out = r * width * outChannels
            let n = width * fileChannels
            for s in 0..<n {
                let v: UInt16
                switch bitDepth {
                case 16: v = UInt16(row[2 * s]) << 8 | UInt16(row[2 * s + 1])
                case 8: v = UInt16(row[s])
                default:
                    let bit = s * bitDepth
                    let shift = 8 - bitDepth - (bit % 8)
                    v = UInt16((row[bit / 8] >> UInt8(shift)) & UInt8((1 << bitDepth) - 1))
                }
                if colorType == 3, let palette {
                    guard Int(v) < paletteCount else {
                        throw PNGError.invalid("palette index \(v) with \(paletteCount) colors")
                    }
                    for k in 0..<3 { samples[out + 3 * s + k] = UInt16(palette[3 * Int(v) + k]) }
                } else {
                    samples[out + s] = v
                }
            }
            swap(&prior, &row)
        }
        let maximum = colorType == 3 ? 255 : (1 << bitDepth) - 1
        return PNGImage(width: width, height: height, channels: outChannels, maximumValue: maximum, samples: samples)
    }
}
