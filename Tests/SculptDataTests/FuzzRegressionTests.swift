import Foundation
import SculptData
import Testing

/// Inputs scripts/fuzz found that crashed a parser: each must now be refused with an error.
@Suite struct FuzzRegressionTests {
    static func bytes(_ base64: String) -> [UInt8] { [UInt8](Data(base64Encoded: base64) ?? Data()) }

    /// Seven IDX dimensions whose product overflows Int and then, times a zero dimension, came back
    /// to 0 = the payload's length: the header was accepted and `IDXArray` trapped recomputing it.
    @Test func idxDimensionsWhoseProductOverflows() {
        let input = Self.bytes("AAAIB7ALDQ7IyMjIOP//////NwAAAAAAAAAAeDc3Be8=")
        #expect(input.count == 32)
        #expect(throws: DataError.self) { try IDX.decode(input, path: "crash.idx") }
    }
}
