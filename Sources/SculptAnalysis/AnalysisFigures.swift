#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The figures of an analysis, as (file name, SVG text): per layer the ESD histogram on log axes
/// with the fitted power law and the Marchenko-Pastur edge, and the angle histograms; the
/// projection test's accuracy over k.
public enum AnalysisFigures {
    public static func all(_ report: NetworkAnalysisReport) -> [(name: String, svg: String)] {
        var out: [(name: String, svg: String)] = []
        for layer in report.layers {
            let stem = layer.name.replacingDots()
            if let s = layer.spectrum, !s.eigenvalues.isEmpty { out.append(("esd-\(stem).svg", spectrum(s).render())) }
            if let c = layer.clustering, !c.trained.values.isEmpty {
                out.append(("angles-\(stem).svg", angles(c).render()))
            }
        }
        if let p = report.projection, !p.points.isEmpty { out.append(("projection-test.svg", projection(p).render())) }
        return out
    }

    /// ESD: density histogram over log-spaced bins, the fitted power law above xmin, the MP edge.
    public static func spectrum(_ s: LayerSpectrum) -> PlainSVGPlot {
        var plot = PlainSVGPlot(
            title: "ESD of \(s.name) (X = W Wᵀ / \(s.normalization))", xLabel: "eigenvalue λ of X",
            yLabel: "density", xLog: true, yLog: true)
        let positive = s.eigenvalues.filter { $0 > 0 }
        guard let lo = positive.first, let hi = positive.last else { return plot }
        let bins = 40
        let a = log10(lo)
        let b = Swift.max(log10(hi), a + 1e-6)
        let step: Double = (b - a) / Double(bins)
        let edges: [Double] = (0...bins).map { (i: Int) -> Double in pow(10.0, a + step * Double(i)) }
        var counts = [Double](repeating: 0, count: bins)
        for v in positive {
            let bin = Int((log10(v) - a) / step)
            counts[Swift.min(bins - 1, Swift.max(0, bin))] += 1
        }
        let total = Double(positive.count)
        let density: [Double] = (0..<bins).map { (i: Int) -> Double in counts[i] / (total * (edges[i + 1] - edges[i])) }
        plot.series.append(
            .init(
                label: "ESD (\(positive.count) eigenvalues)", kind: .steps, x: edges, y: density,
                colour: PlainSVGPlot.palette[0]))
        if let alpha = s.powerLaw.alpha, let xmin = s.powerLaw.xmin {
            let ratio: Double = hi / xmin
            let xs: [Double] = (0...20).map { (i: Int) -> Double in xmin * pow(ratio, Double(i) / 20) }
            plot.series.append(
                .init(
                    label: "power law α = \(round2(alpha))", kind: .line, x: xs,
                    y: xs.map { s.powerLaw.density(at: $0) ?? 0 }, colour: PlainSVGPlot.palette[1]))
        }
        plot.series.append(
            .init(
                label: "MP edge (\(s.spikes) spikes)", kind: .vertical, x: [s.marchenkoPasturEdge],
                colour: PlainSVGPlot.palette[2]))
        return plot
    }

    /// Histograms (fraction of units per 5° bin) of angles to the nearest k-means centre.
    public static func angles(_ c: WeightClustering) -> PlainSVGPlot {
        var plot = PlainSVGPlot(
            title: "\(c.name): angle to nearest of \(c.k) k-means centres", xLabel: "angle (degrees)",
            yLabel: "fraction of units")
        let all = c.trained.values + (c.initial?.values ?? [])
        let top = Swift.max(5, ((all.max() ?? 90) / 5).rounded(.up) * 5)
        let edges = stride(from: 0.0, through: top, by: 5).map { $0 }
        func histogram(_ v: [Double]) -> [Double] {
            var h = [Double](repeating: 0, count: edges.count - 1)
            for x in v { h[Swift.min(h.count - 1, Int(x / 5))] += 1 }
            return h.map { $0 / Double(Swift.max(v.count, 1)) }
        }
        plot.series.append(
            .init(
                label: "trained (median \(round2(c.trained.median))°)", kind: .steps, x: edges,
                y: histogram(c.trained.values), colour: PlainSVGPlot.palette[0]))
        if let i = c.initial {
            plot.series.append(
                .init(
                    label: "initial (median \(round2(i.median))°)", kind: .steps, x: edges,
                    y: histogram(i.values), colour: PlainSVGPlot.palette[1]))
        }
        return plot
    }

    /// Test accuracy (or loss) after projecting every update on its top k directions.
    public static func projection(_ p: ProjectionTest) -> PlainSVGPlot {
        let accuracy = p.trainedAccuracy != nil
        var plot = PlainSVGPlot(
            title: "Projection test: updates on their top-k left singular vectors",
            xLabel: "k (log scale)", yLabel: accuracy ? "test accuracy" : "test loss", xLog: true)
        let ks = p.points.map { Double($0.k) }
        let ys = p.points.map { accuracy ? ($0.testAccuracy ?? 0) : $0.testLoss }
        plot.series.append(.init(label: "projected", kind: .line, x: ks, y: ys, colour: PlainSVGPlot.palette[0]))
        let trained = accuracy ? p.trainedAccuracy ?? 0 : p.trainedLoss
        plot.series.append(
            .init(
                label: "trained", kind: .line, x: [ks.first ?? 1, ks.last ?? 1], y: [trained, trained],
                colour: PlainSVGPlot.palette[1]))
        return plot
    }

    static func round2(_ v: Double) -> String { String((v * 100).rounded() / 100) }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "-" : $0 }) }
}
