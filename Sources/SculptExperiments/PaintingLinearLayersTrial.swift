import SculptCore
import SculptData
import SculptNN
import SculptRecipes

/// Tables 1 and 2 of Hyatt & Lee (2018): one painting network with collapsible linear layers,
/// trained plainly (Keras protocol: Adam, MSE, early stopping on the training loss), then its
/// linear layers folded away and the result assessed.
///
/// Config: the keys of `PaintingTrialConfig` (`shape` defaults to "square", `hidden` is
/// required, `minimalUnits` defaults to 3) and `linear`, the widths of the identity layers
/// after the ReLU layer ([] by default).
///
/// Metrics: `parametersTrained`, `parametersFinal` (after collapse), `activeNodes` (ReLU units
/// whose removal multiplies the loss by at least `activityThreshold`), `correct` (1 for a
/// minimal correct solution: exactly `minimalUnits` active and `requiredAgreement` of the
/// thresholded pixels right, else 0), `pixelAgreement`, `loss` (full-image MSE of the collapsed
/// network), `sides`, `lines`, `epochs`, `trainingSeconds`, `seconds` (training, collapse and
/// assessment).
public struct PaintingLinearLayersTrial: TrialKind {
    public init() {}

    public var name: String { "painting-linear-layers" }

    /// The metrics `run` records.
    public var metricNames: MetricNames? {
        MetricNames(fixed: ["parametersTrained", "parametersFinal", "activeNodes", "correct", "pixelAgreement",
                                     "loss", "sides", "lines", "epochs", "trainingSeconds", "seconds"])
    }

    func read(_ config: JSONValue) throws -> PaintingTrialConfig {
        let reader = try ConfigReader(config)
        let settings = try PaintingTrialConfig(
            reading: reader, linear: { _ in try reader.ints("linear", default: [], minimum: 1) },
                                               defaultShape: "square", defaultMinimalUnits: 3)
        try reader.finish()
        return settings
    }

    public func validate(config: JSONValue) throws {
        _ = try read(config).painting(path: "")
    }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        var settings = try read(config)
        settings.job.seed = seed
        let outcome = try settings.job.train(on: try settings.painting(path: ""), assessor: settings.assessor)
        let a = outcome.assessment
        return TrialResult(metrics: [
            "parametersTrained": Double(outcome.parametersTrained),
            "parametersFinal": Double(outcome.parametersFinal),
            "activeNodes": Double(a.activeUnits),
            "correct": a.isMinimalCorrect ? 1 : 0,
            "pixelAgreement": a.pixelAgreement,
            "loss": Double(a.loss),
            "sides": Double(a.sides),
            "lines": Double(a.lines),
            "epochs": Double(outcome.epochs),
            "trainingSeconds": outcome.trainingSeconds,
            "seconds": outcome.seconds,
        ], details: .object([
            "stopReason": .string(outcome.stopReason.rawValue),
                "finalWidths": .array(
                    outcome.network.layers.compactMap { ($0 as? Dense).map { .number(Double($0.outputFeatures)) } }),
            "panel": PaintingPanel(network: outcome.network, size: outcome.painting.size)?.json ?? .null,
        ]))
    }
}
