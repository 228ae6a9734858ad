import SculptNN

/// The model names a lottery-ticket search accepts: the built-in architectures and
/// `mlp:W1,W2,...`, a flatten then ReLU Dense layers of those widths (`mlp:300,100` is
/// Frankle & Carbin's LeNet-300-100).
public enum LotteryTicketModel {
    /// The architecture `name` describes for samples of `inputShape` and `classes` outputs.
    public static func architecture(named name: String, inputShape: [Int], classes: Int) throws -> Architecture {
        let lower = name.lowercased()
        guard lower.hasPrefix("mlp:") else {
            return try Architecture.builtin(named: name, inputShape: inputShape, classes: classes)
        }
        let parts = lower.dropFirst(4).split(separator: ",", omittingEmptySubsequences: false)
        let widths = parts.compactMap { Int(String($0.filter { $0 != " " })) }
        guard !parts.isEmpty, widths.count == parts.count, widths.allSatisfy({ $0 > 0 }), classes > 0 else {
            throw ArchitectureError.invalidOption("'\(name)': mlp:W1,W2,... needs positive integer widths, as in mlp:300,100")
        }
        var layers: [LayerSpec] = inputShape.count == 1 ? [] : [.flatten]
        var features = inputShape.reduce(1, *)
        for w in widths {
            layers.append(.dense(inputs: features, outputs: w, bias: true))
            layers.append(.activation(.relu))
            features = w
        }
        layers.append(.dense(inputs: features, outputs: classes, bias: true))
        return Architecture(inputShape: inputShape, layers: layers)
    }
}
