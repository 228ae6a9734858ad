/// Mean, sample standard deviation and 95% confidence half-width of a sample (non-finite values
/// left out), for the bands and error bars of figures.
public struct SampleSummary: Equatable, Sendable {
    public var count: Int
    public var mean: Double
    /// Sample standard deviation (divisor n - 1); 0 for a single value.
    public var standardDeviation: Double
    /// Half-width of the 95% confidence interval of the mean, t(0.975, n - 1) * sd / sqrt(n); 0 for one value.
    public var confidence95: Double

    /// Nil when no value is finite.
    public init?(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else { return nil }
        count = finite.count
        mean = finite.reduce(0, +) / Double(count)
        let m = mean
        let squares = finite.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        standardDeviation = count > 1 ? (squares / Double(count - 1)).squareRoot() : 0
        confidence95 =
            count > 1
            ? Self.studentT975(degreesOfFreedom: count - 1) * standardDeviation / Double(count).squareRoot() : 0
    }

    /// The 97.5% quantile of Student's t distribution (two-sided 95%), tabulated to 30 degrees
    /// of freedom, then 1.96 + 2.4 / df (within 0.003 of the exact value).
    public static func studentT975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "degrees of freedom must be positive")
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
            2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
            2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        return df <= table.count ? table[df - 1] : 1.96 + 2.4 / Double(df)
    }
}
