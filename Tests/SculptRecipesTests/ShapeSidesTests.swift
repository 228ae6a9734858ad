import Testing
import SculptCore
import SculptData
import SculptNN
@testable import SculptRecipes

private let triangle = PaintingShape.triangle.vertices!
private let square = PaintingShape.square.vertices!

@Test("a 3-unit triangle has 3 sides on 3 lines and matches the triangle painting")
func triangleSides() throws {
    let net = try convexPolygonNetwork(triangle)
    let sides = try SideCounter().count(network: net, size: 64)
    #expect(sides.sides == 3 && sides.lines == 3)
    #expect(sides.explainedFraction > 0.95)
    let assessment = try PaintingAssessor(minimalUnits: 3).assess(network: net, painting: Painting(shape: .triangle,
        size: 64))
    #expect(assessment.pixelAgreement >= 0.99)
    #expect(assessment.activeUnits == 3 && assessment.isMinimalCorrect)
}

@Test("a 4-unit square has 4 sides")
func squareSides() throws {
    let net = try convexPolygonNetwork(square)
    let sides = try SideCounter().count(network: net, size: 64)
    #expect(sides.sides == 4 && sides.lines == 4)
    let assessment = try PaintingAssessor(minimalUnits: 3).assess(network: net, painting: Painting(shape: .square,
        size: 64))
    #expect(assessment.pixelAgreement >= 0.99 && assessment.activeUnits == 4 && !assessment.isMinimalCorrect)
}

@Test("a hexagram from 6 edge units has 12 sides on 6 lines")
func hexagramSides() throws {
    let net = try hexagramNetwork()
    for size in [64, 40] {
        let sides = try SideCounter().count(network: net, size: size)
        #expect(sides.sides == 12 && sides.lines == 6, "size \(size): \(sides)")
    }
    let agreement = PaintingAssessor().pixelAgreement(network: net, painting: try Painting(shape: .star(points: 6),
        size: 64))
    #expect(agreement >= 0.99)
}

@Test("dead, zero-weight and duplicated units do not add sides")
func deadAndDuplicateUnits() throws {
    let crossing: (w: [Float], b: Float, out: Float) = ([0.6, 0.8], 0.05, 0)   // crosses the image, no effect
    let dead: (w: [Float], b: Float, out: Float) = ([0.1, 0.1], -10, -50)       // never active
    for net in [try convexPolygonNetwork(triangle, extra: [crossing, dead]), try convexPolygonNetwork(triangle,
        duplicateFirst: true)] {
        let sides = try SideCounter().count(network: net, size: 64)
        #expect(sides.sides == 3 && sides.lines == 3)
    }
}

@Test("an empty or full image has no sides; unsupported networks throw")
func degenerate() throws {
    let empty = try Network(inputShape: [2], layers: [Dense(weight: Tensor(zeros: [1, 2]), bias: Tensor([-1])),
                                                      Activation(.sigmoid)])
    #expect(try SideCounter().count(network: empty, size: 32) == ShapeSides(sides: 0, lines: 0, boundaryPoints: 0,
        explainedFraction: 1))
    let halfPlane = try Network(inputShape: [2], layers: [Dense(weight: Tensor([1, 0], shape: [1, 2]),
                                                                bias: Tensor([0.5]))])
    let half = try SideCounter().count(network: halfPlane, size: 32)  // output > 0.5 where x > 0: one side
    #expect(half.sides == 1 && half.lines == 1)
    let tanhHidden = try Network(inputShape: [2], layers: [Dense(weight: Tensor(zeros: [3, 2]), bias: nil),
                                                           Activation(.tanh),
                                                          Dense(weight: Tensor(zeros: [1, 3]), bias: nil)])
    #expect(throws: ShapeSidesError.self) { try SideCounter().count(network: tanhHidden, size: 16) }
}
