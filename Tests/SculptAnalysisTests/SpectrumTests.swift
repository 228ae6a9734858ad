import Foundation
import Testing
import SculptCore
@testable import SculptAnalysis

/// Inverse-CDF samples of a continuous power law with exponent `alpha` above `xmin`.
func paretoSamples(alpha: Double, xmin: Double, count: Int, seed: UInt64) -> [Double] {
    var rng = RandomSource(seed: seed)
    return (0..<count).map { _ in
        let u = (Double(rng.next() >> 11) + 0.5) / Double(1 << 53)
        return xmin * Foundation.pow(u, -1 / (alpha - 1))
    }
}

@Suite struct PowerLawFitTests {
    @Test(arguments: [2.5, 4.0])
    func recoversParetoExponent(alpha: Double) throws {
        let fit = PowerLawFit.fit(paretoSamples(alpha: alpha, xmin: 1, count: 10_000, seed: 7))
        let estimate = try #require(fit.alpha)
        #expect(abs(estimate - alpha) <= 0.05, "alpha \(estimate) for \(alpha)")
        #expect(fit.ksDistance! < 0.02)
    }

    @Test func findsTheTailOfAMixture() throws {
        // 5000 uniform values on [0.1, 1) below a Pareto(alpha 3) tail from xmin = 2.
        var rng = RandomSource(seed: 3)
        let body = (0..<5000).map { _ in 0.1 + 0.9 * Double(rng.next() >> 11) / Double(1 << 53) }
        let tail = paretoSamples(alpha: 3, xmin: 2, count: 5000, seed: 11)
        let fit = PowerLawFit.fit(body + tail)
        let xmin = try #require(fit.xmin)
        // The tail search leaves out the whole body and keeps most of the tail (the KS minimum
        // sits at 2.05 here: Clauset's xmin has sampling noise of its own).
        #expect(xmin >= 2 && xmin < 2.1, "xmin \(xmin)")
        #expect(fit.tailCount > 4500 && fit.tailCount <= 5000)
        #expect(abs(fit.alpha! - 3) < 0.1)
    }

    @Test func handComputedAlphaAndDistance() {
        // Tail fixed by hand: with xmin = 1 and samples 1, e, e^2 the MLE is 1 + 3 / (0 + 1 + 2) = 2.
        let logs = [0.0, 1, 2]
        let first: Double = abs(1.0 / 3 - (1 - exp(-1.0))), second: Double = abs(2.0 / 3 - (1 - exp(-2.0)))
        #expect(PowerLawFit.ksDistance(logs: logs, start: 0, alpha: 2) == max(0.0, first, second))
    }

    @Test func tooFewEigenvaluesGiveNoAlpha() {
        let fit = PowerLawFit.fit((1...49).map(Double.init))
        #expect(fit.alpha == nil)
        #expect(fit.reason?.contains("fewer than the 50") == true)
        #expect(PowerLawFit.fit([Double](repeating: 2, count: 60)).alpha == nil)
    }
}

@Suite struct LayerSpectrumTests {
    @Test func eigenvaluesMatchAnIndependentEigensolver() throws {
        var rng = RandomSource(seed: 5)
        let w = Tensor.normal([30, 80], std: 0.1, using: &rng)
        let spectrum = try LayerSpectrum(name: "w", weight: w)
        // X = W Wᵀ / N in Double, rounded once, through LAPACK's ssyevr (not the SVD).
        let x = Tensor(zeros: [30, 30])
        for i in 0..<30 {
            for j in 0..<30 {
                var s = 0.0
                for k in 0..<80 { s += Double(w.data[i * 80 + k]) * Double(w.data[j * 80 + k]) }
                x.data[i * 30 + j] = Float(s / 80)
            }
        }
        let reference = try x.symmetricEigen(lowest: 0, count: 30).values
        #expect(spectrum.eigenvalues.count == 30)
        for i in 0..<30 {
            let r = Double(reference.data[i])
            #expect(abs(spectrum.eigenvalues[i] - r) / r < 1e-5, "eigenvalue \(i): \(spectrum.eigenvalues[i]) vs \(r)")
        }
        let s = try w.singularValues()
        #expect(abs(spectrum.spectralNorm - Double(s.data[0])) == 0)
        let frobenius = (0..<w.count).reduce(0.0) { $0 + Double(w.data[$1]) * Double(w.data[$1]) }
        #expect(abs(spectrum.stableRank - frobenius / Double(s.data[0] * s.data[0])) / spectrum.stableRank < 1e-5)
        #expect(spectrum.normalization == 80)
    }

    @Test func convolutionPoolsTheKernelPositionSlices() throws {
        var rng = RandomSource(seed: 6)
        let w = Tensor.normal([8, 5, 3, 3], using: &rng)
        let spectrum = try LayerSpectrum(name: "conv", weight: w)
        #expect(spectrum.matrixCount == 9 && spectrum.matrixShape == [8, 5] && spectrum.normalization == 8)
        var expected: [Double] = []
        for p in 0..<9 {
            let slice = Tensor(zeros: [8, 5])
            for o in 0..<8 { for i in 0..<5 { slice.data[o * 5 + i] = w.data[((o * 5 + i) * 3 + p / 3) * 3 + p % 3] } }
            let s = try slice.singularValues()
            expected += (0..<5).map { Double(s.data[$0]) * Double(s.data[$0]) / 8 }
        }
        #expect(spectrum.eigenvalues == expected.sorted())
    }

    @Test func randomMatricesStayInsideTheMarchenkoPasturBulk() throws {
        var rng = RandomSource(seed: 8)
        let w = Tensor.normal([200, 400], std: 0.05, using: &rng)
        let spectrum = try LayerSpectrum(name: "w", weight: w)
        let edge: Double = 0.0025 * (1 + 0.5.squareRoot()) * (1 + 0.5.squareRoot())
        #expect(abs(spectrum.marchenkoPasturEdge - edge) / edge < 0.02)
        #expect(spectrum.spikes <= 1)
        // A rank-one signal far above the noise gives one spike.
        for i in 0..<200 { for j in 0..<400 { w.data[i * 400 + j] += 0.02 * Float(i % 2 == 0 ? 1 : -1) } }
        #expect(try LayerSpectrum(name: "w", weight: w).spikes >= 1)
    }

    @Test func nonFiniteWeightsThrowATypedErrorNamingTheLayer() {
        let w = Tensor([1, .nan, 3, .infinity], shape: [2, 2])
        #expect(throws: AnalysisError.nonFinite(name: "layers.0.weight", count: 2, total: 4)) {
            try LayerSpectrum(name: "layers.0.weight", weight: w)
        }
        #expect(throws: AnalysisError.self) { try LayerSpectrum(name: "b", weight: Tensor([1, 2])) }
    }
}
