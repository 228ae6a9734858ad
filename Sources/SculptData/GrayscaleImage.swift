import SculptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An 8-bit-style grayscale picture with values in [0, 1].
public struct GrayscaleImage: Sendable {
    public let width: Int
    public let height: Int
    /// Row-major values in [0, 1].
    public let values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(values.count == width * height, "\(values.count) values for \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    /// Reads a PGM (P2 or P5) or PNG file; color PNGs become luminance 0.299 R + 0.587 G + 0.114 B.
    /// Throws `FileError` when the file cannot be opened, `PaintingError.unreadableImage` when it cannot be decoded.
    public init(contentsOf path: String) throws {
        try self.init(bytes: try readFileBytes(path), path: path)
    }

    /// Decodes the bytes of a PGM or PNG file; `path` names it in errors.
    public init(bytes: [UInt8], path: String) throws {
        if bytes.starts(with: [0x50, 0x35]) || bytes.starts(with: [0x50, 0x32]) {
            self = try Self.decodePGM(bytes, path: path)
        } else if bytes.starts(with: PNG.signature.prefix(4)) {
            do { self = GrayscaleImage(png: try PNG.decode(bytes)) } catch let e as PNGError {
                throw PaintingError.unreadableImage(path: path, reason: e.description)
            }
        } else {
            throw PaintingError.unreadableImage(path: path, reason: "neither PGM (magic P5 or P2) nor PNG")
        }
    }

    /// The luminance of a decoded PNG.
    public init(png: PNGImage) {
        self.init(width: png.width, height: png.height, values: png.luminance)
    }

    static func decodePGM(_ b: [UInt8], path: String) throws -> GrayscaleImage {
        var pos = 2
        func token() throws -> Int {
            while pos < b.count {
                if b[pos] == UInt8(ascii: "#") { while pos < b.count && b[pos] != 10 { pos += 1 } }
                else if b[pos] == 32 || b[pos] == 9 || b[pos] == 10 || b[pos] == 13 { pos += 1 }
                else { break }
            }
            var v = 0, digits = 0
            while pos < b.count, b[pos] >= 48, b[pos] <= 57 {
                // Cap the value so that absurd headers give an error, not an arithmetic overflow.
                guard v < 1 << 32 else {
                    throw PaintingError.unreadableImage(path: path, reason: "number too large in PGM")
                }
                v = v * 10 + Int(b[pos] - 48); pos += 1; digits += 1
            }
            guard digits > 0 else { throw PaintingError.unreadableImage(path: path, reason: "malformed PGM") }
            return v
        }
        let w = try token(), h = try token(), maxval = try token()
        guard w > 0, h > 0, w <= 1 << 26, h <= 1 << 26, w * h <= PNG.maximumPixels, maxval > 0, maxval < 65536 else {
            throw PaintingError.unreadableImage(path: path, reason: "PGM header gives \(w)x\(h), maxval \(maxval)")
        }
        var values = [Float](repeating: 0, count: w * h)
        if b[1] == UInt8(ascii: "5") {
            pos += 1
            let bpp = maxval < 256 ? 1 : 2
            guard b.count - pos >= w * h * bpp else {
                throw PaintingError.unreadableImage(
                    path: path,
                    reason: "truncated: \(w)x\(h) needs \(w * h * bpp) bytes of pixels, file has \(b.count - pos)")
            }
            for i in 0..<(w * h) {
                let v = bpp == 1 ? Int(b[pos + i]) : Int(b[pos + 2 * i]) << 8 | Int(b[pos + 2 * i + 1])
                values[i] = Float(v) / Float(maxval)
            }
        } else {
            for i in 0..<(w * h) { values[i] = Float(try token()) / Float(maxval) }
        }
        return GrayscaleImage(width: w, height: h, values: values)
    }

    /// Nearest-neighbour resampling to `size` x `size`, as a `[size, size]` tensor.
    public func resampled(to size: Int) -> Tensor {
        let t = Tensor(zeros: [size, size])
        for i in 0..<size {
            let si = Swift.min(height - 1, i * height / size)
            for j in 0..<size {
                let sj = Swift.min(width - 1, j * width / size)
                t.data[i * size + j] = values[si * width + sj]
            }
        }
        return t
    }
}

/// Errors reading files.
public enum FileError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "cannot open \(p): \(r)"
        case .cannotWrite(let p, let r): return "cannot write \(p): \(r)"
        }
    }
}

/// The whole contents of a file.
public func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    if ferror(f) != 0 { throw FileError.cannotOpen(path: path, reason: "read error") }
    return out
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then rename.
public func writeFileAtomically(_ bytes: [UInt8], to path: String) throws {
    let tmp = path + ".tmp-\(getpid())"
    guard let f = fopen(tmp, "wb") else {
        throw FileError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
    }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    let flushed = fflush(f) == 0
    fclose(f)
    guard written == bytes.count, flushed else {
        unlink(tmp)
        throw FileError.cannotWrite(path: path, reason: "short write")
    }
    guard rename(tmp, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(tmp)
        throw FileError.cannotWrite(path: path, reason: reason)
    }
}
