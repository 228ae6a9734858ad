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
        var table = TextTable(
            [
                "layer", "shape", "alpha", "KS D", "tail/n", "‖W‖₂", "stable rank", "MP edge", "spikes",
                "angle med", "init med", "KS p",
            ], leftAligned: 2)
        for l in r.layers {
            guard let s = l.spectrum else {
                table.append([l.name, "\(l.shape)"], note: l.problems.joined(separator: "; "))
                continue
            }
            let alpha = s.powerLaw.alpha.map { g($0) } ?? "null"
            table.append([
                l.name, "\(l.shape)", alpha, s.powerLaw.ksDistance.map { g($0) } ?? "-",
                "\(s.powerLaw.tailCount)/\(s.powerLaw.searchedCount)", g(s.spectralNorm), g(s.stableRank),
                g(s.marchenkoPasturEdge), "\(s.spikes)", l.clustering.map { g($0.trained.median) } ?? "-",
                l.clustering?.initial.map { g($0.median) } ?? "-", l.clustering?.test.map { g($0.pValue) } ?? "-",
            ])
        }
        Swift.print(table.text)
        for l in r.layers {
            if let s = l.spectrum, s.powerLaw.alpha == nil, let why = s.powerLaw.reason {
                Swift.print("  \(l.name): alpha null: \(why)")
            }
        }
    }

    static func distances(_ r: NetworkAnalysisReport) {
        if r.layers.contains(where: { $0.distance != nil }) {
            Swift.print("\nDistance from initialization (update W − W₀; conv as [O, I·kH·kW])")
            var table = TextTable(
                ["layer", "‖W−W₀‖_F", "relative", "σ₁(W−W₀)", "top-1 energy", "top-16 energy"],
                leftAligned: 1)
            for l in r.layers {
                if let d = l.distance {
                    let e16 = d.topEnergy.first { $0.k >= 16 } ?? d.topEnergy.last
                    table.append([
                        l.name, g(d.frobenius), d.relative.map { g($0) } ?? "-",
                        g(d.updateSingularValues.first ?? 0),
                        g(d.topEnergy.first?.fraction ?? 0), e16.map { "\(g($0.fraction)) (k \($0.k))" } ?? "-",
                    ])
                }
            }
            Swift.print(table.text)
        }
    }

    static func projection(_ p: ProjectionTest) {
        do {
            Swift.print(
                "\nProjection test: trained loss \(g(p.trainedLoss)), "
                    + "accuracy \(p.trainedAccuracy.map { g($0) } ?? "-"); "
                    + "updates removed: loss \(g(p.initialLoss)), accuracy \(p.initialAccuracy.map { g($0) } ?? "-")")
            var table = TextTable(["k", "test loss", "test accuracy", "max residual ‖·‖₂"], leftAligned: 1)
            for point in p.points {
                table.append([
                    "\(point.k)", g(point.testLoss), point.testAccuracy.map { g($0) } ?? "-",
                    g(point.residualSpectralNorms.values.max() ?? 0),
                ])
            }
            Swift.print(table.text)
        }
    }

    static func units(_ groups: [ActivationRedundancy], options: AnalysisOptions) {
        do {
            Swift.print(
                "\nUnits on data (activation groups: |r| >= \(g(options.correlationThreshold)); "
                    + "removable: ablation loss ratio <= 1 + \(g(options.lossTolerance)); "
                    + "weight-cosine groups from SculptSurgery)"
            )
            var table = TextTable(
                ["layer", "units", "repeated", "act. groups", "dead", "removable", "mean max |r|", "cosine groups"],
                leftAligned: 1)
            for u in groups {
                table.append([
                    u.layer, "\(u.units)", "\(u.repeatedCount)", "\(u.activationGroups.count)",
                    "\(u.constantUnits.count)", "\(u.removable.count)", g(u.meanMaxAbsCorrelation),
                    "\(u.weightCosineGroups.filter { $0.count > 1 }.count)",
                ])
            }
            Swift.print(table.text)
        }
    }

    static func tickets(_ r: NetworkAnalysisReport) {
        if r.layers.contains(where: { $0.ticket != nil }) {
            Swift.print("\nLottery ticket survivors over units (null: uniformly random survivors)")
            var table = TextTable(
                ["layer", "survivors", "units", "chi² p", "Gini", "empty", "expected", "lift"], leftAligned: 1)
            for l in r.layers {
                if let t = l.ticket {
                    table.append([
                        l.name, "\(t.survivors)/\(t.units * t.weightsPerUnit)", "\(t.units)",
                        t.chiSquare.map { g($0.pValue) } ?? "-", g(t.gini), "\(t.emptyUnits)",
                        g(t.expectedEmptyUnits), t.lift.map { g($0) } ?? "-",
                    ])
                }
            }
            Swift.print(table.text)
        }
    }

    static func g(_ v: Double) -> String { TextTable.number(v) }
}
