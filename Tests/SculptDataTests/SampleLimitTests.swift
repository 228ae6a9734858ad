import Testing
@testable import SculptData

/// `ImageDataset.limited(to:)`: the one reading of a sample limit (0 = none) that every command and
/// trial kind shares.
@Test func aSampleLimitKeepsTheFirstSamplesAndZeroOrTooLargeKeepsAll() {
    let data = ImageDataset(
        pixels: [10, 20, 30, 40], labels: [0, 1, 2, 3], channels: 1, height: 1, width: 1, classes: 4)
    #expect(data.limited(to: 2).labels == [0, 1])
    #expect(data.limited(to: 2).pixels == [10, 20])
    for everything in [0, -1, 4, 100] { #expect(data.limited(to: everything).labels == [0, 1, 2, 3]) }
}
