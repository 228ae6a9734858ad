import Testing
import Foundation
import SculptCore
@testable import SculptNN

@Test("architecture JSON round-trips unchanged")
func roundTrip() throws {
    let json =
        #"{"inputShape":[2],"layers":[{"bias":true,"inputs":2,"outputs":3,"type":"dense"},{"type":"relu"},{"bias":false,"inputs":3,"outputs":9,"type":"dense"},{"type":"identity"},{"slope":0.2,"type":"leaky_relu"},{"type":"tanh"},{"type":"sigmoid"}]}"#
    let arch = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    #expect(String(decoding: try encoder.encode(arch), as: UTF8.self) == json)
}

@Test("unknown layer types and broken chains are named in the error")
func errors() throws {
    let bad = #"{"inputShape":[2],"layers":[{"type":"frobnicate"}]}"#
    #expect {
        try JSONDecoder().decode(Architecture.self, from: Data(bad.utf8))
    } throws: { error in
        "\(error)".contains("layers.0") && "\(error)".contains("frobnicate")
    }
    var rng = RandomSource(seed: 1)
    let arch = Architecture(
        inputShape: [2], layers: [.dense(inputs: 2, outputs: 3, bias: true), .dense(inputs: 4, outputs: 1, bias: true)])
    #expect {
        _ = try Network(arch, rng: &rng)
    } throws: { error in
        "\(error)".contains("layers.1") && "\(error)".contains("[3]") && "\(error)".contains("[4]")
    }
}

@Test("parameters are named as PyTorch's Sequential names them")
func names() throws {
    var rng = RandomSource(seed: 1)
    let net = try Network(
        Architecture(
            inputShape: [2],
            layers: [
                .dense(inputs: 2, outputs: 3, bias: true), .activation(.relu),
                .dense(inputs: 3, outputs: 1, bias: true),
            ]), rng: &rng)
    #expect(net.namedParameters.map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
    #expect(net.parameterCount == 2 * 3 + 3 + 3 + 1)
}

@Test(
    "initializers respect their bounds",
    arguments: [Initializer.pytorchDefault, .heUniform, .glorotUniform, .uniform(low: -0.05, high: 0.05)])
func initializerBounds(initializer: Initializer) {
    var rng = RandomSource(seed: 3)
    let w = Tensor(zeros: [50, 40]), b = Tensor(zeros: [50])
    initializer.initialize(weight: w, bias: b, fanIn: 40, fanOut: 50, using: &rng)
    let bound: Float
    switch initializer {
    case .pytorchDefault: bound = 1 / Float(40).squareRoot()
    case .heUniform: bound = (6 / Float(40)).squareRoot()
    case .glorotUniform: bound = (6 / Float(90)).squareRoot()
    default: bound = 0.05
    }
    #expect(w.max() <= bound && w.min() >= -bound)
    #expect(w.max() > 0.8 * bound)  // actually spans the range
}

@Test("He normal has the right standard deviation")
func heNormal() {
    var rng = RandomSource(seed: 3)
    let w = Tensor(zeros: [200, 100])
    Initializer.heNormal.initialize(weight: w, bias: nil, fanIn: 100, fanOut: 200, using: &rng)
    let std = (w.squaredNorm() / Float(w.count)).squareRoot()
    #expect(abs(std - (2 / Float(100)).squareRoot()) < 0.01)
}

@Test("initializer strings parse")
func parsing() {
    #expect(Initializer(parsing: "he") == .heNormal)
    #expect(Initializer(parsing: "xavier") == .glorotUniform)
    #expect(Initializer(parsing: "uniform:-0.05:0.05") == .uniform(low: -0.05, high: 0.05))
    #expect(Initializer(parsing: "uniform:1:0") == nil)
    #expect(Initializer(parsing: "bogus") == nil)
}
