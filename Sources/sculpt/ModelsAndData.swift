import SculptCore
import SculptData
import SculptIO
import SculptNN

/// The built-in architecture called `name`, or nil.
/// TODO(lead): switch to `Architecture.builtin(named:)` once the layer catalog is merged.
func builtinArchitecture(named name: String) -> Architecture? {
    nil
}

/// Names accepted by `builtinArchitecture(named:)`, for error messages.
let builtinArchitectureNames: [String] = []

/// The architecture a `--model` value names: a JSON file, or a built-in name.
func resolveArchitecture(_ model: String) throws -> Architecture {
    if FilePaths.isFile(model) {
        do { return try Architecture(contentsOf: model) } catch { throw UsageError("--model \(error)") }
    }
    if let builtin = builtinArchitecture(named: model) { return builtin }
    if model.hasSuffix(".json") { throw UsageError("--model: file \(model) does not exist") }
    let names = builtinArchitectureNames.isEmpty ? "none yet" : builtinArchitectureNames.joined(separator: ", ")
    throw UsageError("--model: '\(model)' is neither an architecture JSON file nor a built-in model (built-in: \(names))")
}

/// Parses and loads `--data`.
func loadData(_ text: String) throws -> (source: DataSource, train: ImageDataset, test: ImageDataset) {
    do {
        let source = try DataSource(parsing: text)
        let (train, test) = try source.load()
        return (source, train, test)
    } catch {
        throw UsageError("--data \(text): \(error)")
    }
}

/// `data` viewed in the network's input shape (flattened for a dense network), checking that
/// the network's output has one logit per class.
func adapt(_ data: Dataset, to network: Network, dataName: String, modelName: String = "--model") throws -> Dataset {
    if let classes = data.classCount, network.outputShape != [classes] {
        throw UsageError("\(modelName) outputs \(network.outputShape) but --data \(dataName) has \(classes) classes (needs [\(classes)])")
    }
    if data.inputShape == network.inputShape { return data }
    guard data.inputShape.reduce(1, *) == network.inputShape.reduce(1, *) else {
        throw UsageError("\(modelName) takes samples of shape \(network.inputShape) but --data \(dataName) gives \(data.inputShape)")
    }
    return ReshapedDataset(data, inputShape: network.inputShape)
}

/// Mean loss and accuracy of `network` on `data`, in eval mode.
func evaluate(_ network: Network, on data: Dataset, loss: LossKind) -> (loss: Float, accuracy: Float?) {
    Trainer(network: network, loss: loss.makeLoss(), optimizer: SGD(learningRate: 1)).evaluate(data)
}
