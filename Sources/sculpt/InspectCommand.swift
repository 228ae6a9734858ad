import ArgumentParser
import Foundation
import SculptData
import SculptIO
import SculptNN
import SculptSurgery

/// `sculpt inspect`: each ReLU unit's contribution, redundancy group and weight norms in a saved network.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each ReLU unit's loss ratio, active flag, redundancy group and weight norms.",
        discussion: """
        The loss ratio of a unit is the MSE on the data with the unit's outgoing weights zeroed over the
        network's MSE; a unit is active when the ratio is at least --threshold (Hyatt & Lee 2018: 1.5).
        Units whose incoming vectors (weights and bias) have cosine >= --redundancy form trivially
        redundant groups, numbered per layer from 0. The data is a painting: painting:SHAPE[:SIZE], the
        shape as `sculpt paint --shape` takes it and SIZE the image side (default 64); a trailing integer
        is always the size, so write painting:star:6:64 for a six-pointed star at 64 pixels.
        """
    )

    @Argument(help: "A checkpoint folder (as `sculpt paint --out` writes).")
    var modelDirectory: String
    @Option(help: "painting:SHAPE[:SIZE], e.g. painting:square or painting:star:6:64.")
    var data: String
    @Option(help: "Only the Dense layer with this index in the network (default: every ReLU layer).")
    var layer: Int?
    @Option(help: "Active when loss without the unit / loss >= this.")
    var threshold: Float = 1.5
    @Option(help: "Cosine of incoming vectors at or above which units are trivially redundant.")
    var redundancy: Float = 0.99
    @Flag(help: "Print a JSON array of unit objects on stdout.")
    var json = false

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        guard threshold.isFinite, threshold > 0 else { throw UsageError("--threshold \(threshold): must be positive") }
        guard redundancy.isFinite, redundancy > -1, redundancy <= 1 else {
            throw UsageError("--redundancy \(redundancy): must lie in (-1, 1]")
        }
        let painting = try Self.painting(data)
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: modelDirectory) } catch { throw UsageError("\(modelDirectory): \(error)") }
        let network = checkpoint.network
        guard network.inputShape == [2], network.outputShape == [1] else {
            throw UsageError("\(modelDirectory): the network maps \(network.inputShape) to \(network.outputShape); a painting network maps [2] to [1]")
        }
        var layers: [Int]? = nil
        if let layer {
            do { _ = try DenseUnits(network: network, layer: layer) } catch { throw UsageError("--layer \(layer): \(error)") }
            layers = [layer]
        }
        let units = try UnitInspection.inspect(network: network, data: painting.dataset, loss: MeanSquaredError(),
                                               layers: layers, threshold: threshold, redundancy: redundancy)
        if json {
            try Output.printJSON(units)
            return
        }
        let loss = UnitContributions.loss(of: network, on: painting.dataset, loss: MeanSquaredError())
        print("\(modelDirectory): full-image MSE \(String(format: "%.3e", loss)) on \(data); "
              + "\(units.filter(\.active).count) of \(units.count) units active")
        print("layer  unit  loss ratio  active  group  |w_in|    bias      |w_out|")
        for u in units {
            let ratio = u.lossRatio >= 1e6 ? "   >1e6" : String(format: "%10.4g", u.lossRatio)
            print(String(format: "%5d  %4d  ", u.layer, u.unit) + ratio + "  " + (u.active ? "yes   " : "no    ") + "  "
                  + (u.redundancyGroup.map { String(format: "%5d", $0) } ?? "    -")
                  + String(format: "  %-8.4g  %-8.4g  %-8.4g", u.incomingNorm, u.bias, u.outgoingNorm))
        }
    }

    /// Parses `painting:SHAPE[:SIZE]` and renders the picture.
    static func painting(_ text: String) throws -> Painting {
        let prefix = "painting:"
        guard text.lowercased().hasPrefix(prefix), text.count > prefix.count else {
            throw UsageError("--data \(text): expected painting:SHAPE[:SIZE], e.g. painting:square or painting:star:6:64")
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
