import SculptRecipes

/// The data of the paper's Figures 1 and 3 from finished `partial-training` trials: mean test
/// accuracy per fraction learned, fixed and zeroed side by side, and for each the log-linear
/// fit of accuracy against the log of the fraction of learned parameters.
public struct PartialTrainingFigure: Sendable, Encodable {
    /// One fraction p (the `fraction` metric) with both rest policies.
    public struct Row: Sendable, Encodable {
        public var fraction: Double
        public var fixedAccuracy: Double?
        public var zeroedAccuracy: Double?
        /// Mean `learnedFraction` (share of all parameters that learned) of the row's trials.
        public var learnedFraction: Double?
        public var trials: Int
    }

    public var rows: [Row]
    /// accuracy = slope * ln(learnedFraction) + intercept over the fixed trials (per trial).
    public var fixedFit: LogLinearFit?
    /// The same over the zeroed trials.
    public var zeroedFit: LogLinearFit?

    /// Builds the figure from `records` (only done trials with a finite `fraction` count).
    public init(records: [TrialRecord]) {
        let done = records.filter { $0.status == .done && ($0.metrics["fraction"]?.isFinite ?? false) }
        func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
        let fractions = Set(done.compactMap { $0.metrics["fraction"] }).sorted()
        rows = fractions.map { p in
            let at = done.filter { $0.metrics["fraction"] == p }
            let fixed = at.filter { $0.metrics["zeroed"] != 1 }.compactMap { $0.metrics["accuracy"] }
            let zeroed = at.filter { $0.metrics["zeroed"] == 1 }.compactMap { $0.metrics["accuracy"] }
            return Row(fraction: p, fixedAccuracy: mean(fixed), zeroedAccuracy: mean(zeroed),
                       learnedFraction: mean(at.compactMap { $0.metrics["learnedFraction"] }), trials: at.count)
        }
        func fit(zeroed: Bool) -> LogLinearFit? {
            LogLinearFit(done.filter { ($0.metrics["zeroed"] == 1) == zeroed }.compactMap { r in
                guard let x = r.metrics["learnedFraction"], let y = r.metrics["accuracy"] else { return nil }
                return (x, y)
            })
        }
        fixedFit = fit(zeroed: false)
        zeroedFit = fit(zeroed: true)
    }

    /// The figure's data as a Markdown table followed by the two fits.
    public var markdown: String {
        func cell(_ x: Double?, _ digits: Int = 4) -> String { x.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var out =
            "| p (filters learned) | learned fraction of parameters | accuracy, rest fixed | accuracy, rest zeroed | n |\n"
        out += "|---|---|---|---|---|\n"
        for r in rows {
            out +=
                "| \(cell(r.fraction, 2)) | \(cell(r.learnedFraction)) | \(cell(r.fixedAccuracy)) | \(cell(r.zeroedAccuracy)) | \(r.trials) |\n"
        }
        for (name, fit) in [("fixed", fixedFit), ("zeroed", zeroedFit)] {
            if let fit {
                out +=
                    "\nfit (\(name)): accuracy = \(cell(fit.slope)) * ln(learned fraction) + \(cell(fit.intercept)), "
                    + "R^2 = \(cell(fit.rSquared, 3)), \(fit.points) trials\n"
            } else {
                out += "\nfit (\(name)): fewer than two distinct fractions\n"
            }
        }
        return out
    }
}

#if canImport(Foundation)
import Foundation
#endif
