import Foundation
import SculptCore
import SculptVisual
import Testing

@testable import SculptAnalysis

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The analysis figures are SculptVisual figures: each test finds a datum in the rendered SVG at
/// the pixel the figure's own axes (`layout()`) give it.
@Suite struct AnalysisFiguresTests {
    /// The numbers of every `<path class="line">`'s `d`, as (x, y) pixel pairs.
    func linePixels(_ svg: String) -> [(x: Double, y: Double)] {
        var out: [(x: Double, y: Double)] = []
        for part in svg.components(separatedBy: "<path class=\"line\" d=\"").dropFirst() {
            let d = part.prefix { $0 != "\"" }
            let numbers = d.split(whereSeparator: { $0 == "M" || $0 == "L" || $0 == " " }).compactMap { Double($0) }
            for i in stride(from: 0, to: numbers.count - 1, by: 2) { out.append((numbers[i], numbers[i + 1])) }
        }
        return out
    }

    /// The value of `attribute` in every element that starts with `prefix` (e.g. `<rect class="bin"`).
    func attribute(_ attribute: String, of prefix: String, in svg: String) -> [Double] {
        svg.components(separatedBy: prefix).dropFirst().compactMap { part in
            let tag = part.prefix { $0 != ">" }
            guard let range = tag.range(of: " \(attribute)=\"") else { return nil }
            return Double(tag[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    func lands(_ pixel: (x: Double, y: Double)?, in pixels: [(x: Double, y: Double)]) -> Bool {
        guard let pixel else { return false }
        return pixels.contains { abs($0.x - pixel.x) <= 0.01 && abs($0.y - pixel.y) <= 0.01 }
    }

    @Test func theSpectrumsDensityFitAndEdgesLandWhereTheLogAxesSay() throws {
        var rng = RandomSource(seed: 5)
        let spectrum = try LayerSpectrum(name: "layers.1.weight", weight: Tensor.normal([120, 400], using: &rng))
        let figure = AnalysisFigures.spectrum(spectrum)
        #expect(figure.x.scale == .log && figure.y.scale == .log)
        let svg = figure.svg()
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        let layout = figure.layout()
        let pixels = linePixels(svg)
        // The first step of the ESD: the first bin's density at its left edge.
        let (edges, density) = AnalysisFigures.esdDensity(spectrum.eigenvalues)
        let i = try #require(density.firstIndex { $0 > 0 })
        #expect(lands(layout.pixel(x: edges[i], y: density[i]), in: pixels))
        // The density integrates to one over the bins.
        let mass = zip(density, zip(edges, edges.dropFirst())).map { $0 * ($1.1 - $1.0) }.reduce(0, +)
        #expect(abs(mass - 1) < 1e-9)
        // The Marchenko-Pastur edge's rule sits at its x pixel.
        let rules = attribute("x1", of: "<line class=\"rule\"", in: svg)
        let edge = try #require(layout.x.pixel(spectrum.marchenkoPasturEdge))
        #expect(rules.contains { abs($0 - edge) <= 0.01 })
        // A fitted power law starts at xmin with its density there.
        if let xmin = spectrum.powerLaw.xmin, let d = spectrum.powerLaw.density(at: xmin) {
            #expect(lands(layout.pixel(x: xmin, y: d), in: pixels))
        } else {
            #expect(figure.notes[0].contains("no power-law fit"))
        }
    }

    @Test func angleHistogramsPutEachBinsCountOverItsDegrees() throws {
        var rng = RandomSource(seed: 9)
        let trained = Tensor.normal([40, 8], using: &rng)
        let initial = Tensor.normal([40, 8], using: &rng)
        let clustering = try WeightClustering(name: "w", weight: trained, initial: initial, k: 3)
        let figure = AnalysisFigures.angles(clustering)
        let svg = figure.svg()
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        let layout = figure.layout()
        let bins = figure.marks.compactMap { mark -> HistogramMark? in
            if case .histogram(let h) = mark { h } else { nil }
        }
        #expect(bins.count == 2)
        #expect(bins[0].counts().counts.reduce(0, +) == 40 && bins[1].counts().counts.reduce(0, +) == 40)
        // The trained histogram's first non-empty bin: left at its lower edge, top at its count.
        let counts = bins[0].counts().counts
        let i = try #require(counts.firstIndex { $0 > 0 })
        let xs = attribute("x", of: "<rect class=\"bin\"", in: svg)
        let ys = attribute("y", of: "<rect class=\"bin\"", in: svg)
        let left = try #require(layout.x.pixel(bins[0].edges[i]))
        let top = try #require(layout.y.pixel(Double(counts[i])))
        #expect(zip(xs, ys).contains { abs($0 - left) <= 0.01 && abs($1 - top) <= 0.01 })
    }

    @Test func theProjectionTestPutsAccuracyOverKOnALogAxis() throws {
        let test = ProjectionTest(
            trainedLoss: 0.5, trainedAccuracy: 0.9, initialLoss: 2.3, initialAccuracy: 0.1,
            points: [1, 2, 4, 16, 64].map {
                ProjectionTest.Point(
                    k: $0, testLoss: 1, testAccuracy: 0.5 + 0.006 * Double($0), residualSpectralNorms: [:])
            })
        let figure = AnalysisFigures.projection(test)
        #expect(figure.x.scale == .log)
        let svg = figure.svg()
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        let layout = figure.layout()
        let pixels = linePixels(svg)
        for point in test.points {
            #expect(lands(layout.pixel(x: Double(point.k), y: point.testAccuracy!), in: pixels))
        }
        // Log spacing: 2 -> 4 is a third of 2 -> 16.
        let p2 = try #require(layout.x.pixel(2))
        let p4 = try #require(layout.x.pixel(4))
        let p16 = try #require(layout.x.pixel(16))
        #expect(abs((p4 - p2) * 3 - (p16 - p2)) <= 1e-6)
        // The trained accuracy's rule at y = 0.9.
        let trained = try #require(layout.y.pixel(0.9))
        #expect(attribute("y1", of: "<line class=\"rule\"", in: svg).contains { abs($0 - trained) <= 0.01 })
    }

    @Test func everyFigureOfAReportIsNamedAndRenders() throws {
        var rng = RandomSource(seed: 2)
        let spectrum = try LayerSpectrum(name: "layers.1.weight", weight: Tensor.normal([60, 100], using: &rng))
        let layer = LayerAnalysis(
            name: "layers.1.weight", shape: [60, 100], nonFiniteValues: 0, spectrum: spectrum, problems: [])
        let report = NetworkAnalysisReport(options: AnalysisOptions(), layers: [layer], problems: [])
        let figures = AnalysisFigures.all(report)
        #expect(figures.map(\.name) == ["esd-layers-1-weight.svg"])
        #expect(XMLParser(data: Data(figures[0].figure.svg().utf8)).parse())
    }
}
