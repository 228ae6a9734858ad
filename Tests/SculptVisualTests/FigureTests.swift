import Foundation
import SculptData
import Testing

@testable import SculptVisual

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses SVG with Foundation's XMLParser and keeps every element with its attributes and text.
final class SVGTree: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
        /// Names of the enclosing elements' `class` attributes, innermost last.
        var classes: [String]
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []
    private(set) var parsed = false

    init(_ svg: String) {
        super.init()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = self
        parsed = parser.parse()
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        let classes = open.compactMap { elements[$0].attributes["class"] }
        elements.append(Element(name: name, attributes: attributes, classes: classes))
        open.append(elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = open.last { elements[last].text += string }
    }

    func all(_ name: String, class className: String? = nil) -> [Element] {
        elements.filter { $0.name == name && (className == nil || $0.attributes["class"] == className) }
    }

    /// The pixel of each tick of an axis ("x" or "y"), by its value.
    func ticks(axis: String) -> [(value: Double, pixel: Double)] {
        var out: [(Double, Double)] = []
        for (i, e) in elements.enumerated()
        where e.name == "g" && e.attributes["class"] == "tick"
            && e.classes.last == "axis \(axis)"
        {
            let line = elements[i + 1]
            let pixel = Double(line.attributes[axis == "x" ? "x1" : "y1"] ?? "") ?? .nan
            out.append((Double(e.attributes["data-value"] ?? "") ?? .nan, pixel))
        }
        return out
    }
}

@Suite struct FigureTests {
    func number(_ e: SVGTree.Element, _ key: String) -> Double { Double(e.attributes[key] ?? "") ?? .nan }

    @Test func aPointLandsWhereTheLinearAxesPutIt() throws {
        let figure = Figure(
            title: "t", x: Axis(label: "epoch"), y: Axis(label: "loss", unit: "nats"),
            marks: [.scatter(ScatterMark(points: [PlotPoint(x: 3.5, y: 0.25), PlotPoint(x: 10, y: 1.5)]))])
        let tree = SVGTree(figure.svg())
        #expect(tree.parsed)
        let xTicks = tree.ticks(axis: "x")
        let yTicks = tree.ticks(axis: "y")
        #expect(xTicks.map(\.value) == [3, 4, 5, 6, 7, 8, 9, 10])
        #expect(yTicks.map(\.value) == [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6])
        let points = tree.all("circle", class: "point")
        #expect(points.count == 2)
        // x = 3.5 lies halfway between the ticks 3 and 4; x = 10 on the tick 10.
        let x3 = xTicks[0].pixel
        let x4 = xTicks[1].pixel
        let x10 = xTicks[7].pixel
        #expect(abs(number(points[0], "cx") - (x3 + x4) / 2) <= 0.01)
        #expect(abs(number(points[1], "cx") - x10) <= 0.01)
        // y = 0.25 lies a quarter of the way from 0.2 to 0.4 (upwards: smaller pixels); 1.5 halfway from 1.4 to 1.6.
        let y02 = yTicks[0].pixel
        let y04 = yTicks[1].pixel
        #expect(abs(number(points[0], "cy") - (y02 + 0.25 * (y04 - y02))) <= 0.01)
        #expect(y04 < y02)
        // And the layout the tests of other modules may use agrees with the drawing.
        let layout = figure.layout()
        let p = try #require(layout.pixel(x: 3.5, y: 0.25))
        #expect(abs(p.x - number(points[0], "cx")) <= 0.01 && abs(p.y - number(points[0], "cy")) <= 0.01)
    }

    @Test func aPointLandsWhereTheLogAxisPutsIt() {
        let figure = Figure(
            x: Axis(label: "fraction of weights remaining", scale: .log),
            y: Axis(label: "accuracy", domain: 0...1),
            marks: [
                .scatter(
                    ScatterMark(points: [
                        PlotPoint(x: 0.01, y: 0.5), PlotPoint(x: 10.0.squareRoot() / 10, y: 1),
                        PlotPoint(x: 1, y: 0),
                    ]))
            ])
        let tree = SVGTree(figure.svg())
        #expect(tree.parsed)
        let ticks = tree.ticks(axis: "x")
        #expect(ticks.map(\.value) == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1])
        let pixel = Dictionary(uniqueKeysWithValues: ticks.map { ($0.value, $0.pixel) })
        let points = tree.all("circle", class: "point")
        #expect(points.count == 3)
        #expect(abs(number(points[0], "cx") - pixel[0.01]!) <= 0.01)
        #expect(abs(number(points[2], "cx") - pixel[1]!) <= 0.01)
        // sqrt(10)/10 is half a decade above 0.1: halfway between the ticks 0.1 and 1.
        #expect(abs(number(points[1], "cx") - (pixel[0.1]! + pixel[1]!) / 2) <= 0.01)
        // 0.2 sits log10(2) of a decade above 0.1.
        #expect(abs(pixel[0.2]! - (pixel[0.1]! + log10(2) * (pixel[1]! - pixel[0.1]!))) <= 0.01)
        // A fixed domain is kept: y = 1 is the top of the frame, y = 0 its bottom.
        let frame = tree.all("rect", class: "frame")[0]
        #expect(abs(number(points[1], "cy") - number(frame, "y")) <= 0.01)
        #expect(abs(number(points[2], "cy") - (number(frame, "y") + number(frame, "height"))) <= 0.01)
    }

    @Test func nonFiniteAndNonPositiveValuesAreDroppedAndCounted() {
        let figure = Figure(
            x: Axis(label: "x", scale: .log), y: Axis(label: "y"),
            marks: [.line(LineMark(name: "a", x: [1, 2, .nan, 4, 0, -1, 8], y: [1, .infinity, 3, 4, 5, 6, 7]))])
        let svg = figure.svg()
        let tree = SVGTree(svg)
        #expect(tree.parsed)
        let notes = tree.all("text", class: "note").map(\.text)
        #expect(notes == ["2 non-finite values (NaN or infinite) dropped", "2 values <= 0 dropped (log scale)"])
        // The line breaks at each dropped point: M at 1, M at 4 (after NaN), L to 8 skipped past 0 and -1 -> new M.
        let d = tree.all("path", class: "line")[0].attributes["d"] ?? ""
        #expect(d.filter { $0 == "M" }.count == 3 && d.filter { $0 == "L" }.count == 0)
    }

    @Test func aFigureWithoutDataSaysSoInsteadOfDrawingEmptyAxes() {
        let figure = Figure(
            title: "Fig. 8", x: Axis(label: "sides"), y: Axis(label: "trials"),
            marks: [.histogram(HistogramMark(values: [.nan], edges: [0, 1]))],
            emptyMessage: "no finished trials yet")
        let tree = SVGTree(figure.svg())
        #expect(tree.parsed)
        #expect(tree.all("text", class: "empty-message").map(\.text) == ["no finished trials yet"])
        #expect(tree.ticks(axis: "x").isEmpty && tree.all("rect", class: "frame").isEmpty)
        #expect(tree.all("text", class: "note").map(\.text) == ["1 non-finite value (NaN or infinite) dropped"])
    }

    @Test func everyKindOfMarkRendersAsWellFormedSVG() throws {
        let png = try PNG.encode(gray: [0, 128, 255, 64], width: 2, height: 2)
        let band = BandMark(
            name: "mean ± 95% CI & <more>", samples: [(1, [1, 2, 3]), (2, [2, 3, 4]), (3, [])], spread: .confidence95)
        let figures = [
            Figure(
                title: "bands \"quoted\"", x: Axis(label: "x"), y: Axis(label: "y"),
                marks: [
                    .band(band), .rule(RuleMark(.vertical, at: 1.5, label: "expand fc1")),
                    .rule(RuleMark(.horizontal, at: 2, label: "paper", name: "paper")),
                ]),
            Figure(
                x: Axis(label: "variant", categories: ["R = 0", "R = 1", "a very long category name indeed"]),
                y: Axis(label: "sides", includesZero: true),
                marks: [
                    .bars(BarMark(name: "ours", values: [3, 4, .nan], errors: [0.5, 1, 1])),
                    .bars(BarMark(name: "paper", values: [3.5, 4.2, 5])),
                ], legend: .bottom),
            Figure(
                x: Axis(label: "sides"), y: Axis(label: "trials"),
                marks: [
                    .histogram(
                        HistogramMark(name: "R = 0", values: [3, 4, 4, 5, 9], edges: HistogramMark.integerEdges(3, 6))),
                    .histogram(
                        HistogramMark(name: "R = 5", values: [4, 5, 5], edges: HistogramMark.integerEdges(3, 6))),
                ]),
            Figure(
                x: Axis(label: "unit", categories: ["0", "1", "2"]),
                y: Axis(label: "layer", categories: ["fc1", "fc2"]),
                marks: [.heatmap(HeatmapMark(values: [[0, 1, 2], [3, .nan, 5]], label: "score"))]),
            Figure(
                x: Axis(label: "x"), y: Axis(label: "y"),
                marks: [
                    .image(ImageMark(png: png, x: -0.5...0.5, y: -0.5...0.5)),
                    .line(LineMark(x: [-0.5, 0.5], y: [-0.5, 0.5], color: .palette(1))),
                ], legend: .none),
        ]
        for figure in figures {
            let svg = figure.svg()
            let tree = SVGTree(svg)
            #expect(tree.parsed, "not well-formed: \(svg.prefix(300))")
            #expect(!svg.contains("<script") && !svg.contains("http://www.w3.org/1999/xlink"))
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        }
        let bars = SVGTree(figures[1].svg())
        #expect(bars.all("rect", class: "bar").count == 5)  // the NaN bar is left out (and noted)
        #expect(bars.all("path", class: "error").count == 2)
        #expect(bars.all("text", class: "note").map(\.text) == ["1 non-finite value (NaN or infinite) dropped"])
        let histogram = SVGTree(figures[2].svg())
        #expect(histogram.all("rect", class: "bin").count == 5)
        #expect(histogram.all("text", class: "note").map(\.text) == ["1 value outside the histogram's bins left out"])
        #expect(SVGTree(figures[3].svg()).all("rect", class: "cell").count == 6)
        #expect(
            SVGTree(figures[4].svg()).all("image").first?.attributes["href"]?.hasPrefix("data:image/png;base64,iVBOR")
                == true)
    }

    @Test func barsOfTwoMarksSitSideBySideInTheirCategory() {
        let figure = Figure(
            x: Axis(label: "method", categories: ["a", "b"]), y: Axis(label: "accuracy", includesZero: true),
            marks: [.bars(BarMark(name: "ours", values: [1, 2])), .bars(BarMark(name: "paper", values: [2, 4]))])
        let tree = SVGTree(figure.svg())
        let bars = tree.all("rect", class: "bar")
        let ticks = tree.ticks(axis: "x")
        #expect(bars.count == 4)
        // Category a's bars: "ours" ends where "paper" starts, at the category's tick.
        #expect(abs(number(bars[0], "x") + number(bars[0], "width") - ticks[0].pixel) <= 0.02)
        #expect(abs(number(bars[2], "x") - ticks[0].pixel) <= 0.02)
        // Heights are proportional to the values (zero baseline).
        #expect(abs(number(bars[3], "height") - 2 * number(bars[1], "height")) <= 0.02)
    }

    @Test func niceTicksUseStepsOfOneTwoOrFive() {
        #expect(NiceTicks.linear(0.13, 0.87).values == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
        #expect(NiceTicks.linear(0, 37).values == [0, 5, 10, 15, 20, 25, 30, 35, 40])
        #expect(NiceTicks.linear(-3, 3).labels == ["-3", "-2", "-1", "0", "1", "2", "3"])
        #expect(NiceTicks.linear(5, 5).domain.contains(5))
        #expect(NiceTicks.log(0.003, 1).values == [0.001, 0.01, 0.1, 1])
        #expect(NiceTicks.log(1e-9, 1e9).values.count <= 10)
        #expect(
            NiceTicks.label(0.0001, step: 0.0001) == "1e-4" && NiceTicks.label(2_500_000, step: 500_000) == "2.5e6"
                && NiceTicks.label(250_000, step: 50_000) == "250000")
    }

    @Test func bandsSummarizeSamplesByMeanAndSpread() throws {
        let band = BandMark(samples: [(2, [1, 2, 3]), (1, [5])], spread: .confidence95)
        #expect(band.x == [1, 2] && band.center == [5, 2])
        #expect(band.lower[0] == 5 && band.upper[0] == 5)
        // sd of 1, 2, 3 is 1; t(0.975, 2) = 4.303; half-width 4.303 / sqrt(3).
        #expect(abs(band.upper[1] - (2 + 4.303 / 3.0.squareRoot())) < 1e-9)
        let sd = BandMark(samples: [(0, [1, 2, 3, .nan])], spread: .standardDeviation)
        #expect(sd.lower == [1] && sd.upper == [3])
        #expect(try #require(SampleSummary([2, 4])).confidence95 == 12.706 * 2.0.squareRoot() / 2.0.squareRoot())
    }

    @Test func okabeItoColoursGoToUncolouredSeriesInOrder() {
        let figure = Figure(
            x: Axis(label: "x"), y: Axis(label: "y"),
            marks: [
                .line(LineMark(name: "a", x: [0, 1], y: [0, 1])), .line(LineMark(name: "b", x: [0, 1], y: [1, 0])),
                .line(LineMark(name: "c", x: [0, 1], y: [1, 1], color: .black)),
            ])
        let strokes = SVGTree(figure.svg()).all("path", class: "line").map { $0.attributes["stroke"] ?? "" }
        #expect(strokes == ["#0072B2", "#D55E00", "#000000"])
        #expect(PlotColor(RGBColor(red: 0, green: 114, blue: 178)) == PlotColor.okabeIto[0])
    }
}
