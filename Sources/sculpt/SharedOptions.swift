import ArgumentParser
import Foundation
import SculptCore
import SculptExperiments

/// The data flags every training command shares: `--data` and the sample limits.
///
/// `--train-limit` / `--test-limit` replace lottery's `--training-samples` / `--test-samples`,
/// which still work (hidden) and say so once.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("fashion-mnist[:DIR], mnist:DIR, cifar10:DIR, cifar100:DIR or cifar100-coarse:DIR "
                + "(default fashion-mnist)."))
    var data: String?
    @Option(name: .customLong("train-limit"),
            help: "Train on the first N training samples only (0 = all, the default).")
    var trainLimitValue: Int?
    @Option(name: .customLong("test-limit"), help: ArgumentHelp(Self.testLimitHelp))
    var testLimitValue: Int?
    @Option(name: .customLong("training-samples"), help: .hidden)
    var trainingSamples: Int?
    @Option(name: .customLong("test-samples"), help: .hidden)
    var testSamples: Int?

    /// `--data`, else `fallback`.
    func data(default fallback: String) -> String { data ?? fallback }

    /// `--train-limit` (or its old name), 0 when absent; refuses a negative one.
    func trainLimit() throws -> Int { try limit(trainLimitValue, "--train-limit", old: trainingSamples,
                                                "--training-samples") }

    /// `--test-limit` (or its old name), 0 when absent; refuses a negative one.
    func testLimit() throws -> Int { try limit(testLimitValue, "--test-limit", old: testSamples, "--test-samples") }

    private func limit(_ value: Int?, _ flag: String, old: Int?, _ oldFlag: String) throws -> Int {
        if value != nil && old != nil { throw UsageError("\(oldFlag) is the old name of \(flag): give one of them") }
        if old != nil { Self.warnOnce("\(oldFlag) is deprecated: use \(flag) (same meaning)") }
        return try Self.checkedLimit(value ?? old ?? 0, value != nil ? flag : oldFlag)
    }

    /// `--test-limit`'s help (`eval` takes the flag alone, without the rest of the group).
    static let testLimitHelp = "Evaluate on the first N test samples only (0 = all, the default)."

    /// A sample limit `n` given as `flag`: refused when negative (0 means all samples).
    static func checkedLimit(_ n: Int, _ flag: String) throws -> Int {
        guard n >= 0 else { throw UsageError("\(flag) must be >= 0, got \(n)") }
        return n
    }

    nonisolated(unsafe) private static var warned: Set<String> = []

    /// Writes `line` to stderr the first time it comes.
    static func warnOnce(_ line: String) {
        guard warned.insert(line).inserted else { return }
        FileHandle.standardError.write(Data(("sculpt: warning: " + line + "\n").utf8))
    }
}

/// The optimizer flags every training command shares; each command states its defaults.
struct OptimizerOptions: ParsableArguments {
    @Option(help: "Mini-batch size (default: train, schedule, partial 128; restart 64; lottery 60).")
    var batch: Int?
    @Option(help: "Learning rate (default: 0.01 for SGD, 0.001 for adam; lottery 1.2e-3).")
    var lr: Float?
    @Option(help: "SGD momentum (default: partial, restart 0.9; train, schedule, lottery 0).")
    var momentum: Float?
    @Option(name: .customLong("weight-decay"),
            help: "L2 weight decay (default: partial 5e-4; train, schedule, restart 0).")
    var weightDecay: Float?

    /// Refuses `--weight-decay` in a command whose recipe has none.
    func refuseWeightDecay(_ why: String) throws {
        if let weightDecay { throw UsageError("--weight-decay \(weightDecay): \(why)") }
    }
}

/// `--threads`, shared by the training commands.
struct ThreadOptions: ParsableArguments {
    @Option(help: "BLAS threads (default: OpenBLAS's choice).")
    var threads: Int?

    /// Sets the BLAS thread count when `--threads` is given; refuses one outside [1, 1024].
    func apply() throws {
        guard let threads else { return }
        guard threads > 0, threads <= 1024 else { throw UsageError("--threads must lie in [1, 1024], got \(threads)") }
        BLAS.setThreads(threads)
    }
}

extension ConfigError {
    /// This config error as a usage error naming the flag that `flags` maps its key to.
    func usage(_ flags: [String: String]) -> UsageError {
        let key = keyPath.split(separator: ".").first.map(String.init) ?? keyPath
        let bare = key.split(separator: "[").first.map(String.init) ?? key
        guard let flag = flags[bare] else { return UsageError(reason) }
        return UsageError("\(flag): \(reason)")
    }
}
