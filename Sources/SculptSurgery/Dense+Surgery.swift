import SculptCore
import SculptNN

/// A Dense layer's units are its neurons: weight rows `[out, in]` and bias entries; it reads the
/// units before it as columns, also `span` columns per unit after a Flatten.
extension Dense: UnitLayer {
    public static var readsFlattenedUnits: Bool { true }

    public func rebuilt(weight: Tensor, bias: Tensor?) -> Layer { Dense(weight: weight, bias: bias) }
}
