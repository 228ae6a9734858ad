import Foundation
import SculptCore
import SculptExperiments

/// A trial kind for the experiment tests: adds two numbers, reports its seed and its BLAS
/// thread setting, and can sleep, fail (until a file exists) or crash on demand.
public struct ArithmeticTrial: TrialKind {
    public init() {}

    public var name: String { "arithmetic" }

    /// The catalog the tests and the fixture executable use.
    public static let catalog = TrialKindCatalog([ArithmeticTrial()])

    struct Config {
        var a: Double
        var b: Double
        var sleepSeconds: Double
        var failUnlessFileExists: String?
        var crash: Bool
    }

    func read(_ config: JSONValue) throws -> Config {
        let r = try ConfigReader(config)
        let c = Config(a: try r.double("a"), b: try r.double("b", default: 0),
                       sleepSeconds: try r.double("sleepSeconds", default: 0, range: 0...10),
            failUnlessFileExists: r.contains("failUnlessFileExists") ? try r.string("failUnlessFileExists") : nil,
                       crash: try r.bool("crash", default: false))
        try r.finish()
        return c
    }

    public func validate(config: JSONValue) throws { _ = try read(config) }

    public func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        let c = try read(config)
        if c.sleepSeconds > 0 { usleep(UInt32(c.sleepSeconds * 1e6)) }
        if c.crash { abort() }
        if let path = c.failUnlessFileExists, !FileManager.default.fileExists(atPath: path) {
            throw TrialFailure("marker file \(path) is missing")
        }
        var rng = RandomSource(seed: seed)
        let blasThreads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Double.init) ?? -1
        return TrialResult(metrics: ["sum": c.a + c.b, "noise": Double(rng.unitFloat()), "seedLow": Double(seed % 1000),
                                     "blasThreads": blasThreads, "pid": Double(getpid())],
                           details: .object(["note": .string("a + b")]))
    }
}
