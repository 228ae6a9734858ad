import SculptCore

/// An unsigned-byte array read from an IDX file (the MNIST file format).
public struct IDXArray: Equatable, Sendable {
    /// The extent of each dimension, outermost first.
    public let dimensions: [Int]
    /// The elements, row-major.
    public let values: [UInt8]

    /// An array of `dimensions` holding `values` (whose count must be their product).
    public init(dimensions: [Int], values: [UInt8]) {
        precondition(dimensions.reduce(1, *) == values.count, "\(values.count) values for dimensions \(dimensions)")
        self.dimensions = dimensions
        self.values = values
    }
}

/// Reading and writing IDX files: magic `00 00 08 NN` (unsigned bytes, NN dimensions), NN
/// big-endian 32-bit sizes, then the bytes. Files starting with the gzip magic are inflated first.
public enum IDX {
    /// The IDX element-type code of unsigned bytes.
    static let unsignedByte: UInt8 = 0x08

    /// Reads an IDX file (plain or gzip), checking the magic number, the number of dimensions
    /// (when `rank` is given) and that the file holds exactly the bytes its header announces.
    public static func read(_ path: String, rank: Int? = nil) throws -> IDXArray {
        var bytes = try readFileBytes(path)
        if bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B {
            do { bytes = try Zlib.inflate(bytes) } catch {
                throw DataError.unreadable(path: path, reason: "corrupt gzip data (\(error))")
            }
        }
        return try decode(bytes, path: path, rank: rank)
    }

    /// Decodes the bytes of an (uncompressed) IDX file; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String, rank: Int? = nil) throws -> IDXArray {
        let expectedMagic = "0x000008" + (rank.map { hexByte(UInt8(truncatingIfNeeded: $0)) } ?? "NN")
        guard bytes.count >= 4 else {
            throw DataError.wrongSize(path: path, expected: "at least the 4-byte IDX header", actual: bytes.count)
        }
        let actualMagic = "0x" + bytes[0..<4].map(hexByte).joined()
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == unsignedByte, bytes[3] > 0 else {
            throw DataError.badMagic(path: path, expected: expectedMagic, actual: actualMagic)
        }
        let n = Int(bytes[3])
        if let rank, n != rank { throw DataError.badMagic(path: path, expected: expectedMagic, actual: actualMagic) }
        let headerSize = 4 + 4 * n
        guard bytes.count >= headerSize else {
            throw DataError.wrongSize(
                path: path, expected: "at least the \(headerSize)-byte header of \(n) dimensions", actual: bytes.count)
        }
        var dimensions: [Int] = []
        var total = 1, overflowed = false
        for d in 0..<n {
            let o = 4 + 4 * d
            let size = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            dimensions.append(size)
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            overflowed = overflowed || overflow
            total = product
        }
        // A product that overflowed once can come back to a small number (times a zero dimension).
        guard !overflowed, bytes.count - headerSize == total else {
            throw DataError.wrongSize(path: path, expected: "\(headerSize) + \(total) for dimensions \(dimensions)",
                                      actual: bytes.count)
        }
        return IDXArray(dimensions: dimensions, values: Array(bytes[headerSize...]))
    }

    /// The bytes of an IDX file holding `array`.
    public static func encode(_ array: IDXArray) -> [UInt8] {
        precondition(!array.dimensions.isEmpty && array.dimensions.count < 256, "IDX needs 1 to 255 dimensions")
        var out: [UInt8] = [0, 0, unsignedByte, UInt8(array.dimensions.count)]
        for d in array.dimensions {
            precondition(d >= 0 && d <= Int(UInt32.max), "IDX dimension \(d) out of range")
            out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)]
        }
        return out + array.values
    }

    /// Writes `array` as an IDX file, gzip-compressed when `compressed` is set (atomically).
    public static func write(_ array: IDXArray, to path: String, compressed: Bool = false) throws {
        let bytes = encode(array)
        try writeFileAtomically(compressed ? try Zlib.gzip(bytes) : bytes, to: path)
    }

    static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }
}
