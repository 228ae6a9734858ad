#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SculptCore
import SculptData

/// Problems with a safetensors file; each names the file and, where there is one, the tensor.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    /// The file ends before the header or the data it announces.
    case truncated(path: String, reason: String)
    /// The header is not the JSON object the format requires.
    case malformedHeader(path: String, reason: String)
    /// A tensor has a dtype other than F32.
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor's shape has a negative or too large dimension.
    case invalidShape(path: String, tensor: String, shape: [Int])
    /// A tensor's byte range lies outside the data section or is reversed.
    case offsetsOutOfRange(path: String, tensor: String, offsets: [Int], dataSize: Int)
    /// A tensor's byte range does not hold 4 bytes per element of its shape.
    case sizeMismatch(path: String, tensor: String, shape: [Int], bytes: Int)
    /// Two tensors share bytes.
    case overlapping(path: String, first: String, second: String)
    /// Bytes of the data section belong to no tensor.
    case uncoveredBytes(path: String, from: Int, to: Int)

    public var description: String {
        switch self {
        case .truncated(let p, let r): return "\(p): truncated safetensors file: \(r)"
        case .malformedHeader(let p, let r): return "\(p): malformed safetensors header: \(r)"
        case .unsupportedDType(let p, let t, let d): return "\(p): tensor \(t) has dtype \(d), only F32 is supported"
        case .invalidShape(let p, let t, let s): return "\(p): tensor \(t) has invalid shape \(s)"
        case .offsetsOutOfRange(let p, let t, let o, let n):
            return "\(p): tensor \(t) has data_offsets \(o) outside the \(n)-byte data section"
        case .sizeMismatch(let p, let t, let s, let b):
            return "\(p): tensor \(t) of shape \(s) needs \(s.reduce(1, *) * 4) bytes but data_offsets span \(b)"
        case .overlapping(let p, let a, let b): return "\(p): tensors \(a) and \(b) overlap"
        case .uncoveredBytes(let p, let a, let b): return "\(p): data bytes \(a)..<\(b) belong to no tensor"
        }
    }
}

/// Named Float32 tensors in the safetensors format: an 8-byte little-endian header length, a
/// JSON header `{"name": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...}`
/// with optional string metadata under `"__metadata__"`, then the little-endian data.
public struct Safetensors {
    /// The tensors in data order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// Free-form string metadata.
    public var metadata: [String: String]

    /// A file holding `tensors` (names must be distinct) and `metadata`.
    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        precondition(Set(tensors.map(\.name)).count == tensors.count, "duplicate tensor names")
        precondition(!tensors.contains { $0.name == "__metadata__" }, "__metadata__ is reserved")
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    /// Total number of elements over all tensors.
    public var elementCount: Int { tensors.reduce(0) { $0 + $1.tensor.count } }

    // MARK: Writing

    /// The bytes of the file: header padded with spaces to a multiple of 8, then the data.
    public func encoded() -> [UInt8] {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let entries = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(entries.joined(separator: ","))}")
        }
        var offset = 0
        for (name, t) in tensors {
            let end = offset + 4 * t.count
            parts.append(
                "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + headerBytes.count + offset)
        var n = UInt64(headerBytes.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        out += headerBytes
        let start = out.count
        out += [UInt8](repeating: 0, count: offset)
        out.withUnsafeMutableBytes { raw in
            var o = start
            for (_, t) in tensors {
                for i in 0..<t.count {
                    raw.storeBytes(of: t.data[i].bitPattern.littleEndian, toByteOffset: o + 4 * i, as: UInt32.self)
                }
                o += 4 * t.count
            }
        }
        return out
    }

    /// Writes the file atomically (temporary file, then rename).
    public func write(to path: String) throws { try writeFileAtomically(encoded(), to: path) }

    // MARK: Reading

    /// Reads and validates a file.
    public static func read(_ path: String) throws -> Safetensors { try decode(try readFileBytes(path), path: path) }

    /// Decodes and validates the bytes of a file; `path` names it in errors. Every tensor must be
    /// F32, lie inside the data section, span exactly its shape's bytes, and the tensors must
    /// cover the data section without overlaps or gaps.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Safetensors {
        guard bytes.count >= 8 else {
            throw SafetensorsError.truncated(
                path: path, reason: "\(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(bytes[i]) }
        guard n <= UInt64(bytes.count - 8) else {
            throw SafetensorsError.truncated(
                path: path, reason: "header of \(n) bytes announced, \(bytes.count - 8) bytes follow")
        }
        let headerEnd = 8 + Int(n)
        guard n >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw SafetensorsError.malformedHeader(path: path, reason: "the header is not a JSON object")
        }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<headerEnd])) } catch {
            throw SafetensorsError.malformedHeader(path: path, reason: describe(error))
        }
        let dataSize = bytes.count - headerEnd
        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, e) in header.entries {
            guard e.dtype == "F32" else {
                throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: e.dtype)
            }
            var count = 1
            for d in e.shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow, p <= Int.max / 8 else {
                    throw SafetensorsError.invalidShape(path: path, tensor: name, shape: e.shape)
                }
                count = p
            }
            guard e.offsets.count == 2, e.offsets[0] >= 0, e.offsets[0] <= e.offsets[1], e.offsets[1] <= dataSize else {
                throw SafetensorsError.offsetsOutOfRange(
                    path: path, tensor: name, offsets: e.offsets, dataSize: dataSize)
            }
            guard e.offsets[1] - e.offsets[0] == 4 * count else {
                throw SafetensorsError.sizeMismatch(
                    path: path, tensor: name, shape: e.shape, bytes: e.offsets[1] - e.offsets[0])
            }
            entries.append((name, e.shape, e.offsets[0], e.offsets[1]))
        }
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        for (i, e) in entries.enumerated() {
            if e.begin < covered {
                throw SafetensorsError.overlapping(path: path, first: entries[i - 1].name, second: e.name)
            }
            if e.begin > covered { throw SafetensorsError.uncoveredBytes(path: path, from: covered, to: e.begin) }
            covered = e.end
        }
        if covered != dataSize { throw SafetensorsError.uncoveredBytes(path: path, from: covered, to: dataSize) }

        var tensors: [(name: String, tensor: Tensor)] = []
        bytes.withUnsafeBytes { raw in
            for e in entries {
                let t = Tensor(zeros: e.shape)
                for i in 0..<t.count {
                    let bits = UInt32(
                        littleEndian: raw.loadUnaligned(fromByteOffset: headerEnd + e.begin + 4 * i, as: UInt32.self))
                    t.data[i] = Float(bitPattern: bits)
                }
                tensors.append((e.name, t))
            }
        }
        return Safetensors(tensors: tensors, metadata: header.metadata)
    }

    /// The parsed JSON header: tensor entries in header order and metadata.
    private struct Header: Decodable {
        struct Entry: Decodable {
            let dtype: String
            let shape: [Int]
            let offsets: [Int]
            enum CodingKeys: String, CodingKey { case dtype, shape, offsets = "data_offsets" }
        }
        var entries: [(String, Entry)] = []
        var metadata: [String: String] = [:]

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: AnyKey.self)
            for key in c.allKeys {
                if key.stringValue == "__metadata__" {
                    metadata = try c.decode([String: String].self, forKey: key)
                } else {
                    entries.append((key.stringValue, try c.decode(Entry.self, forKey: key)))
                }
            }
        }
    }
}

/// A coding key for objects with arbitrary keys.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String { JSONValue.quoted(text) }

/// A one-line description of a decoding error.
func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.dataCorrupted(let c): return c.debugDescription + codingPath(c.codingPath)
    case DecodingError.keyNotFound(let k, let c): return "missing key '\(k.stringValue)'" + codingPath(c.codingPath)
    case DecodingError.typeMismatch(let t, let c): return "expected \(t)" + codingPath(c.codingPath)
    case DecodingError.valueNotFound(let t, let c): return "missing \(t) value" + codingPath(c.codingPath)
    default: return "\(error)"
    }
}

private func codingPath(_ path: [CodingKey]) -> String {
    var text = ""
    for key in path {
        if let i = key.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
    }
    return text.isEmpty ? "" : " at " + text
}
