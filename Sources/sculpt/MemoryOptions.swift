import ArgumentParser
import SculptCore
import SculptNN

/// `--max-memory`: the memory limit estimates are checked against before allocating.
struct MemoryOptions: ParsableArguments {
    @Option(name: .customLong("max-memory"),
            help: ArgumentHelp("Refuse work estimated to need more memory than this (e.g. 8G, 512M; default: "
                + "$SCULPT_MAX_MEMORY, else the machine's memory)."))
    var maxMemory: String?

    /// The budget the flag (or the machine) sets.
    func budget() throws -> MemoryBudget {
        guard let maxMemory else { return .standard }
        do { return try MemoryBudget(parsing: maxMemory) } catch { throw UsageError("\(error)") }
    }

    /// Refuses training `architecture` at `batchSize` when its estimate exceeds the budget; `flag`
    /// names what set the size.
    func checkTraining(_ architecture: Architecture, batchSize: Int, optimizerSlots: Int = 2, flag: String,
                       copies: Double = 1) throws {
        var estimate: MemoryEstimate
        do {
            estimate = try MemoryEstimate.training(architecture, batchSize: batchSize, optimizerSlots: optimizerSlots)
        } catch {
            throw UsageError("\(flag): \(error)")
        }
        estimate.parameterBytes *= copies
        do { try estimate.check(try budget(), flag: flag) } catch let e as MemoryError { throw UsageError("\(e)") }
    }

    /// Refuses `bytes` of `what` (set by `flag`) beyond the budget.
    func check(_ bytes: Double, flag: String, what: String) throws {
        do { try budget().check(bytes, flag: flag, what: what) } catch let e as MemoryError { throw UsageError("\(e)") }
    }
}

/// Rewrites `--flag -5` as `--flag=-5`, so that a negative number after an option is its value
/// (and a range check can name the flag) rather than an unknown short flag "-5".
func joiningNegativeValues(_ arguments: [String]) -> [String] {
    var out: [String] = []
    for argument in arguments {
        if let previous = out.last, previous.hasPrefix("--"), !previous.contains("="), isNegativeNumber(argument) {
            out[out.count - 1] = previous + "=" + argument
        } else {
            out.append(argument)
        }
    }
    return out
}

private func isNegativeNumber(_ text: String) -> Bool {
    guard text.hasPrefix("-"), text.count > 1 else { return false }
    return Double(text) != nil || text.lowercased() == "-inf" || text.lowercased() == "-nan"
}
