import Foundation
import SculptCore
import SculptIO
import Testing

@Suite struct SafetensorsTests {
    static func sample() -> Safetensors {
        let special = Tensor([1, -0.0, .nan, .infinity, Float.leastNonzeroMagnitude, -3.5], shape: [2, 3])
        special.data[2] = Float(bitPattern: 0x7FC0_1234)  // a NaN with a payload
        return Safetensors(tensors: [("layers.0.weight", special), ("layers.0.bias", Tensor([0.25, 7])),
                                     ("scalar", Tensor([42], shape: [])), ("empty", Tensor(zeros: [0, 4])),
                                     ("odd \"name\"\\", Tensor([1], shape: [1, 1]))],
                           metadata: ["format": "pt", "note": "line\nbreak"])
    }

    @Test func roundTripIsBitForBit() throws {
        let file = Self.sample()
        let bytes = file.encoded()
        let back = try Safetensors.decode(bytes, path: "t")
        #expect(back.tensors.map(\.name) == file.tensors.map(\.name))
        for ((_, a), (_, b)) in zip(file.tensors, back.tensors) {
            #expect(a.shape == b.shape)
            #expect(a.scalars.map(\.bitPattern) == b.scalars.map(\.bitPattern))
        }
        #expect(back.metadata == file.metadata)
        #expect(back.encoded() == bytes)
    }

    @Test func layoutFollowsTheFormat() throws {
        let bytes = Safetensors(tensors: [("w", Tensor([1, -2], shape: [1, 2]))]).encoded()
        var n = 0
        for i in (0..<8).reversed() { n = n << 8 | Int(bytes[i]) }
        #expect(n % 8 == 0)
        #expect(bytes.count == 8 + n + 8)
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any]
        let entry = header?["w"] as? [String: Any]
        #expect(entry?["dtype"] as? String == "F32")
        #expect(entry?["shape"] as? [Int] == [1, 2])
        #expect(entry?["data_offsets"] as? [Int] == [0, 8])
        // 1.0 = 0x3F800000 and -2.0 = 0xC0000000, little-endian
        #expect(Array(bytes[(8 + n)...]) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
    }

    /// The bytes `safetensors.numpy.save_file({"a": arange(6).reshape(2, 3), "b": [1.5]}, metadata={"x": "y"})`
    /// wrote (safetensors 0.x, float32): Sculpt reads them and writes the same bytes.
    @Test func matchesTheOfficialLibrary() throws {
        let header =
            #"{"__metadata__":{"x":"y"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]}}"#
            + "       "
        let data: [UInt8] = [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40,
                             0x00, 0x00, 0x80, 0x40, 0x00, 0x00, 0xA0, 0x40, 0x00, 0x00, 0xC0, 0x3F]
        let official: [UInt8] = [0x90, 0, 0, 0, 0, 0, 0, 0] + Array(header.utf8) + data
        let file = try Safetensors.decode(official, path: "official")
        #expect(file["a"] == Tensor([0, 1, 2, 3, 4, 5], shape: [2, 3]))
        #expect(file["b"] == Tensor([1.5]))
        #expect(file.metadata == ["x": "y"])
        #expect(
            Safetensors(tensors: [("a", file["a"]!), ("b", file["b"]!)], metadata: ["x": "y"]).encoded() == official)
    }

    /// A file with a hand-written header and `dataSize` data bytes.
    static func file(_ header: String, dataSize: Int) -> [UInt8] {
        let h = Array(header.utf8)
        var out = [UInt8]()
        var n = UInt64(h.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        return out + h + [UInt8](repeating: 0, count: dataSize)
    }

    @Test func headerValidation() {
        let p = "f.safetensors"
        #expect(throws: SafetensorsError.truncated(path: p, reason: "3 bytes, shorter than the 8-byte header length")) {
            try Safetensors.decode([1, 2, 3], path: p)
        }
        var long = Self.file("{}", dataSize: 0)
        long[0] = 200
        #expect(throws: SafetensorsError.truncated(path: p, reason: "header of 200 bytes announced, 2 bytes follow")) {
            try Safetensors.decode(long, path: p)
        }
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(Self.file("[1]", dataSize: 0), path: p) }
        #expect(throws: SafetensorsError.self) { try Safetensors.decode(Self.file("{\"a\":", dataSize: 0), path: p) }
        #expect(throws: SafetensorsError.unsupportedDType(path: p, tensor: "a", dtype: "F16")) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, dataSize: 4), path: p)
        }
        #expect(throws: SafetensorsError.invalidShape(path: p, tensor: "a", shape: [-1])) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, dataSize: 4), path: p)
        }
        #expect(throws: SafetensorsError.offsetsOutOfRange(path: p, tensor: "a", offsets: [0, 8], dataSize: 4)) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataSize: 4), path: p)
        }
        #expect(throws: SafetensorsError.sizeMismatch(path: p, tensor: "a", shape: [3], bytes: 8)) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataSize: 8), path: p)
        }
        #expect(throws: SafetensorsError.overlapping(path: p, first: "a", second: "b")) {
            try Safetensors.decode(
                Self.file(
                    #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                                             dataSize: 8), path: p)
        }
        #expect(throws: SafetensorsError.uncoveredBytes(path: p, from: 4, to: 8)) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, dataSize: 8), path: p)
        }
        #expect(throws: SafetensorsError.self) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, dataSize: 4), path: p)
        }
        #expect(throws: SafetensorsError.invalidShape(path: p, tensor: "a", shape: [4_611_686_018_427_387_904, 4])) {
            try Safetensors.decode(
                Self.file(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#, dataSize: 0),
                path: p)
        }
    }
}
