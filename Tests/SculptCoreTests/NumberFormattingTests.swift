import SculptCore
import Testing

@Suite struct NumberFormattingTests {
    @Test func nonFiniteAndHugeValuesNeverTrap() {
        #expect(NumberFormatting.fixed(Double.nan, digits: 4) == "nan")
        #expect(NumberFormatting.fixed(Float.infinity, digits: 4) == "inf")
        #expect(NumberFormatting.fixed(-Double.infinity, digits: 2) == "-inf")
        // Int(3e38 * 10_000) traps; the helper falls back to the shortest form.
        #expect(
            NumberFormatting.fixed(Float.greatestFiniteMagnitude, digits: 4)
                == "\(Double(Float.greatestFiniteMagnitude))")
        #expect(NumberFormatting.fixed(1e300, digits: 15) == "1e+300")
    }

    @Test func roundsToTheGivenDecimals() {
        #expect(NumberFormatting.fixed(0.123456, digits: 4) == "0.1235")
        #expect(NumberFormatting.fixed(2.0, digits: 2) == "2.0")
        #expect(NumberFormatting.fixed(-1.005, digits: 1) == "-1.0")
    }

    @Test func bytesInBinaryUnits() {
        #expect(NumberFormatting.bytes(100) == "100 B")
        #expect(NumberFormatting.bytes(1536) == "1.5 KiB")
        #expect(NumberFormatting.bytes(3 * 1024 * 1024 * 1024) == "3.0 GiB")
        #expect(NumberFormatting.bytes(.infinity) == "inf B")
    }
}

@Suite struct MemoryBudgetTests {
    @Test func parsesSizes() throws {
        #expect(try MemoryBudget(parsing: "512M").limit == 512 * 1024 * 1024)
        #expect(try MemoryBudget(parsing: "2GiB").limit == 2 * 1024 * 1024 * 1024)
        #expect(try MemoryBudget(parsing: "1048576").limit == 1_048_576)
        for bad in ["", "-1G", "lots", "0", "nanG", "infK"] {
            #expect(throws: MemoryError.invalidLimit(text: bad, flag: "--max-memory")) {
                try MemoryBudget(parsing: bad)
            }
        }
        #expect(MemoryBudget.machine.limit > 0)
    }

    @Test func refusesEstimatesPastTheLimitNamingTheFlag() throws {
        let budget = try MemoryBudget(parsing: "1G")
        try budget.check(1e9, flag: "--width", what: "x")
        #expect(throws: MemoryError.self) { try budget.check(2e9, flag: "--width", what: "x") }
        #expect(throws: MemoryError.self) { try budget.check(.nan, flag: "--width", what: "x") }
        do { try budget.check(4e12, flag: "--width 1e9", what: "training the network") } catch {
            #expect(
                "\(error)"
                    == "--width 1e9: training the network needs an estimated 3.6 TiB, more than the limit of 1.0 GiB (--max-memory)"
            )
        }
    }
}
