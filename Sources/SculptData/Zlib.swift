import CZlib

/// Errors from compressed data.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    case corrupt(String)

    public var description: String {
        switch self {
        case .corrupt(let why): return "corrupt compressed data: \(why)"
        }
    }
}

/// zlib and gzip streams.
public enum Zlib {
    /// Decompresses a zlib or gzip stream (detected from the header).
    public static func inflate(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: accept both zlib and gzip headers.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError.corrupt("inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8]()
        output.reserveCapacity(input.count * 4)
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var status: Int32 = Z_OK
        try input.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(src.count)
            repeat {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { dst in
                    stream.next_out = dst.baseAddress
                    stream.avail_out = uInt(dst.count)
                    status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    return dst.count - Int(stream.avail_out)
                }
                if status != Z_OK && status != Z_STREAM_END {
                    let msg = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw CompressionError.corrupt(msg)
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_OK && produced == 0 && stream.avail_in == 0 {
                    throw CompressionError.corrupt("truncated stream")
                }
            } while status != Z_STREAM_END
        }
        return output
    }

    /// Compresses into a zlib stream (as PNG's IDAT needs).
    public static func deflate(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var destLen = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(destLen))
        let status = out.withUnsafeMutableBufferPointer { dst in
            input.withUnsafeBufferPointer { src in
                compress2(dst.baseAddress, &destLen, src.baseAddress, uLong(src.count), level)
            }
        }
        guard status == Z_OK else { throw CompressionError.corrupt("compress2 failed with status \(status)") }
        return Array(out[0..<Int(destLen)])
    }

    /// Compresses into a gzip stream (as `.gz` files hold).
    public static func gzip(_ input: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 16: a gzip header and trailer instead of zlib's.
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                             ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw CompressionError.corrupt("deflateInit failed")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
        let status: Int32 = out.withUnsafeMutableBufferPointer { dst in
            input.withUnsafeBufferPointer { src in
                stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.baseAddress
                stream.avail_out = uInt(dst.count)
                return CZlib.deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw CompressionError.corrupt("deflate failed with status \(status)") }
        return Array(out[0..<Int(stream.total_out)])
    }

    /// CRC-32 (as PNG chunks and gzip use).
    public static func crc32(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(uLong(initial), $0.baseAddress, uInt($0.count))) }
    }
}
