import SculptCore
import SculptNN

/// A Conv2D's units are its filters: weight `[O, I, k, k]` slices along axis 0 and bias entries;
/// it reads the channels before it along axis 1. Stride and padding are kept when rebuilt.
extension Conv2D: UnitLayer {
    public static var readsFlattenedUnits: Bool { false }

    public func rebuilt(weight: Tensor, bias: Tensor?) -> Layer {
        Conv2D(weight: weight, bias: bias, stride: stride, padding: padding)
    }
}
