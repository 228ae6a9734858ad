import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery

/// `sculpt inspect`: per-unit measurements of a saved network on data.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show per-unit measurements of a saved network: loss ratios, norms, Taylor criterion, APoZ, "
            + "redundancy.",
        discussion: """
        With a dataset (fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR, cifar100-coarse:DIR), every unit \
        group of the network (dense neurons, conv filters, residual streams; or only --layer PATH) is measured on the \
        first --samples test samples: L1/L2 norms of incoming and outgoing weights, the ablation loss ratio, the \
        first-order Taylor criterion (Molchanov et al. 2016; raw and L2-normalized per layer), mean activation, \
        APoZ (fraction of zero activations) and trivially redundant sets (cosine >= --redundancy of weights and \
        bias; conv kernels also against their circular permutations). --json prints {"layers": [...]}.

        Painting networks:
        The loss ratio of a unit is the MSE on the data with the unit's outgoing weights zeroed over the \
        network's MSE; a unit is active when the ratio is at least --threshold (Hyatt & Lee 2018: 1.5). \
        Units whose incoming vectors (weights and bias) have cosine >= --redundancy form trivially \
        redundant groups, numbered per layer from 0. The data is a painting: painting:SHAPE[:SIZE], the \
        shape as `sculpt paint --shape` takes it and SIZE the image side (default 64); a trailing integer \
        is always the size, so write painting:star:6:64 for a six-pointed star at 64 pixels.
        """
    )

    @Argument(help: "A checkpoint folder (as `sculpt paint --out` writes).")
    var modelDirectory: String
    @Option(help: "painting:SHAPE[:SIZE], or a dataset: fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR.")
    var data: String
    @Option(help: "Only this layer: an index (painting) or a path such as layers.5.body.0.")
    var layer: String?
    @Option(help: "Test samples to measure on (datasets).")
    var samples: Int = 512
    @Option(help: "Active when loss without the unit / loss >= this.")
    var threshold: Float = 1.5
    @Option(help: "Cosine of incoming vectors at or above which units are trivially redundant.")
    var redundancy: Float = 0.99
    @Flag(help: "Print a JSON array of unit objects on stdout.")
    var json = false

    @OptionGroup var memory: MemoryOptions

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        guard threshold.isFinite, threshold > 0 else { throw UsageError("--threshold \(threshold): must be positive") }
        guard redundancy.isFinite, redundancy > -1, redundancy <= 1 else {
            throw UsageError("--redundancy \(redundancy): must lie in (-1, 1]")
        }
        guard data.lowercased().hasPrefix("painting:") else { return try inspectDataset() }
        let painting = try Self.painting(data)
        try memory.check(Double(painting.size) * Double(painting.size) * 4 * 8, flag: "--data \(data)",
                         what: "the painting's samples")
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): " +
            "\(error)") }
        let network = checkpoint.network
        guard network.inputShape == [2], network.outputShape == [1] else {
            throw UsageError("\(modelDirectory): the network maps \(network.inputShape) to \(network.outputShape); a " +
                             "painting network maps [2] to [1]")
        }
        var layers: [Int]? = nil
        if let layer {
            guard let index = Int(layer) else { throw UsageError("--layer \(layer): a painting network's layer is an " +
                                                                 "index") }
            do { _ = try DenseUnits(network: network, layer: index) } catch { throw UsageError("--layer \(layer): " +
                "\(error)") }
            layers = [index]
        }
        let units = try UnitInspection.inspect(network: network, data: painting.dataset, loss: MeanSquaredError(),
                                               layers: layers, threshold: threshold, redundancy: redundancy)
        if json {
            try Output.printJSON(units)
            return
        }
        let loss = network.evaluate(on: painting.dataset, loss: MeanSquaredError(), batchSize: 4096).loss
        print("\(modelDirectory): full-image MSE \(String(format: "%.3e", loss)) on \(data); "
              + "\(units.filter(\.active).count) of \(units.count) units active")
        var table = TextTable(["layer", "unit", "loss ratio", "active", "group", "|w_in|", "bias", "|w_out|"],
                              leftAligned: 0)
        for u in units {
            table.append([
                "\(u.layer)", "\(u.unit)", u.lossRatio >= 1e6 ? ">1e6" : g(u.lossRatio), u.active ? "yes" : "no",
                u.redundancyGroup.map(String.init) ?? "-", g(u.incomingNorm), g(u.bias), g(u.outgoingNorm),
            ])
        }
        print(table.text)
    }

    /// Measures every unit group (or `--layer`) on the first `--samples` test samples of a dataset.
    private func inspectDataset() throws {
        guard samples > 0, samples <= 1 << 24 else { throw UsageError("--samples \(samples): must lie in [1, " +
                                                                      "\(1 << 24)]") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): " +
            "\(error)") }
        let network = checkpoint.network
        try memory.checkTraining(network.architecture, batchSize: samples, optimizerSlots: 0,
                                 flag: "--samples \(samples)")
        let loaded = try loadData(data)
        let test = try adapt(loaded.test, to: network, dataName: data, modelName: "the network in \(modelDirectory)")
        let n = Swift.min(samples, test.count)
        let inputs = Tensor(zeros: [0]), targets = Tensor(zeros: [0])
        test.fillBatch(indices: Array(0..<n)[...], inputs: inputs, targets: targets)
        let subset = TensorDataset(inputs: inputs, targets: targets)
        let loss = (checkpoint.training?.configuration.loss ?? .crossEntropy).makeLoss()
        var paths: [LayerPath]? = nil
        if let layer {
            do {
                let path = try LayerPath(parsing: layer)
                _ = try UnitGroup(network: network, layer: path)
                paths = [path]
            } catch { throw UsageError("--layer \(layer): \(error)") }
        }
        let layers = try LayerMeasurement.measure(network: network, layers: paths, data: subset, loss: loss,
                                                  redundancy: redundancy)
        if json { try Output.printJSON(DatasetInspection(samples: n, loss: network.evaluate(on: subset, loss: loss,
            batchSize: 4096).loss, layers: layers)); return }
        for m in layers {
            let producers = m.producers.joined(separator: ", ")
            print("\(m.layer) (\(m.units.count) units; producers \(producers)): mean |w_in| \(m.meanIncomingL2), "
                  + "mean loss ratio \(m.meanLossRatio), mean APoZ \(m.meanZeroFraction), redundant sets " +
                    "\(m.redundantGroups)")
            var table = TextTable([
                "unit", "|w_in|1", "|w_in|2", "|w_out|1", "|w_out|2", "ratio", "taylor", "taylor/L2", "mean act",
                "APoZ", "set",
            ], leftAligned: 0)
            for u in m.units {
                table.append([
                    "\(u.unit)", g(u.incomingL1), g(u.incomingL2), g(u.outgoingL1), g(u.outgoingL2), g(u.lossRatio),
                    g(u.taylor), g(u.taylorNormalized), g(u.meanActivation), String(format: "%.3f", u.zeroFraction),
                    u.redundancyGroup.map(String.init) ?? "-",
                ])
            }
            print(table.text)
        }
    }

    private func g<F: BinaryFloatingPoint>(_ v: F) -> String { TextTable.number(v) }

    /// Parses `painting:SHAPE[:SIZE]` and renders the picture.
    static func painting(_ text: String) throws -> Painting {
        let prefix = "painting:"
        guard text.lowercased().hasPrefix(prefix), text.count > prefix.count else {
            throw UsageError("--data \(text): expected painting:SHAPE[:SIZE], e.g. painting:square or " +
                             "painting:star:6:64")
        }
        var shapeText = String(text.dropFirst(prefix.count)), size = 64
        if let colon = shapeText.lastIndex(of: ":"), let n = Int(shapeText[shapeText.index(after: colon)...]) {
            size = n
            shapeText = String(shapeText[..<colon])
        }
        do {
            return try Painting(shape: try PaintingShape(parsing: shapeText), size: size)
        } catch {
            throw UsageError("--data \(text): \(error)")
        }
    }
}

/// What `sculpt inspect --data DATASET --json` prints.
struct DatasetInspection: Encodable {
    var samples: Int
    var loss: Float
    var layers: [LayerMeasurement]
}
