import SculptCore
import SculptData
import Testing
import TestSupport

@Suite struct CIFARTests {
    /// Pixels of `n` images where byte (image i, offset k) = (i * 7 + k) % 256.
    static func pixels(_ n: Int, start: Int = 0) -> [UInt8] {
        (0..<(n * CIFAR.imageBytes)).map { UInt8((($0 / CIFAR.imageBytes + start) * 7 + $0 % CIFAR.imageBytes) % 256) }
    }

    /// A CIFAR-10 folder with 2 images in each training batch and 3 test images.
    static func writeCIFAR10(_ dir: String) throws {
        for b in 1...5 {
            try CIFAR.write(
                pixels: pixels(2, start: 2 * (b - 1)), labels: [[UInt8(b)], [UInt8(9 - b)]],
                to: dir + "/data_batch_\(b).bin")
        }
        try CIFAR.write(pixels: pixels(3), labels: [[0], [1], [2]], to: dir + "/test_batch.bin")
    }

    @Test func cifar10ReadsRecordsInOrder() throws {
        let dir = TemporaryDirectory("cifar10")
        defer { dir.remove() }
        try Self.writeCIFAR10(dir.path)
        let train = try CIFAR.load10(directory: dir.path, part: .train)
        #expect(train.count == 10)
        #expect(train.inputShape == [3, 32, 32])
        #expect(train.labels == [1, 8, 2, 7, 3, 6, 4, 5, 5, 4])
        let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
        train.fillBatch(indices: [3], inputs: x, targets: y)
        // image 3, green channel (offset 1024), row 1, column 2: byte (3 * 7 + 1024 + 32 + 2) % 256
        #expect(x[0, 1, 1, 2] == Float((21 + 1024 + 34) % 256) / 255)
        #expect(y.scalars == [7])
        #expect(try CIFAR.load10(directory: dir.path, part: .test).labels == [0, 1, 2])
    }

    @Test func cifar100FineAndCoarseLabels() throws {
        let dir = TemporaryDirectory("cifar100")
        defer { dir.remove() }
        let sub = dir.file("cifar-100-binary")
        #expect(mkdir(sub, 0o755) == 0)
        try CIFAR.write(pixels: Self.pixels(2), labels: [[3, 77], [19, 99]], to: sub + "/train.bin")
        try CIFAR.write(pixels: Self.pixels(1), labels: [[0, 5]], to: sub + "/test.bin")
        // the archive's parent folder is accepted too
        #expect(try CIFAR.load100(directory: dir.path, part: .train).labels == [77, 99])
        let coarse = try CIFAR.load100(directory: dir.path, part: .train, labels: .coarse)
        #expect(coarse.labels == [3, 19])
        #expect(coarse.classCount == 20)
        #expect(try CIFAR.load100(directory: sub, part: .test).labels == [5])
    }

    @Test func wrongSizeAndBadLabels() throws {
        let dir = TemporaryDirectory("cifar10")
        defer { dir.remove() }
        try Self.writeCIFAR10(dir.path)
        var bytes = try readFileBytes(dir.file("data_batch_3.bin"))
        bytes.removeLast()
        try writeFileAtomically(bytes, to: dir.file("data_batch_3.bin"))
        #expect(
            throws: DataError.wrongSize(
                path: dir.file("data_batch_3.bin"), expected: "a positive multiple of the 3073-byte record",
                                            actual: 2 * 3073 - 1)) {
            try CIFAR.load10(directory: dir.path, part: .train)
        }
        try CIFAR.write(pixels: Self.pixels(1), labels: [[10]], to: dir.file("test_batch.bin"))
        #expect(
            throws: DataError.labelOutOfRange(path: dir.file("test_batch.bin"), sample: 0, label: 10, classCount: 10)
        ) {
            try CIFAR.load10(directory: dir.path, part: .test)
        }
        removeTree(dir.file("data_batch_5.bin"))
        #expect(throws: DataError.missingFile(directory: dir.path, expected: ["data_batch_5.bin"])) {
            try CIFAR.load10(directory: dir.path, part: .train)
        }
    }

    @Test func dataSourceNormalizesWithTrainingStatistics() throws {
        let dir = TemporaryDirectory("cifar10")
        defer { dir.remove() }
        try Self.writeCIFAR10(dir.path)
        let source = try DataSource(parsing: "cifar10:\(dir.path)")
        let (train, test) = try source.load()
        #expect(train.normalization == test.normalization)
        let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
        train.fillBatch(indices: ArraySlice(0..<train.count), inputs: x, targets: y)
        let plane = 32 * 32
        for c in 0..<3 {
            var s = 0.0, s2 = 0.0
            for i in 0..<train.count {
                for k in 0..<plane { let v = Double(x.data[(i * 3 + c) * plane + k]); s += v; s2 += v * v }
            }
            let n = Double(train.count * plane)
            #expect(abs(s / n) < 1e-4)
            #expect(abs(s2 / n - 1) < 1e-3)
        }
        #expect(source.defaultAugmentation() is RandomCropFlip)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
