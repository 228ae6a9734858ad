import Foundation
import SculptAnalysis

/// The tables `sculpt analyze` prints for people.
enum AnalyzeTables {
    static func print(_ o: AnalyzeOutput) {
        let r = o.report
        let source = o.initialWeights ?? o.initialWeightsNote ?? "none"
        Swift.print("\(o.run): \(r.layers.count) weight layers; initial weights: \(source)")
        spectra(r)
        distances(r)
        if let p = r.projection { projection(p) }
        if let groups = r.units { units(groups, options: r.options) }
        tickets(r)
        for problem in r.problems { Swift.print("note: \(problem)") }
    }

    static func spectra(_ r: NetworkAnalysisReport) {
        Swift.print(
            "\nSpectra (ESD of W Wᵀ/N; conv: kH·kW slices pooled) and weight clustering (k = \(r.options.clusters))")
        Swift.print(
            pad([
                "layer", "shape", "alpha", "KS D", "tail/n", "‖W‖₂", "stable rank", "MP edge", "spikes",
                "angle med", "init med", "KS p",
            ]))
        for l in r.layers {
            guard let s = l.spectrum else {
                Swift.print(pad([l.name, "\(l.shape)"]) + "  " + l.problems.joined(separator: "; "))
                continue
            }
            let alpha = s.powerLaw.alpha.map { g($0) } ?? "null"
            Swift.print(
                pad([
                    l.name, "\(l.shape)", alpha, s.powerLaw.ksDistance.map { g($0) } ?? "-",
                    "\(s.powerLaw.tailCount)/\(s.powerLaw.searchedCount)", g(s.spectralNorm), g(s.stableRank),
                    g(s.marchenkoPasturEdge), "\(s.spikes)", l.clustering.map { g($0.trained.median) } ?? "-",
                    l.clustering?.initial.map { g($0.median) } ?? "-", l.clustering?.test.map { g($0.pValue) } ?? "-",
                ]))
        }
        for l in r.layers {
            if let s = l.spectrum, s.powerLaw.alpha == nil, let why = s.powerLaw.reason {
                Swift.print("  \(l.name): alpha null: \(why)")
            }
        }
    }

    static func distances(_ r: NetworkAnalysisReport) {
        if r.layers.contains(where: { $0.distance != nil }) {
            Swift.print("\nDistance from initialization (update W − W₀; conv as [O, I·kH·kW])")
            Swift.print(pad(["layer", "‖W−W₀‖_F", "relative", "σ₁(W−W₀)", "top-1 energy", "top-16 energy"]))
            for l in r.layers {
                if let d = l.distance {
                    let e16 = d.topEnergy.first { $0.k >= 16 } ?? d.topEnergy.last
                    Swift.print(
                        pad([
                            l.name, g(d.frobenius), d.relative.map { g($0) } ?? "-",
                            g(d.updateSingularValues.first ?? 0),
                            g(d.topEnergy.first?.fraction ?? 0), e16.map { "\(g($0.fraction)) (k \($0.k))" } ?? "-",
                        ]))
                }
            }
        }
    }

    static func projection(_ p: ProjectionTest) {
        do {
            Swift.print(
                "\nProjection test: trained loss \(g(p.trainedLoss)), "
                    + "accuracy \(p.trainedAccuracy.map { g($0) } ?? "-"); "
                    + "updates removed: loss \(g(p.initialLoss)), accuracy \(p.initialAccuracy.map { g($0) } ?? "-")")
            Swift.print(pad(["k", "test loss", "test accuracy", "max residual ‖·‖₂"]))
            for point in p.points {
                Swift.print(
                    pad([
                        "\(point.k)", g(point.testLoss), point.testAccuracy.map { g($0) } ?? "-",
                        g(point.residualSpectralNorms.values.max() ?? 0),
                    ]))
            }
        }
    }

    static func units(_ groups: [ActivationRedundancy], options: AnalysisOptions) {
        do {
            Swift.print(
                "\nUnits on data (activation groups: |r| >= \(g(options.correlationThreshold)); "
                    + "removable: ablation loss ratio <= 1 + \(g(options.lossTolerance)); "
                    + "weight-cosine groups from SculptSurgery)"
            )
            Swift.print(
                pad(["layer", "units", "repeated", "act. groups", "dead", "removable", "mean max |r|", "cosine groups"])
            )
            for u in groups {
                Swift.print(
                    pad([
                        u.layer, "\(u.units)", "\(u.repeatedCount)", "\(u.activationGroups.count)",
                        "\(u.constantUnits.count)",
                        "\(u.removable.count)", g(u.meanMaxAbsCorrelation),
                        "\(u.weightCosineGroups.filter { $0.count > 1 }.count)",
                    ]))
            }
        }
    }

    static func tickets(_ r: NetworkAnalysisReport) {
        if r.layers.contains(where: { $0.ticket != nil }) {
            Swift.print("\nLottery ticket survivors over units (null: uniformly random survivors)")
            Swift.print(pad(["layer", "survivors", "units", "chi² p", "Gini", "empty", "expected", "lift"]))
            for l in r.layers {
                if let t = l.ticket {
                    Swift.print(
                        pad([
                            l.name, "\(t.survivors)/\(t.units * t.weightsPerUnit)", "\(t.units)",
                            t.chiSquare.map { g($0.pValue) } ?? "-", g(t.gini), "\(t.emptyUnits)",
                            g(t.expectedEmptyUnits),
                            t.lift.map { g($0) } ?? "-",
                        ]))
                }
            }
        }
    }

    static func g(_ v: Double) -> String { String(format: "%.4g", v) }

    static func pad(_ cells: [String]) -> String {
        cells.enumerated().map { i, c in
            c.padding(toLength: Swift.max(c.count, i == 0 ? 18 : 12), withPad: " ", startingAt: 0)
        }
        .joined(separator: " ")
    }
}
