import SculptNN

/// Elementwise: each feature maps to itself.
extension Activation: UnitPreservingLayer {
    public static var isElementwise: Bool { true }
}

/// Elementwise (identity in eval mode, a per-feature mask in training).
extension Dropout: UnitPreservingLayer {
    public static var isElementwise: Bool { true }
}

/// Pools each channel on its own.
extension MaxPool2D: UnitPreservingLayer {
    public static var isElementwise: Bool { false }
}

/// Pools each channel on its own.
extension AvgPool2D: UnitPreservingLayer {
    public static var isElementwise: Bool { false }
}

/// Averages each channel on its own.
extension GlobalAveragePool: UnitPreservingLayer {
    public static var isElementwise: Bool { false }
}
