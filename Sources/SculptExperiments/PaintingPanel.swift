import Foundation
import SculptCore
import SculptData
import SculptNN
import SculptRecipes
import SculptVisual

/// What a painting trial keeps to draw Hyatt & Lee's Figs. 2-3/6 panels later: the trained
/// network's prediction as a grey PNG (y upward: the first PNG row is y = +0.5) and each
/// first-layer ReLU unit's line w_x x + w_y y + b = 0.
public struct PaintingPanel: Equatable, Sendable {
    public var png: [UInt8]
    /// (w_x, w_y, b) per first-layer unit.
    public var boundaries: [[Double]]

    /// The panel of a trained painting network (nil when the network has no painting boundaries).
    public init?(network: Network, size: Int) {
        let figures = PaintingFigures(size: size, scale: 1)
        guard let lines = try? PaintingFigures.boundaries(of: network) else { return nil }
        let values = network.predict(figures.inputs).scalars
        guard values.count == size * size else { return nil }
        var gray = [UInt8](repeating: 0, count: size * size)
        for row in 0..<size {  // source row i has y = linspace(-0.5, 0.5)[i]; flip so y grows upward
            for column in 0..<size {
                let v = values[(size - 1 - row) * size + column]
                gray[row * size + column] = UInt8((Swift.min(1, Swift.max(0, v.isFinite ? v : 0)) * 255).rounded())
            }
        }
        guard let png = try? PNG.encode(gray: gray, width: size, height: size) else { return nil }
        self.png = png
        boundaries = lines.map { [Double($0.weightX), Double($0.weightY), Double($0.bias)] }
    }

    /// `{"png": base64, "boundaries": [[wx, wy, b], ...]}`, for a trial's details.
    public var json: JSONValue {
        .object([
            "png": .string(Data(png).base64EncodedString()),
            "boundaries": .array(boundaries.map { .array($0.map { .number($0) }) }),
        ])
    }

    /// Reads `json`'s form back; nil when it is not one.
    public init?(json: JSONValue?) {
        guard case .object(let members)? = json, case .string(let text)? = members["png"],
            let data = Data(base64Encoded: text), case .array(let lines)? = members["boundaries"]
        else { return nil }
        png = [UInt8](data)
        boundaries = lines.compactMap { line in
            guard case .array(let items) = line, items.count == 3 else { return nil }
            return items.map { if case .number(let v) = $0 { v } else { .nan } }
        }
    }

    /// The panel as a small figure: the prediction with every unit's line in vermillion.
    public func figure(title: String) -> Figure {
        var marks: [Mark] = [.image(ImageMark(png: png, x: -0.5...0.5, y: -0.5...0.5))]
        for b in boundaries where b.count == 3 && b.allSatisfy(\.isFinite) {
            let (wx, wy, c) = (b[0], b[1], b[2])
            guard wx != 0 || wy != 0 else { continue }
            let points: [PlotPoint] =
                Swift.abs(wy) >= Swift.abs(wx)
                ? [-1.0, 1.0].map { PlotPoint(x: $0, y: -(wx * $0 + c) / wy) }
                : [-1.0, 1.0].map { PlotPoint(x: -(wy * $0 + c) / wx, y: $0) }
            marks.append(.line(LineMark(points: points, color: PlotColor.okabeIto[1])))
        }
        return Figure(
            title: title, x: Axis(label: "x", domain: -0.5...0.5), y: Axis(label: "y", domain: -0.5...0.5),
            marks: marks, width: 250, height: 270, legend: .none)
    }
}
