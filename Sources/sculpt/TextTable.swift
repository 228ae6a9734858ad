import Foundation

/// A table printed for people: every column as wide as its widest cell, header included, so rows
/// line up whatever their contents (a conv shape, a long layer path). The first `leftAligned`
/// columns (names, shapes) are left-aligned and the rest right-aligned, as pandas prints numbers;
/// by default every column is left-aligned. A row may carry a `note`, printed after its cells
/// and not counted in any width (a layer's reason for having no figures).
struct TextTable {
    let header: [String]
    let leftAligned: Int
    private var rows: [(cells: [String], note: String?)] = []

    init(_ header: [String], leftAligned: Int? = nil) {
        self.header = header
        self.leftAligned = leftAligned ?? header.count
    }

    /// Appends a row; fewer cells than the header leave the rest blank, more are an error.
    mutating func append(_ cells: [String], note: String? = nil) {
        precondition(cells.count <= header.count, "a row of \(cells.count) cells in a table of \(header.count)")
        rows.append((cells, note))
    }

    /// A number's cell: four significant digits (printf's %.4g), as every table here prints them.
    static func number<F: BinaryFloatingPoint>(_ v: F) -> String { String(format: "%.4g", Double(v)) }

    /// The lines: the header, then each row, with two spaces between columns and no trailing blanks.
    var lines: [String] {
        let widths = header.indices.map { c in
            ([header] + rows.map(\.cells)).map { c < $0.count ? $0[c].count : 0 }.max() ?? 0
        }
        func line(_ cells: [String], note: String?) -> String {
            var text = widths.indices.map { c -> String in
                let cell = c < cells.count ? cells[c] : ""
                let fill = String(repeating: " ", count: widths[c] - cell.count)
                return c >= leftAligned ? fill + cell : cell + fill
            }.joined(separator: "  ")
            if let note { text += "  " + note }
            while text.last == " " { text.removeLast() }
            return text
        }
        return [line(header, note: nil)] + rows.map { line($0.cells, note: $0.note) }
    }

    var text: String { lines.joined(separator: "\n") }
}
