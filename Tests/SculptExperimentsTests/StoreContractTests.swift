import Foundation
import Testing
import SculptExperiments
import SculptExperimentsTestKinds

/// The results-store contract (`StoreContract`) against the SQLite store; SculptFleetTests runs the same checks
/// against PostgreSQL.
@Suite struct StoreContractTests {
    @Test(arguments: StoreContract.names)
    func sqliteKeepsTheContract(_ check: String) throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try StoreContract.check(check, store: try ResultStore(path: folder + "/results.db"))
    }
}
