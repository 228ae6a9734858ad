extension ExperimentTable {
    /// The header and body cells, with `n` (and `failed` when any trial failed) after the label.
    private var grid: (header: [String], body: [[String]], showsFailed: Bool) {
        let showsFailed = rows.contains { $0.failed > 0 }
        var header = [rowHeader, "n"]
        if showsFailed { header.append("failed") }
        header += columns.map(\.title)
        let body = rows.map { row in
            [row.label, String(row.n)] + (showsFailed ? [String(row.failed)] : []) + row.cells.map(\.text)
        }
        return (header, body, showsFailed)
    }

    /// Aligned text for a terminal: the title, a header, a rule, one line per row; the label
    /// column left-aligned, the others right-aligned; then one line per comparison.
    public var text: String {
        let (header, body, _) = grid
        let widths = header.indices.map { i in ([header] + body).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var lines = [title] + (protocolNote.map { ["Protocol: " + $0] } ?? [])
        lines += [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += body.map(line)
        lines += comparisons.map(\.text)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table under a bold title (for READMEs), then the comparisons as a list.
    public var markdown: String {
        let (header, body, _) = grid
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |"
        }
        var lines = ["**\(title)**", ""] + (protocolNote.map { ["Protocol: \($0)", ""] } ?? [])
        lines += [line(header), "|" + header.indices.map { $0 == 0 ? "---|" : "---:|" }.joined()]
        lines += body.map(line)
        if !comparisons.isEmpty {
            lines.append("")  // a line right under a table would be read as one more row
            lines += comparisons.map { "- " + $0.text }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

import Foundation
