import SculptCore
import SculptData
import SculptNN

/// Units relu(n . p + b) with n the outward unit normal of each edge of the convex polygon
/// `vertices`: zero inside the polygon, the distance outside an edge beyond it.
func outsideDistanceLayer(_ vertices: [(x: Double, y: Double)]) -> (weights: [Float], biases: [Float]) {
    let cx = vertices.map(\.x).reduce(0, +) / Double(vertices.count)
    let cy = vertices.map(\.y).reduce(0, +) / Double(vertices.count)
    var w: [Float] = [], b: [Float] = []
    for k in vertices.indices {
        let p = vertices[k], q = vertices[(k + 1) % vertices.count]
        var nx = q.y - p.y, ny = p.x - q.x
        let norm = (nx * nx + ny * ny).squareRoot()
        nx /= norm; ny /= norm
        if nx * (cx - p.x) + ny * (cy - p.y) > 0 { nx = -nx; ny = -ny }
        w += [Float(nx), Float(ny)]
        b.append(Float(-(nx * p.x + ny * p.y)))
    }
    return (w, b)
}

/// sigmoid(sharpness * (1 - steepness * sum of outside distances)): paints a convex polygon with
/// one ReLU unit per edge. `extra` appends units (weight row, bias, outgoing weight).
func convexPolygonNetwork(_ vertices: [(x: Double, y: Double)], extra: [(w: [Float], b: Float, out: Float)] = [],
                          duplicateFirst: Bool = false) throws -> Network {
    var (w, b) = outsideDistanceLayer(vertices)
    let steepness: Float = 1000, sharpness: Float = 30
    var out = [Float](repeating: -steepness * sharpness, count: vertices.count)
    if duplicateFirst {
        w += [w[0], w[1]]; b.append(b[0])
        out[0] /= 2; out.append(out[0])
    }
    for e in extra { w += e.w; b.append(e.b); out.append(e.out) }
    let n = b.count
    return try Network(inputShape: [2], layers: [
        Dense(weight: Tensor(w, shape: [n, 2]), bias: Tensor(b)), Activation(.relu),
        Dense(weight: Tensor(out, shape: [1, n]), bias: Tensor([sharpness])), Activation(.sigmoid),
    ])
}

/// The hexagram as the union of two triangles: 6 edge units, then one ReLU unit per triangle
/// (1 inside it, 0 just outside), then sigmoid(sharpness * (tA + tB - 0.5)).
func hexagramNetwork() throws -> Network {
    let star = PaintingShape.star(points: 6).vertices!
    let a = stride(from: 0, to: 12, by: 4).map { star[$0] }, b = stride(from: 2, to: 12, by: 4).map { star[$0] }
    let (wa, ba) = outsideDistanceLayer(a), (wb, bb) = outsideDistanceLayer(b)
    let steepness: Float = 1000, sharpness: Float = 30
    let second: [Float] = [-steepness, -steepness, -steepness, 0, 0, 0,
                           0, 0, 0, -steepness, -steepness, -steepness]
    return try Network(inputShape: [2], layers: [
        Dense(weight: Tensor(wa + wb, shape: [6, 2]), bias: Tensor(ba + bb)), Activation(.relu),
        Dense(weight: Tensor(second, shape: [2, 6]), bias: Tensor([1, 1])), Activation(.relu),
        Dense(weight: Tensor([sharpness, sharpness], shape: [1, 2]),
              bias: Tensor([-sharpness / 2])), Activation(.sigmoid),
    ])
}
