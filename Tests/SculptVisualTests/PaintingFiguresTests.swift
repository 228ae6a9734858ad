import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptVisual

/// Dense(2, 2) + ReLU -> Dense(2, 1) + Sigmoid with unit 1 on x (boundary x = 0) and unit 2 on
/// y - 0.25 (boundary y = 0.25).
private func handMadeNetwork() throws -> Network {
    try Network(inputShape: [2], layers: [
        Dense(weight: Tensor([1, 0, 0, 1], shape: [2, 2]), bias: Tensor([0, -0.25])),
        Activation(.relu),
        Dense(weight: Tensor([4, -4], shape: [1, 2]), bias: Tensor([0.5])),
        Activation(.sigmoid),
    ])
}

@Suite struct PaintingFiguresTests {
    @Test func boundariesComeFromTheFirstLayer() throws {
        let b = try PaintingFigures.boundaries(of: try handMadeNetwork())
        #expect(
            b == [
                DecisionBoundary(weightX: 1, weightY: 0, bias: 0),
                DecisionBoundary(weightX: 0, weightY: 1, bias: -0.25),
            ])
        var rng = RandomSource(seed: 1)
        let wrong = try Network(
            Architecture(inputShape: [2], layers: [.dense(inputs: 2, outputs: 3, bias: true), .activation(.tanh)]),
            rng: &rng)
        #expect(throws: FigureError.self) { try PaintingFigures.boundaries(of: wrong) }
    }

    @Test func figuresHaveTheExpectedSizes() throws {
        let figures = PaintingFigures(size: 9, scale: 4)
        let painting = try Painting(shape: .square, size: 9)
        let target = figures.target(painting)
        #expect(target.width == 36 && target.height == 36)
        // The square covers source pixels 3...5; the corner is purple, the centre yellow.
        #expect(target.pixel(x: 0, y: 0) == Colormap.viridis.color(0))
        #expect(target.pixel(x: 18, y: 18) == Colormap.viridis.color(1))
        let network = try handMadeNetwork()
        let prediction = try figures.prediction(of: network)
        #expect(prediction.width == 36 && prediction.height == 36)
        // Units: 2 unit panels + sum + output, one row; margin 8, titles 7*2 + 4 pixels high.
        let units = try figures.units(of: network)
        #expect(units.width == 8 + 4 * (36 + 8) && units.height == 8 + (36 + 18) + 8)
    }

    /// x = 0 is source column 4 of 9, whose centre is output pixel 4 * 4 + 1.5 = 17.5: the
    /// two-pixel line covers columns 17 and 18 on every row; y = 0.25 is source row 6 -> rows 25, 26.
    @Test func boundaryPixelsAreRedWhereTheLinePasses() throws {
        let prediction = try PaintingFigures(size: 9, scale: 4).prediction(of: try handMadeNetwork())
        for y in 0..<36 where y != 25 && y != 26 {
            for x in 0..<36 { #expect((prediction.pixel(x: x, y: y) == .red) == (x == 17 || x == 18)) }
        }
        for x in 0..<36 { #expect(prediction.pixel(x: x, y: 25) == .red && prediction.pixel(x: x, y: 26) == .red) }
    }

    @Test func unitPanelsShowNormalizedActivations() throws {
        // One unit alive on the right half (x > 0), one dead everywhere (bias -5).
        let network = try Network(inputShape: [2], layers: [
            Dense(weight: Tensor([2, 0, 0, 1], shape: [2, 2]), bias: Tensor([0, -5])),
            Activation(.relu),
            Dense(weight: Tensor([1, 1], shape: [1, 2]), bias: nil),
            Activation(.sigmoid),
        ])
        let figures = PaintingFigures(size: 9, scale: 1)
        let units = try figures.units(of: network)
        // scale 1: margin 2, titles 7 * 1 + 1 high; the first panel starts at (2, 10).
        let top = 2 + 8
        #expect(units.pixel(x: 2 + 8, y: top) == Colormap.viridis.color(1))   // x = 0.5: the unit's maximum
        #expect(units.pixel(x: 2 + 0, y: top) == Colormap.viridis.color(0))   // x = -0.5: inactive
        #expect(units.pixel(x: 2 + 6, y: top) == Colormap.viridis.color(0.5)) // x = 0.25
        // The dead unit's panel (second) is all purple and has no red line.
        let left2 = 2 + 9 + 2
        for y in top..<(top + 9) {
            for x in left2..<(left2 + 9) { #expect(units.pixel(x: x, y: y) == Colormap.viridis.color(0)) }
        }
    }
}
