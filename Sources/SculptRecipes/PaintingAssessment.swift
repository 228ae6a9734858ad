import SculptCore
import SculptData
import SculptNN
import SculptSurgery

/// How well a trained painting network reproduces its picture, with the paper's columns.
public struct PaintingAssessment: Codable, Equatable, Sendable {
    /// Full-image MSE, eval mode.
    public var loss: Float
    /// Units of the ReLU layers whose loss ratio is >= the activity threshold.
    public var activeUnits: Int
    /// Fraction of pixels where the thresholded prediction equals the thresholded target.
    public var pixelAgreement: Double
    /// Sides of the painted shape (see `SideCounter`).
    public var sides: Int
    /// Distinct boundary lines of the painted shape.
    public var lines: Int
    /// `activeUnits == minimalUnits && pixelAgreement >= requiredAgreement`.
    public var isMinimalCorrect: Bool
}

/// Scores painting networks: pixel agreement, active units, sides, minimal correct solutions.
public struct PaintingAssessor: Sendable {
    /// Output value separating inside from outside (pixels) and the target's threshold.
    public var threshold: Float = 0.5
    /// A unit is active when loss-without-it / loss >= this (the paper: 1.5).
    public var activityThreshold: Float = UnitContributions.defaultThreshold
    /// Active units of a minimal solution (3 for the paper's square, 6 for its star).
    public var minimalUnits: Int = 3
    /// Least pixel agreement for a correct solution.
    public var requiredAgreement: Double = 0.99
    /// How sides are counted.
    public var sideCounter = SideCounter()

    public init(minimalUnits: Int = 3, requiredAgreement: Double = 0.99) {
        self.minimalUnits = minimalUnits
        self.requiredAgreement = requiredAgreement
    }

    /// Fraction of pixels of `painting` where `network`'s thresholded output matches the target.
    public func pixelAgreement(network: Network, painting: Painting) -> Double {
        let data = painting.dataset
        let prediction = network.predict(data.inputs)
        var agree = 0
        for i in 0..<data.count where (prediction.data[i] > threshold) == (data.targets.data[i] > threshold) {
            agree += 1
        }
        return Double(agree) / Double(max(data.count, 1))
    }

    /// A minimal correct solution: exactly `minimalUnits` active units and at least
    /// `requiredAgreement` of the pixels right.
    public func isMinimalCorrect(activeUnits: Int, pixelAgreement: Double) -> Bool {
        activeUnits == minimalUnits && pixelAgreement >= requiredAgreement
    }

    /// Every column for `network` (collapsed or not: linear layers do not change the answers).
    public func assess(network: Network, painting: Painting) throws -> PaintingAssessment {
        let data = painting.dataset
        let loss = network.evaluate(on: data, loss: MeanSquaredError(), batchSize: 4096).loss
        let active = try UnitContributions.activeUnitCount(network: network, data: data, loss: MeanSquaredError(),
                                                           threshold: activityThreshold)
        let agreement = pixelAgreement(network: network, painting: painting)
        let sides = try sideCounter.count(network: network, size: painting.size)
        return PaintingAssessment(loss: loss, activeUnits: active, pixelAgreement: agreement, sides: sides.sides,
                                  lines: sides.lines, isMinimalCorrect: isMinimalCorrect(activeUnits: active,
                                      pixelAgreement: agreement))
    }
}
