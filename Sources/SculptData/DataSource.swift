/// Where training and test data come from, as written on the command line:
/// `fashion-mnist[:DIR]`, `mnist:DIR`, `cifar10:DIR`, `cifar100:DIR`, `cifar100-coarse:DIR`.
public enum DataSource: Equatable, Sendable, CustomStringConvertible {
    case fashionMNIST(directory: String)
    case mnist(directory: String)
    case cifar10(directory: String)
    case cifar100(directory: String, labels: CIFAR.CIFAR100Labels)

    /// Parses a data source string; throws `DataError.invalidSource` naming the accepted forms.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let head = parts[0].lowercased(), arg = parts.count > 1 ? parts[1] : nil
        func directory() throws -> String {
            guard let arg, !arg.isEmpty else {
                throw DataError.invalidSource(text, reason: "\(head) needs a directory, as in \(head):/data/\(head)")
            }
            return arg
        }
        switch head {
        case "fashion-mnist", "fashionmnist":
            self = .fashionMNIST(directory: arg.flatMap { $0.isEmpty ? nil : $0 } ?? MNISTFormat.fashionMNISTDirectory)
        case "mnist": self = .mnist(directory: try directory())
        case "cifar10", "cifar-10": self = .cifar10(directory: try directory())
        case "cifar100", "cifar-100": self = .cifar100(directory: try directory(), labels: .fine)
        case "cifar100-coarse", "cifar-100-coarse": self = .cifar100(directory: try directory(), labels: .coarse)
        default:
            throw DataError.invalidSource(
                text, reason: "use fashion-mnist, mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR")
        }
    }

    /// The canonical string (parses back to the same source).
    public var description: String {
        switch self {
        case .fashionMNIST(let d):
            return d == MNISTFormat.fashionMNISTDirectory ? "fashion-mnist" : "fashion-mnist:\(d)"
        case .mnist(let d): return "mnist:\(d)"
        case .cifar10(let d): return "cifar10:\(d)"
        case .cifar100(let d, let l): return l == .fine ? "cifar100:\(d)" : "cifar100-coarse:\(d)"
        }
    }

    /// The data directory.
    public var directory: String {
        switch self {
        case .fashionMNIST(let d), .mnist(let d), .cifar10(let d), .cifar100(let d, _): return d
        }
    }

    /// Whether the images are CIFAR colour images (normalized per channel, augmented by default).
    public var isCIFAR: Bool {
        switch self {
        case .cifar10, .cifar100: return true
        case .fashionMNIST, .mnist: return false
        }
    }

    /// The shape of one sample: [1, 28, 28] for MNIST-style data, [3, 32, 32] for CIFAR.
    public var sampleShape: [Int] { isCIFAR ? [3, 32, 32] : [1, 28, 28] }

    /// The number of classes: 10, or 100 (20 coarse) for CIFAR-100.
    public var classCount: Int {
        if case .cifar100(_, let labels) = self { return labels == .fine ? 100 : 20 }
        return 10
    }

    /// Loads the training and test sets. MNIST-style pixels are scaled to [0, 1]; CIFAR pixels
    /// are normalized per channel with the training set's mean and standard deviation.
    public func load() throws -> (train: ImageDataset, test: ImageDataset) {
        var train: ImageDataset, test: ImageDataset
        switch self {
        case .fashionMNIST(let d), .mnist(let d):
            train = try MNISTFormat.load(directory: d, part: .train)
            test = try MNISTFormat.load(directory: d, part: .test)
        case .cifar10(let d):
            train = try CIFAR.load10(directory: d, part: .train)
            test = try CIFAR.load10(directory: d, part: .test)
        case .cifar100(let d, let l):
            train = try CIFAR.load100(directory: d, part: .train, labels: l)
            test = try CIFAR.load100(directory: d, part: .test, labels: l)
        }
        guard train.inputShape == test.inputShape else {
            throw DataError.wrongDimensions(
                path: directory, expected: "test images of the training shape \(train.inputShape)",
                                            actual: test.inputShape)
        }
        if isCIFAR {
            let stats = train.channelStatistics()
            train.normalization = stats
            test.normalization = stats
        }
        return (train, test)
    }

    /// The augmentation used for training by default: random crop (padding 4) and flip for
    /// CIFAR, none for MNIST-style data.
    public func defaultAugmentation() -> BatchAugmentation? {
        isCIFAR ? RandomCropFlip(padding: 4, imageShape: [3, 32, 32]) : nil
    }
}
