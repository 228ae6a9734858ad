#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory an operation may use, checked against an estimate before anything is allocated.
///
/// The limit defaults to the machine's physical memory; a user lowers or raises it with
/// `--max-memory` (`MemoryBudget(parsing:)`). Estimates are `Double` byte counts so that absurd
/// sizes compute to large numbers instead of trapping on integer overflow.
public struct MemoryBudget: Sendable, Equatable {
    /// The most bytes one estimate may reach.
    public var limit: Double
    /// Where the limit came from, for messages (`the machine's memory`, `--max-memory`).
    public var source: String

    public init(limit: Double, source: String) {
        self.limit = limit
        self.source = source
    }

    /// `SCULPT_MAX_MEMORY` from the environment (a size as `init(parsing:)` reads it) when set,
    /// else the machine's physical memory: the limit when no `--max-memory` is given.
    public static var standard: MemoryBudget {
        if let text = getenv("SCULPT_MAX_MEMORY"),
           let budget = try? MemoryBudget(parsing: String(cString: text), source: "SCULPT_MAX_MEMORY") {
            return budget
        }
        return machine
    }

    /// The machine's physical memory.
    public static var machine: MemoryBudget {
        let pages = Double(sysconf(Int32(_SC_PHYS_PAGES))), pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let bytes = pages > 0 && pageSize > 0 ? pages * pageSize : 8 * 1024 * 1024 * 1024
        return MemoryBudget(limit: bytes, source: "the machine's memory")
    }

    /// Parses `24G`, `512M`, `64K`, `1T` (binary units; a trailing `B` or `iB` is allowed) or bytes.
    public init(parsing text: String, source: String = "--max-memory") throws {
        var body = text.trimmingSpaces.uppercased()
        if body.hasSuffix("IB") { body.removeLast(2) } else if body.hasSuffix("B") { body.removeLast() }
        let multipliers: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024,
                                                "T": 1024 * 1024 * 1024 * 1024]
        var multiplier = 1.0
        if let last = body.last, let m = multipliers[last] {
            multiplier = m
            body.removeLast()
        }
        guard let number = Double(body), number.isFinite, number > 0 else {
            throw MemoryError.invalidLimit(text: text, flag: source)
        }
        self.init(limit: number * multiplier, source: source)
    }

    /// Throws `MemoryError.exceeded` when `estimate` bytes (of `what`, set by `flag`) exceed the limit.
    public func check(_ estimate: Double, flag: String, what: String) throws {
        guard estimate.isFinite, estimate <= limit else {
            throw MemoryError.exceeded(flag: flag, what: what, estimate: estimate, limit: limit, source: source)
        }
    }
}

/// A size that would not fit in memory, or an unreadable limit.
public enum MemoryError: Error, Equatable, CustomStringConvertible {
    case exceeded(flag: String, what: String, estimate: Double, limit: Double, source: String)
    case invalidLimit(text: String, flag: String)

    public var description: String {
        switch self {
        case let .exceeded(flag, what, estimate, limit, source):
            let limitNote = source == "--max-memory" ? "--max-memory" : "\(source); raise it with --max-memory"
            return "\(flag): \(what) needs an estimated \(NumberFormatting.bytes(estimate)), "
                + "more than the limit of \(NumberFormatting.bytes(limit)) (\(limitNote))"
        case let .invalidLimit(text, flag):
            return "\(flag) \(text): expected a positive size such as 24G, 512M or 1048576 (bytes)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
