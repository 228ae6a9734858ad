import SculptCore
import SculptData
import SculptIO
import SculptNN

/// The built-in architecture called `name` for samples of `inputShape` and `classes` classes, or
/// nil when no built-in has that name; a bad option (depth, width) is a usage error.
func builtinArchitecture(named name: String, widthMultiplier: Double = 1, inputShape: [Int]? = nil,
                         classes: Int = 10) throws -> Architecture? {
    do {
        return try Architecture.builtin(named: name, widthMultiplier: widthMultiplier, inputShape: inputShape,
                                        classes: classes)
    } catch ArchitectureError.unknownBuiltin {
        return nil
    } catch {
        throw UsageError("--model \(name): \(error)")
    }
}

/// Names accepted by `builtinArchitecture(named:)`, for error messages.
let builtinArchitectureNames: [String] = Architecture.builtinNames + Architecture.builtinFamilies

/// The architecture a `--model` value names: a JSON file, or a built-in name built for the
/// data's sample shape and class count (`dataShape`; the name's defaults when nil) at `width`.
func resolveArchitecture(_ model: String, width: Double? = nil,
                         dataShape: (inputShape: [Int], classes: Int?)? = nil) throws -> Architecture {
    if let width { try checkWidth(width) }
    if FilePaths.isFile(model) {
        if width != nil { throw UsageError("--width applies to built-in models only, not to the file \(model)") }
        do { return try Architecture(contentsOf: model) } catch { throw UsageError("--model \(error)") }
    }
    if let builtin = try builtinArchitecture(named: model, widthMultiplier: width ?? 1,
                                             inputShape: dataShape?.inputShape,
                                             classes: dataShape?.classes ?? 10) {
        return builtin
    }
    if model.hasSuffix(".json") { throw UsageError("--model: file \(model) does not exist") }
    let names = builtinArchitectureNames.joined(separator: ", ")
    throw UsageError("--model: '\(model)' is neither an architecture JSON file nor a built-in model (built-in: " +
                     "\(names))")
}

/// Refuses a `--width` that is not positive or beyond `SizeLimits.maxWidthMultiplier`.
func checkWidth(_ width: Double) throws {
    guard width > 0, width <= SizeLimits.maxWidthMultiplier else {
        throw UsageError("--width must lie in (0, \(Int(SizeLimits.maxWidthMultiplier))], got \(width)")
    }
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
        throw UsageError("\(modelName) outputs \(network.outputShape) but --data \(dataName) has \(classes) classes " +
                         "(needs [\(classes)])")
    }
    if data.inputShape == network.inputShape { return data }
    guard data.inputShape.reduce(1, *) == network.inputShape.reduce(1, *) else {
        throw UsageError("\(modelName) takes samples of shape \(network.inputShape) but --data \(dataName) gives " +
                         "\(data.inputShape)")
    }
    return ReshapedDataset(data, inputShape: network.inputShape)
}

/// Mean loss and accuracy of `network` on `data`, in eval mode, in batches of 128 (layers keep
/// buffers of the largest batch they saw: larger evaluation batches would raise the peak memory).
func evaluate(_ network: Network, on data: Dataset, loss: LossKind) -> (loss: Float, accuracy: Float?) {
    network.evaluate(on: data, loss: loss.makeLoss(), batchSize: 128)
}
