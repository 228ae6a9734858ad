/// Which part of a dataset to load.
public enum DataPart: String, Codable, Sendable {
    case train, test
}

/// Datasets in the MNIST file layout: IDX images `[N, rows, columns]` and IDX labels `[N]`
/// (MNIST, Fashion-MNIST, KMNIST, ...), plain or gzip.
public enum MNISTFormat {
    /// Where Debian's `dataset-fashion-mnist` package puts Fashion-MNIST.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

    /// Loads an image file and a label file into a dataset of `[1, rows, columns]` images
    /// (pixels / 255) with `classCount` classes.
    public static func load(images: String, labels: String, classCount: Int = 10) throws -> ImageDataset {
        let x = try IDX.read(images, rank: 3)
        let y = try IDX.read(labels, rank: 1)
        guard x.dimensions[1] > 0, x.dimensions[2] > 0 else {
            throw DataError.wrongDimensions(
                path: images, expected: "[N, rows, columns] with rows, columns > 0", actual: x.dimensions)
        }
        guard x.dimensions[0] == y.dimensions[0] else {
            throw DataError.countMismatch(
                images: images, imageCount: x.dimensions[0], labels: labels, labelCount: y.dimensions[0])
        }
        var ls = [Int32](repeating: 0, count: y.values.count)
        for (i, v) in y.values.enumerated() {
            guard Int(v) < classCount else {
                throw DataError.labelOutOfRange(path: labels, sample: i, label: Int(v), classCount: classCount)
            }
            ls[i] = Int32(v)
        }
        return ImageDataset(pixels: x.values, labels: ls, channels: 1, height: x.dimensions[1], width: x.dimensions[2],
                            classes: classCount)
    }

    /// Loads the training or test part from a directory holding `train-images-idx3-ubyte`,
    /// `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`
    /// (each optionally `.gz`; `train-images.idx3-ubyte` spellings are accepted too).
    public static func load(directory: String, part: DataPart, classCount: Int = 10) throws -> ImageDataset {
        guard FilePaths.isDirectory(directory) else {
            throw FilePaths.exists(directory)
                ? DataError.notADirectory(path: directory) : DataError.missingDirectory(path: directory)
        }
        let prefix = part == .train ? "train" : "t10k"
        let images = try findFile(in: directory, stem: prefix, kind: "images", rank: 3)
        let labels = try findFile(in: directory, stem: prefix, kind: "labels", rank: 1)
        return try load(images: images, labels: labels, classCount: classCount)
    }

    static func findFile(in directory: String, stem: String, kind: String, rank: Int) throws -> String {
        let names = ["\(stem)-\(kind)-idx\(rank)-ubyte", "\(stem)-\(kind).idx\(rank)-ubyte"].flatMap {
            [$0 + ".gz", $0]
        }
        for name in names where FilePaths.isFile(FilePaths.join(directory, name)) {
            return FilePaths.join(directory, name)
        }
        throw DataError.missingFile(directory: directory, expected: names)
    }
}
