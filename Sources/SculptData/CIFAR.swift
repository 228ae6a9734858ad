/// The CIFAR-10 and CIFAR-100 binary formats: records of label byte(s) then 3072 pixel bytes
/// (1024 red, 1024 green, 1024 blue, each 32x32 row-major).
///
/// CIFAR-10: `data_batch_1.bin` ... `data_batch_5.bin` and `test_batch.bin`, one label byte.
/// CIFAR-100: `train.bin` and `test.bin`, a coarse (20 classes) then a fine (100 classes) label byte.
/// Either the folder holding these files or its parent (where the archives unpack into
/// `cifar-10-batches-bin` / `cifar-100-binary`) may be given.
public enum CIFAR {
    /// Bytes of one image.
    public static let imageBytes = 3 * 32 * 32

    /// Which label set of CIFAR-100 to use.
    public enum CIFAR100Labels: String, Codable, Sendable {
        case fine, coarse
    }

    /// Loads CIFAR-10 (10 classes).
    public static func load10(directory: String, part: DataPart) throws -> ImageDataset {
        let dir = try resolve(directory, subfolder: "cifar-10-batches-bin", marker: "test_batch.bin")
        let names = part == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        return try read(files: names.map { try require(dir, $0) }, labelBytes: 1, labelIndex: 0, classCount: 10)
    }

    /// Loads CIFAR-100 with fine (100 classes) or coarse (20 classes) labels.
    public static func load100(directory: String, part: DataPart, labels: CIFAR100Labels = .fine) throws -> ImageDataset
    {
        let dir = try resolve(directory, subfolder: "cifar-100-binary", marker: "test.bin")
        let file = try require(dir, part == .train ? "train.bin" : "test.bin")
        return try read(files: [file], labelBytes: 2, labelIndex: labels == .coarse ? 0 : 1,
                        classCount: labels == .coarse ? 20 : 100)
    }

    /// Reads binary record files: each record is `labelBytes` label bytes then 3072 pixel bytes;
    /// the label at `labelIndex` is kept. Each file must hold a whole, positive number of records.
    public static func read(files: [String], labelBytes: Int, labelIndex: Int, classCount: Int) throws -> ImageDataset {
        var pixels = [UInt8](), labels = [Int32]()
        for path in files {
            try decode(try readFileBytes(path), path: path, labelBytes: labelBytes, labelIndex: labelIndex,
                       classCount: classCount, pixels: &pixels, labels: &labels)
        }
        return ImageDataset(pixels: pixels, labels: labels, channels: 3, height: 32, width: 32, classes: classCount)
    }

    /// Appends the records of one file's `bytes` to `pixels` and `labels`; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String, labelBytes: Int, labelIndex: Int, classCount: Int,
                              pixels: inout [UInt8], labels: inout [Int32]) throws {
        precondition(labelIndex >= 0 && labelIndex < labelBytes, "label index \(labelIndex) of \(labelBytes)")
        let record = labelBytes + imageBytes
        guard !bytes.isEmpty, bytes.count % record == 0 else {
            throw DataError.wrongSize(
                path: path, expected: "a positive multiple of the \(record)-byte record", actual: bytes.count)
        }
        let n = bytes.count / record
        pixels.reserveCapacity(pixels.count + n * imageBytes)
        for i in 0..<n {
            let base = i * record
            let label = Int(bytes[base + labelIndex])
            guard label < classCount else {
                throw DataError.labelOutOfRange(path: path, sample: i, label: label, classCount: classCount)
            }
            labels.append(Int32(label))
            pixels.append(contentsOf: bytes[(base + labelBytes)..<(base + record)])
        }
    }

    /// Writes images and labels in the binary record format (for tests and conversions);
    /// `labels[i]` holds the label bytes of record i.
    public static func write(pixels: [UInt8], labels: [[UInt8]], to path: String) throws {
        precondition(pixels.count == labels.count * imageBytes, "\(pixels.count) bytes for \(labels.count) images")
        var out = [UInt8]()
        for (i, l) in labels.enumerated() {
            out += l
            out += pixels[(i * imageBytes)..<((i + 1) * imageBytes)]
        }
        try writeFileAtomically(out, to: path)
    }

    static func resolve(_ directory: String, subfolder: String, marker: String) throws -> String {
        guard FilePaths.isDirectory(directory) else {
            throw FilePaths.exists(directory)
                ? DataError.notADirectory(path: directory) : DataError.missingDirectory(path: directory)
        }
        let nested = FilePaths.join(directory, subfolder)
        if !FilePaths.isFile(FilePaths.join(directory, marker)), FilePaths.isDirectory(nested) { return nested }
        return directory
    }

    static func require(_ directory: String, _ name: String) throws -> String {
        let path = FilePaths.join(directory, name)
        guard FilePaths.isFile(path) else { throw DataError.missingFile(directory: directory, expected: [name]) }
        return path
    }
}
