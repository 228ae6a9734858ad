import SculptCore
import SculptNN

/// A parameter holding `values` with gradient `grad` (optimizer tests).
public func parameter(_ values: [Float], grad: [Float]) -> Parameter {
    let p = Parameter(Tensor(values))
    p.grad.assign(Tensor(grad))
    return p
}
