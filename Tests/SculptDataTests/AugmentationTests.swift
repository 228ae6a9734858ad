import SculptCore
import SculptData
import Testing

@Suite struct RandomCropFlipTests {
    /// A batch (B, C, H, W) whose element (b, c, i, j) is 1000b + 100c + 10i + j + 1 (never 0).
    static func batch(_ b: Int, _ c: Int, _ h: Int, _ w: Int) -> Tensor {
        let t = Tensor(zeros: [b, c, h, w])
        for n in 0..<b { for ch in 0..<c { for i in 0..<h { for j in 0..<w {
            t[n, ch, i, j] = Float(1000 * n + 100 * ch + 10 * i + j + 1)
        } } } }
        return t
    }

    @Test func flipOnlyMirrorsRowsOrLeavesSamples() {
        let x = Self.batch(16, 2, 3, 4), original = x.copy()
        var rng = RandomSource(seed: 3)
        var predict = rng
        RandomCropFlip(padding: 0).apply(inputs: x, rng: &rng)
        #expect(x.shape == [16, 2, 3, 4])
        var flips = 0
        for n in 0..<16 {
            let mirrored = predict.next() & 1 == 1
            if mirrored { flips += 1 }
            for ch in 0..<2 { for i in 0..<3 { for j in 0..<4 {
                #expect(x[n, ch, i, j] == original[n, ch, i, mirrored ? 3 - j : j])
            } } }
        }
        #expect(flips > 0 && flips < 16)
        #expect(rng == predict)
    }

    @Test func cropShiftsWithFill() {
        let x = Self.batch(8, 3, 5, 5), original = x.copy()
        var rng = RandomSource(seed: 11)
        var predict = rng
        RandomCropFlip(padding: 2, flip: false, fill: -1).apply(inputs: x, rng: &rng)
        for n in 0..<8 {
            let dy = predict.index(below: 5) - 2, dx = predict.index(below: 5) - 2
            for ch in 0..<3 { for i in 0..<5 { for j in 0..<5 {
                let si = i + dy, sj = j + dx
                let expected: Float = si >= 0 && si < 5 && sj >= 0 && sj < 5 ? original[n, ch, si, sj] : -1
                #expect(x[n, ch, i, j] == expected)
            } } }
        }
        #expect(rng == predict)
    }

    @Test func cropThenFlipHandCase() {
        // 1 sample, 1 channel, 2x3, padding 1: find a seed whose draws are dy = 0, dx = 2, flip.
        var seed: UInt64 = 0
        while true {
            var r = RandomSource(seed: seed)
            if r.index(below: 3) == 0, r.index(below: 3) == 2, r.next() & 1 == 1 { break }
            seed += 1
        }
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [1, 1, 2, 3])
        var rng = RandomSource(seed: seed)
        RandomCropFlip(padding: 1).apply(inputs: x, rng: &rng)
        // padded rows 0..3, cols 0..4; crop rows 0..1, cols 2..4: [[0, 0, 0], [2, 3, 0]]; mirrored:
        #expect(x.scalars == [0, 0, 0, 0, 3, 2])
    }

    @Test func sameSeedSameResult() {
        let a = Self.batch(4, 3, 8, 8), b = a.copy()
        var r1 = RandomSource(seed: 5), r2 = RandomSource(seed: 5)
        RandomCropFlip(padding: 4).apply(inputs: a, rng: &r1)
        RandomCropFlip(padding: 4).apply(inputs: b, rng: &r2)
        #expect(a == b)
    }
}

@Suite struct SplitAndSourceTests {
    @Test func splitIsDeterministicDisjointAndComplete() throws {
        let a = try DatasetSplit.indices(count: 100, validationFraction: 0.15, seed: 42)
        let b = try DatasetSplit.indices(count: 100, validationFraction: 0.15, seed: 42)
        let c = try DatasetSplit.indices(count: 100, validationFraction: 0.15, seed: 43)
        #expect(a.train == b.train && a.validation == b.validation)
        #expect(a.validation != c.validation)
        #expect(a.validation.count == 15 && a.train.count == 85)
        #expect(Set(a.train).isDisjoint(with: a.validation))
        #expect(Set(a.train + a.validation) == Set(0..<100))
        #expect(try DatasetSplit.indices(count: 10, validationFraction: 0, seed: 1).validation.isEmpty)
        #expect(try DatasetSplit.indices(count: 10, validationFraction: 0.01, seed: 1).validation.count == 1)
        #expect(throws: DataError.invalidFraction(1, sampleCount: 10)) {
            try DatasetSplit.indices(count: 10, validationFraction: 1, seed: 1)
        }
        #expect(throws: DataError.invalidFraction(0.5, sampleCount: 1)) {
            try DatasetSplit.indices(count: 1, validationFraction: 0.5, seed: 1)
        }
    }

    @Test func imageDatasetSplitKeepsSamplesAndLabels() throws {
        let data = ImageDataset(pixels: (0..<20).map { UInt8($0 * 10) }, labels: (0..<20).map { Int32($0 % 4) },
                                channels: 1, height: 1, width: 1, classes: 4)
        let (train, validation) = try data.split(validationFraction: 0.25, seed: 7)
        #expect(train.count == 15 && validation.count == 5)
        let (_, v) = try DatasetSplit.indices(count: 20, validationFraction: 0.25, seed: 7)
        #expect(validation.pixels == v.map { UInt8($0 * 10) })
        #expect(validation.labels == v.map { Int32($0 % 4) })
    }

    @Test func channelStatisticsAndNormalization() {
        // channel 0: bytes 0 and 255 (mean 0.5, std 0.5); channel 1: constant 51 (std defaults to 1)
        var data = ImageDataset(pixels: [0, 51, 255, 51], labels: [0, 1], channels: 2, height: 1, width: 1, classes: 2)
        let stats = data.channelStatistics()
        #expect(stats.mean == [0.5, 0.2])
        #expect(stats.std == [0.5, 1])
        data.normalization = stats
        let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
        data.fillBatch(indices: [0, 1], inputs: x, targets: y)
        #expect(x.scalars == [-1, 0, 1, 0])
        let t = Tensor([0, 0.2, 1, 0.2], shape: [2, 2, 1, 1])
        stats.apply(to: t)
        #expect(t.scalars == [-1, 0, 1, 0])
    }

    @Test func reshapedDatasetFlattens() {
        let data = ImageDataset(
            pixels: [1, 2, 3, 4, 5, 6, 7, 8], labels: [0, 1], channels: 1, height: 2, width: 2, classes: 2)
        let flat = ReshapedDataset(data, inputShape: [4])
        let x = Tensor(zeros: [0]), y = Tensor(zeros: [0])
        flat.fillBatch(indices: [1], inputs: x, targets: y)
        #expect(x.shape == [1, 4])
        #expect(x.scalars == [5, 6, 7, 8].map { Float($0) / 255 })
    }

    @Test func dataSourceParsing() throws {
        #expect(try DataSource(parsing: "fashion-mnist") == .fashionMNIST(directory: MNISTFormat.fashionMNISTDirectory))
        #expect(try DataSource(parsing: "mnist:/d") == .mnist(directory: "/d"))
        #expect(try DataSource(parsing: "cifar10:/c") == .cifar10(directory: "/c"))
        #expect(try DataSource(parsing: "cifar100:/c") == .cifar100(directory: "/c", labels: .fine))
        #expect(try DataSource(parsing: "cifar100-coarse:/c") == .cifar100(directory: "/c", labels: .coarse))
        for text in [
            "fashion-mnist", "fashion-mnist:/f", "mnist:/d", "cifar10:/a:b", "cifar100:/c", "cifar100-coarse:/c",
        ] {
            #expect(try DataSource(parsing: text).description == text)
        }
        #expect(throws: DataError.self) { try DataSource(parsing: "mnist") }
        #expect(throws: DataError.self) { try DataSource(parsing: "cifar10:") }
        #expect(throws: DataError.self) { try DataSource(parsing: "imagenet:/x") }
    }
}
