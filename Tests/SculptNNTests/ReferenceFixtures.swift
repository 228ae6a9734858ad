import Foundation
import SculptCore

/// The numpy reference tensors written by `Reference/conv_reference.py`.
enum ReferenceFixtures {
    struct Stored: Decodable {
        let shape: [Int]
        let values: [Float]
        var tensor: Tensor { Tensor(values, shape: shape) }
    }

    /// Every case: name -> field -> tensor, or an Int hyperparameter.
    static func load() throws -> [String: [String: Field]] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Reference/conv_reference.json")
        return try JSONDecoder().decode([String: [String: Field]].self, from: Data(contentsOf: url))
    }

    enum Field: Decodable {
        case integer(Int)
        case tensor(Stored)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let i = try? c.decode(Int.self) { self = .integer(i) } else { self = .tensor(try c.decode(Stored.self)) }
        }

        var int: Int { if case .integer(let i) = self { return i }; preconditionFailure("not an integer") }
        var tensor: Tensor { if case .tensor(let t) = self { return t.tensor }; preconditionFailure("not a tensor") }
    }
}

/// Largest |a - b| / max(1, |b|) over two same-count tensors.
func maxScaledDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "compare \(a.shape) with \(b.shape)")
    var m: Float = 0
    for i in 0..<a.count { m = max(m, abs(a.data[i] - b.data[i]) / max(1, abs(b.data[i]))) }
    return m
}
