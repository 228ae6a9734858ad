import Foundation
import SculptVisual

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The figures of an analysis as SculptVisual `Figure`s (file name, figure): per layer the ESD
/// on log axes with the fitted power law and the Marchenko-Pastur edge, and the angle histograms
/// trained against initial; the projection test's accuracy (or loss) over k.
public enum AnalysisFigures {
    public static func all(_ report: NetworkAnalysisReport) -> [(name: String, figure: Figure)] {
        var out: [(name: String, figure: Figure)] = []
        for layer in report.layers {
            let stem = String(layer.name.map { $0 == "." ? "-" : $0 })
            if let s = layer.spectrum, !s.eigenvalues.isEmpty { out.append(("esd-\(stem).svg", spectrum(s))) }
            if let c = layer.clustering, !c.trained.values.isEmpty { out.append(("angles-\(stem).svg", angles(c))) }
        }
        if let p = report.projection, !p.points.isEmpty { out.append(("projection-test.svg", projection(p))) }
        return out
    }

    /// Log-spaced bins of the positive eigenvalues: edges and density (count / (all positive · width));
    /// 2√n bins, 5 to 40, so a small ESD is not scattered over mostly empty bins.
    static func esdDensity(_ eigenvalues: [Double]) -> (edges: [Double], density: [Double]) {
        let positive = eigenvalues.filter { $0 > 0 && $0.isFinite }.sorted()
        guard let lo = positive.first, let hi = positive.last else { return ([], []) }
        let bins = Swift.min(40, Swift.max(5, Int(2 * Double(positive.count).squareRoot())))
        let a = log10(lo)
        let step = Swift.max(log10(hi) - a, 1e-6) / Double(bins)
        let edges = (0...bins).map { pow(10.0, a + step * Double($0)) }
        var counts = [Double](repeating: 0, count: bins)
        for v in positive { counts[Swift.min(bins - 1, Swift.max(0, Int((log10(v) - a) / step)))] += 1 }
        let total = Double(positive.count)
        return (edges, (0..<bins).map { counts[$0] / (total * (edges[$0 + 1] - edges[$0])) })
    }

    /// ESD of X = W Wᵀ / N as a step density on log-log axes (empty bins leave gaps), the fitted
    /// power law from xmin (dashed), xmin and the Marchenko-Pastur bulk edge as vertical rules.
    public static func spectrum(_ s: LayerSpectrum) -> Figure {
        var figure = Figure(
            title: "ESD of \(s.name): X = W Wᵀ / \(s.normalization)",
            x: Axis(label: "eigenvalue λ of X", scale: .log),
            y: Axis(label: "density", unit: "per unit λ", scale: .log),
            emptyMessage: "no positive eigenvalues")
        let (edges, density) = esdDensity(s.eigenvalues)
        let count = s.eigenvalues.filter { $0 > 0 && $0.isFinite }.count
        var segment: [PlotPoint] = []
        var named = false
        func flush() {
            guard !segment.isEmpty else { return }
            figure.marks.append(
                .line(LineMark(name: named ? nil : "ESD (\(count) eigenvalues)", points: segment, color: .palette(0))))
            named = true
            segment = []
        }
        for (i, d) in density.enumerated() {
            guard d > 0 else {
                flush()
                continue
            }
            segment += [PlotPoint(x: edges[i], y: d), PlotPoint(x: edges[i + 1], y: d)]
        }
        flush()
        if let alpha = s.powerLaw.alpha, let xmin = s.powerLaw.xmin, let hi = edges.last, hi > xmin {
            let xs = (0...24).map { xmin * pow(hi / xmin, Double($0) / 24) }
            figure.marks.append(
                .line(
                    LineMark(
                        name: "power law, α = \(fixed(alpha, 2))", x: xs,
                        y: xs.map { s.powerLaw.density(at: $0) ?? .nan }, color: .palette(1), dashed: true)))
            figure.marks.append(.rule(RuleMark(.vertical, at: xmin, label: "xmin", color: .palette(1))))
        }
        if s.marchenkoPasturEdge > 0 {
            figure.marks.append(
                .rule(
                    RuleMark(
                        .vertical, at: s.marchenkoPasturEdge, label: "MP edge",
                        name: "MP edge (\(s.spikes) spikes above)", color: .palette(2))))
        }
        figure.notes = [spectrumNote(s)]
        return figure
    }

    static func spectrumNote(_ s: LayerSpectrum) -> String {
        let shape = s.matrixCount > 1 ? "\(s.matrixCount) slices of \(s.matrixShape)" : "\(s.matrixShape)"
        guard let alpha = s.powerLaw.alpha else {
            return "\(shape): no power-law fit (\(s.powerLaw.reason ?? "no tail"))"
        }
        return "\(shape): α = \(fixed(alpha, 3)), KS distance \(fixed(s.powerLaw.ksDistance ?? .nan, 3)), "
            + "\(s.powerLaw.tailCount) of \(s.powerLaw.searchedCount) eigenvalues in the tail; "
            + "stable rank \(fixed(s.stableRank, 1)), spectral norm \(fixed(s.spectralNorm, 3))"
    }

    /// Histograms of the units' angles to their nearest k-means centre (5° bins), trained and initial.
    public static func angles(_ c: WeightClustering) -> Figure {
        var figure = Figure(
            title: "\(c.name): angle to the nearest of \(c.k) k-means centres",
            x: Axis(label: "angle to the nearest centre", unit: "degrees"),
            y: Axis(label: "units", includesZero: true, integerTicks: true), emptyMessage: "no unit vectors")
        let all = (c.trained.values + (c.initial?.values ?? [])).filter(\.isFinite)
        let top = Swift.max(5, ((all.max() ?? 90) / 5).rounded(.up) * 5)
        let edges = Array(stride(from: 0.0, through: top, by: 5))
        figure.marks.append(
            .histogram(
                HistogramMark(
                    name: "trained (median \(fixed(c.trained.median, 1))°)", values: c.trained.values, edges: edges,
                    color: .palette(0))))
        if let i = c.initial {
            figure.marks.append(
                .histogram(
                    HistogramMark(
                        name: "initial (median \(fixed(i.median, 1))°)", values: i.values, edges: edges,
                        color: .palette(1))))
        }
        var note = "\(c.units) units, \(c.k) centres each (trained and initial clustered separately)"
        if let t = c.test {
            note += "; two-sample KS D = \(fixed(t.statistic, 3)), p \(pValue(t.pValue))"
        }
        figure.notes = [note]
        return figure
    }

    /// Test accuracy (or loss, without labels) after projecting every update on its top-k left
    /// singular vectors, against k on a log axis; the trained and initial networks as rules.
    public static func projection(_ p: ProjectionTest) -> Figure {
        let accuracy = p.trainedAccuracy != nil
        var figure = Figure(
            title: "Projection test: each update W − W₀ on its top-k left singular vectors",
            x: Axis(label: "k (directions kept per layer)", scale: .log),
            y: accuracy ? Axis(label: "test accuracy", unit: "fraction") : Axis(label: "test loss", unit: "nats"),
            emptyMessage: "no projection points")
        let ks = p.points.map { Double($0.k) }
        let ys = p.points.map { accuracy ? ($0.testAccuracy ?? .nan) : $0.testLoss }
        figure.marks.append(.line(LineMark(name: "projected updates", x: ks, y: ys, color: .palette(0), markers: true)))
        let trained = accuracy ? p.trainedAccuracy ?? .nan : p.trainedLoss
        let initial = accuracy ? p.initialAccuracy ?? .nan : p.initialLoss
        figure.marks.append(
            .rule(RuleMark(.horizontal, at: trained, label: "trained", name: "trained network", color: .palette(1))))
        figure.marks.append(
            .rule(
                RuleMark(
                    .horizontal, at: initial, label: "k = 0", name: "initial weights, trained biases",
                    color: .gray)))
        figure.notes = [
            "k = full is the trained network up to float32 rounding; biases and BatchNorm keep their trained values"
        ]
        return figure
    }

    static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

    /// "< 0.001" or "= 0.123".
    static func pValue(_ p: Double) -> String { p < 0.001 ? "< 0.001" : "= " + fixed(p, 3) }
}
