import Foundation
import SculptCore
import Testing

@Suite struct RandomSourceStateTests {
    /// Checkpoints save the generator as JSON: the restored generator continues the same sequence.
    @Test func codableStateResumesTheSequence() throws {
        var a = RandomSource(seed: 77)
        for _ in 0..<5 { _ = a.next() }
        let b = try JSONDecoder().decode(RandomSource.self, from: JSONEncoder().encode(a))
        var c = b
        #expect(b == a)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in c.next() })
    }
}
