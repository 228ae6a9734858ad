/// One picture in a grid, with an optional title drawn above it.
public struct Panel: Sendable {
    public var canvas: Canvas
    public var title: String?

    public init(_ canvas: Canvas, title: String? = nil) {
        self.canvas = canvas
        self.title = title
    }
}

/// Lays panels out in a grid of equal cells, row by row.
public enum PanelGrid {
    /// One canvas holding `panels` in `columns` columns (default: all in one row up to 4, else a
    /// near-square grid), separated by `margin` pixels, titles drawn with the 5x7 font at `titleScale`.
    public static func compose(_ panels: [Panel], columns: Int? = nil, margin: Int = 8, titleScale: Int = 2,
                               background: RGBColor = .white) -> Canvas {
        precondition(!panels.isEmpty, "a grid needs at least one panel")
        let n = panels.count
        let cols = Swift.max(1, Swift.min(n, columns ?? (n <= 4 ? n : Int(Double(n).squareRoot().rounded(.up)))))
        let rows = (n + cols - 1) / cols
        let cellWidth = panels.map(\.canvas.width).max()!
        let hasTitles = panels.contains { !($0.title ?? "").isEmpty }
        let titleHeight = hasTitles ? BitmapFont.glyphHeight * titleScale + margin / 2 : 0
        let cellHeight = panels.map(\.canvas.height).max()! + titleHeight
        var out = Canvas(width: margin + cols * (cellWidth + margin), height: margin + rows * (cellHeight + margin),
                         background: background)
        for (i, panel) in panels.enumerated() {
            let left = margin + (i % cols) * (cellWidth + margin)
            let top = margin + (i / cols) * (cellHeight + margin)
            if let title = panel.title, !title.isEmpty {
                let textWidth = BitmapFont.width(of: title, scale: titleScale)
                out.drawText(
                    title, x: left + Swift.max(0, (panel.canvas.width - textWidth) / 2), y: top, scale: titleScale)
            }
            out.draw(panel.canvas, x: left, y: top + titleHeight)
        }
        return out
    }
}
