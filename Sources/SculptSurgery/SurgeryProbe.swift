import SculptCore
import SculptNN

/// A batch of uniform(-1, 1) inputs and a network's outputs on them, taken before an operation,
/// to measure how far the operation moved the network's function (`sculpt surgery` reports it).
public struct SurgeryProbe {
    /// The probe inputs `[samples] + inputShape`.
    public let inputs: Tensor
    /// The network's outputs on `inputs` when the probe was taken.
    public let outputs: Tensor

    /// The most samples a probe takes (2^20): enough to measure a difference, and a bound on time.
    public static let maximumSamples = 1 << 20

    /// Draws `samples` inputs from `seed` and records `network`'s outputs. Throws
    /// `SurgeryError.invalidValue` for fewer than one or more than `maximumSamples` samples, or when
    /// the probe's tensors would need more than `memoryLimit` bytes (`bytes(network:samples:)`),
    /// before allocating anything.
    public init(network: Network, samples: Int, seed: UInt64, memoryLimit: Double = MemoryBudget.standard.limit) throws
    {
        guard samples >= 1 else {
            throw SurgeryError.invalidValue(name: "probe samples", value: "\(samples)", reason: "must be positive")
        }
        let bytes = Self.bytes(network: network, samples: samples)
        guard samples <= Self.maximumSamples else {
            throw SurgeryError.invalidValue(name: "probe samples", value: "\(samples)",
                reason: "at most \(Self.maximumSamples) (an estimated \(NumberFormatting.bytes(bytes)))")
        }
        guard bytes <= memoryLimit else {
            throw SurgeryError.invalidValue(
                name: "probe samples", value: "\(samples)",
                reason:
                    "need an estimated \(NumberFormatting.bytes(bytes)), above the limit of \(NumberFormatting.bytes(memoryLimit))"
            )
        }
        var rng = RandomSource(seed: seed)
        inputs = Tensor.uniform([samples] + network.inputShape, -1, 1, using: &rng)
        outputs = network.predict(inputs)
    }

    /// Bytes a probe of `samples` takes: its inputs, the outputs before and after the operation,
    /// and the layers' buffers (output and input gradient) for one prediction batch of at most
    /// 1024 samples. Counted in Double so an absurd count cannot overflow.
    public static func bytes(network: Network, samples: Int) -> Double {
        let shapes = (try? network.shapes()) ?? []
        let input = Double(network.inputShape.reduce(1, *)), output = Double(network.outputShape.reduce(1, *))
        let perBatchSample = shapes.reduce(0.0) { $0 + 2 * Double($1.reduce(1, *)) }
        let floats = Double(samples) * (input + 2 * output) + Double(min(samples, 1024)) * (input + perBatchSample)
        return floats * Double(MemoryLayout<Float>.size)
    }

    /// The largest absolute difference between `network`'s outputs on the probe now and then.
    public func maxAbsDifference(_ network: Network) -> Float {
        outputs.maxAbsDifference(network.predict(inputs))
    }
}
