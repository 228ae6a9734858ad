#if Dashboard
import Foundation
import Testing
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
import SculptServe

/// The cost of the dashboard's operation preview on VGG16-size networks (issue 14): run with
/// `SCULPT_PREVIEW_TIMING=1` (release build for figures worth quoting); prints one line per step.
@Suite(.serialized) struct PreviewCostTests {
    @Test(
        "preview timing on VGG16 x0.25 and x1 (CIFAR shape)",
        .enabled(if: ProcessInfo.processInfo.environment["SCULPT_PREVIEW_TIMING"] != nil))
    func previewTiming() throws {
        for width in [0.25, 1.0] {
            var rng = RandomSource(seed: 0)
            let network = try Network(
                try Architecture.builtin(named: "vgg16", widthMultiplier: width, inputShape: [3, 32, 32], classes: 10),
                rng: &rng)
            let inputs = Tensor(zeros: [256, 3, 32, 32])
            inputs.fillUniform(-1, 1, using: &rng)
            let targets = Tensor(zeros: [256])
            for i in 0..<256 { targets.data[i] = Float(i % 10) }
            let probe = TensorDataset(inputs: inputs, targets: targets, classCount: 10)
            func time(_ what: String, _ body: () throws -> Void) rethrows {
                let start = Clock.now()
                try body()
                print(String(format: "vgg16 x%.2f %@: %.1f ms", width, what, (Clock.now() - start) * 1000))
            }
            var copy: NetworkCopy!
            try time("network copy (NetworkCopy)") {
                copy = try NetworkCopy(of: network, completedEpochs: 1, epochs: 10, laterEntries: [])
            }
            let conv = "conv6"
            let units = try #require(DashboardAnalysis.layers(of: copy.network).first { $0.name == conv }?.width)
            for text in ["expand:\(conv):to=\(units + units / 4)", "eigenremove:\(conv):to=\(units / 2):rank=0.125"] {
                let operation = try ScheduleOperation(parsing: text)
                try time("validate \(text)") { try copy.validate(operation) }
                try time("preview \(text)") {
                    let p = try DashboardAnalysis.preview(
                        operation, on: copy, probe: probe, loss: LossKind.crossEntropy.makeLoss())
                    #expect(p.widthAfter != nil)
                }
            }
            time("layer table + spectra") {
                _ = DashboardAnalysis.spectra(of: DashboardAnalysis.weights(of: copy.network))
            }
        }
    }
}
#endif
