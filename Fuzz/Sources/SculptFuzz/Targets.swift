import Foundation
import SculptCore
import SculptData
import SculptExperiments
import SculptIO
import SculptNN
import SculptRecipes

/// The parsers under test, by the name `SCULPT_FUZZ_TARGET` gives. Each must return or throw for
/// any input: a trap, an overflow, an out-of-bounds read or an allocation past libFuzzer's
/// `-rss_limit_mb` / `-malloc_limit_mb` is a finding.
enum FuzzTargets {
    static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "safetensors": safetensors,
        "architecture": architecture,
        "spec": spec,
        "schedule": schedule,
        "requests": requests,
        "idx": idx,
        "image": image,
        "cifar": cifar,
    ]

    /// Safetensors headers and payloads, then the tensors' names and shapes as a checkpoint reads them.
    static func safetensors(_ bytes: [UInt8]) {
        guard let file = try? Safetensors.decode(bytes, path: "fuzz.safetensors") else { return }
        for (name, tensor) in file.tensors { _ = (name.count, tensor.shape, tensor.count) }
    }

    /// Architecture JSON: decoding, shape inference, the memory estimate, and (when the estimate is
    /// within `MemoryBudget.standard`, which scripts/fuzz sets to 1 MB) building the network and
    /// running one sample forward.
    static func architecture(_ bytes: [UInt8]) {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                        nan: "nan")
        guard let architecture = try? decoder.decode(Architecture.self, from: Data(bytes)),
              let estimate = try? MemoryEstimate.training(architecture, batchSize: 1) else { return }
        guard estimate.total <= budget.limit else { return }
        var rng = RandomSource(seed: 0)
        guard let network = try? Network(architecture, rng: &rng) else { return }
        let input = Tensor(zeros: [1] + architecture.inputShape)
        _ = network.forward(input, training: false)
    }

    /// Experiment spec JSON against the standard trial kinds. A valid spec builds its networks for
    /// validation only within `MemoryBudget.standard` (1 MB in scripts/fuzz: the tiny seeds build,
    /// larger ones are refused before any weight is allocated).
    static func spec(_ bytes: [UInt8]) {
        _ = try? ExperimentSpec.parse(bytes, file: "fuzz.json", catalog: .standard)
    }

    /// A schedule file, checked against a small dense network as it would evolve.
    static func schedule(_ bytes: [UInt8]) {
        guard let schedule = try? TrainingSchedule(json: bytes, file: "fuzz.json") else { return }
        _ = try? schedule.validate(against: smallNetwork(), epochs: 20)
    }

    /// Lines of a requests file (an operation without the epoch) and `--at` entries.
    /// One network for all lines: planning reads it, validation works on a copy.
    static func requests(_ bytes: [UInt8]) {
        var network: Network?
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(16) {
            let text = String(line)
            if let operation = try? ScheduleOperation(parsing: text) {
                network = network ?? smallNetwork()
                _ = try? operation.plan(for: network!, defaultSeed: 0)
            }
            if let entry = try? ScheduleEntry(parsing: text) {
                network = network ?? smallNetwork()
                _ = try? TrainingSchedule([entry]).validate(against: network!, epochs: 20)
            }
        }
    }

    /// The memory limit for what a target builds (`SCULPT_MAX_MEMORY`), read once.
    static let budget = MemoryBudget.standard

    /// IDX arrays (MNIST's format), with and without a required rank.
    static func idx(_ bytes: [UInt8]) {
        _ = try? IDX.decode(bytes, path: "fuzz.idx")
        _ = try? IDX.decode(bytes, path: "fuzz.idx", rank: 3)
    }

    /// PNG and PGM images, resampled as `sculpt paint --shape image:PATH` does.
    static func image(_ bytes: [UInt8]) {
        guard let image = try? GrayscaleImage(bytes: bytes, path: "fuzz.img") else { return }
        _ = image.resampled(to: 8)
    }

    /// CIFAR binary records (CIFAR-10's one label byte and CIFAR-100's two).
    static func cifar(_ bytes: [UInt8]) {
        var pixels: [UInt8] = [], labels: [Int32] = []
        _ = try? CIFAR.decode(bytes, path: "fuzz.bin", labelBytes: 1, labelIndex: 0, classCount: 10,
                              pixels: &pixels, labels: &labels)
        _ = try? CIFAR.decode(bytes, path: "fuzz.bin", labelBytes: 2, labelIndex: 1, classCount: 100,
                              pixels: &pixels, labels: &labels)
    }

    /// 4 -> 8 -> relu -> 6 -> relu -> 3.
    static func smallNetwork() -> Network {
        var rng = RandomSource(seed: 1)
        let architecture = Architecture(inputShape: [4], layers: [
            .dense(inputs: 4, outputs: 8, bias: true), .activation(.relu),
            .dense(inputs: 8, outputs: 6, bias: true), .activation(.relu),
            .dense(inputs: 6, outputs: 3, bias: true),
        ])
        return (try? Network(architecture, rng: &rng))!
    }
}
