import SculptCore
import SculptData
import Testing
import TestSupport

@Suite struct IDXTests {
    @Test func roundTripPlainAndGzip() throws {
        let dir = TemporaryDirectory("idx")
        defer { dir.remove() }
        let array = IDXArray(dimensions: [2, 3, 2], values: (0..<12).map { UInt8($0 * 20) })
        try IDX.write(array, to: dir.file("a"), compressed: false)
        try IDX.write(array, to: dir.file("a.gz"), compressed: true)
        #expect(try IDX.read(dir.file("a")) == array)
        #expect(try IDX.read(dir.file("a.gz"), rank: 3) == array)
        let raw = try readFileBytes(dir.file("a"))
        #expect(raw.prefix(8) == [0, 0, 8, 3, 0, 0, 0, 2])  // magic 0x00000803, first dimension 2
        #expect(raw.count == 4 + 12 + 12)
        let gz = try readFileBytes(dir.file("a.gz"))
        #expect(gz.prefix(2) == [0x1F, 0x8B])
    }

    @Test func badMagicNamesFileAndBothValues() {
        let bytes: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 7, 9]  // a label file (rank 1)
        #expect(throws: DataError.badMagic(path: "x", expected: "0x00000803", actual: "0x00000801")) {
            try IDX.decode(bytes, path: "x", rank: 3)
        }
        #expect(throws: DataError.badMagic(path: "y", expected: "0x000008NN", actual: "0x1f000801")) {
            try IDX.decode([0x1F, 0, 8, 1, 0, 0, 0, 0], path: "y")
        }
        #expect(throws: DataError.badMagic(path: "z", expected: "0x000008NN", actual: "0x00000d01")) {
            try IDX.decode([0, 0, 0x0D, 1, 0, 0, 0, 0], path: "z")  // floats are not supported
        }
    }

    @Test func wrongSizeIsReported() {
        // header announces 2x2 = 4 bytes, 3 follow
        let bytes: [UInt8] = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]
        #expect(throws: DataError.wrongSize(path: "f", expected: "12 + 4 for dimensions [2, 2]", actual: 15)) {
            try IDX.decode(bytes, path: "f")
        }
        #expect(throws: DataError.wrongSize(path: "f", expected: "at least the 4-byte IDX header", actual: 2)) {
            try IDX.decode([0, 0], path: "f")
        }
        #expect(throws: DataError.self) { try IDX.decode([0, 0, 8, 3, 0, 0], path: "f") }
    }

    @Test func corruptGzipIsAnError() throws {
        let dir = TemporaryDirectory("idx")
        defer { dir.remove() }
        var gz = try Zlib.gzip(IDX.encode(IDXArray(dimensions: [4], values: [1, 2, 3, 4])))
        gz.removeLast(6)
        try writeFileAtomically(gz, to: dir.file("t.gz"))
        #expect(throws: DataError.self) { try IDX.read(dir.file("t.gz")) }
    }
}

@Suite struct MNISTFormatTests {
    /// Writes a tiny MNIST-layout folder: `n` images of 3x2 pixels with labels `i % 10`.
    static func writeFolder(_ dir: String, trainCount: Int = 5, testCount: Int = 3, compressed: Bool = true) throws {
        for (prefix, n) in [("train", trainCount), ("t10k", testCount)] {
            let images = IDXArray(dimensions: [n, 3, 2], values: (0..<(n * 6)).map { UInt8(($0 * 37) % 256) })
            let labels = IDXArray(dimensions: [n], values: (0..<n).map { UInt8($0 % 10) })
            let suffix = compressed ? ".gz" : ""
            try IDX.write(images, to: dir + "/\(prefix)-images-idx3-ubyte" + suffix, compressed: compressed)
            try IDX.write(labels, to: dir + "/\(prefix)-labels-idx1-ubyte" + suffix, compressed: compressed)
        }
    }

    @Test(arguments: [true, false]) func loadsFolder(compressed: Bool) throws {
        let dir = TemporaryDirectory("mnist")
        defer { dir.remove() }
        try Self.writeFolder(dir.path, compressed: compressed)
        let train = try MNISTFormat.load(directory: dir.path, part: .train)
        #expect(train.count == 5)
        #expect(train.inputShape == [1, 3, 2])
        #expect(train.classCount == 10)
        let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
        train.fillBatch(indices: [4, 1], inputs: x, targets: y)
        #expect(x.shape == [2, 1, 3, 2])
        #expect(y.scalars == [4, 1])
        // sample 4, pixel 0 is byte (24 * 37) % 256 = 120
        #expect(x[0, 0, 0, 0] == Float(120) / 255)
        #expect(x[1, 0, 2, 1] == Float((11 * 37) % 256) / 255)
        #expect(try MNISTFormat.load(directory: dir.path, part: .test).count == 3)
    }

    @Test func missingDirectoryAndFiles() throws {
        #expect(throws: DataError.missingDirectory(path: "/nonexistent/mnist")) {
            try MNISTFormat.load(directory: "/nonexistent/mnist", part: .train)
        }
        let dir = TemporaryDirectory("mnist")
        defer { dir.remove() }
        #expect(throws: DataError.self) { try MNISTFormat.load(directory: dir.path, part: .test) }
    }

    @Test func countMismatchAndBadLabels() throws {
        let dir = TemporaryDirectory("mnist")
        defer { dir.remove() }
        try IDX.write(IDXArray(dimensions: [2, 1, 1], values: [0, 255]), to: dir.file("i"))
        try IDX.write(IDXArray(dimensions: [3], values: [0, 1, 2]), to: dir.file("l"))
        #expect(
            throws: DataError.countMismatch(images: dir.file("i"), imageCount: 2, labels: dir.file("l"), labelCount: 3)
        ) {
            try MNISTFormat.load(images: dir.file("i"), labels: dir.file("l"))
        }
        try IDX.write(IDXArray(dimensions: [2], values: [3, 10]), to: dir.file("l"))
        #expect(throws: DataError.labelOutOfRange(path: dir.file("l"), sample: 1, label: 10, classCount: 10)) {
            try MNISTFormat.load(images: dir.file("i"), labels: dir.file("l"))
        }
        // images file given where labels are expected: wrong rank in the magic number
        #expect(throws: DataError.badMagic(path: dir.file("i"), expected: "0x00000801", actual: "0x00000803")) {
            try MNISTFormat.load(images: dir.file("i"), labels: dir.file("i"))
        }
    }

    @Test(.enabled(if: FilePaths.isDirectory(MNISTFormat.fashionMNISTDirectory)))
    func fashionMNISTTestSet() throws {
        let test = try MNISTFormat.load(directory: MNISTFormat.fashionMNISTDirectory, part: .test)
        #expect(test.count == 10_000)
        #expect(test.inputShape == [1, 28, 28])
        var perClass = [Int](repeating: 0, count: 10)
        for l in test.labels { perClass[Int(l)] += 1 }
        #expect(perClass == [Int](repeating: 1000, count: 10))
    }
}
