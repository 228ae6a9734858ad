#if Fleet
import Foundation
import PostgresNIO
import Testing
@testable import SculptExperiments
@testable import SculptFleet
import SculptExperimentsTestKinds

/// The PostgreSQL server that scripts/with-postgres starts for the tests (SCULPT_TEST_PG_URL, the password in
/// PGPASSWORD); each test works in a database of its own.
enum TestServer {
    static let url = ProcessInfo.processInfo.environment["SCULPT_TEST_PG_URL"]
    /// The server's pg_ctl (for the restart in the fault test).
    static let pgctl = ProcessInfo.processInfo.environment["SCULPT_TEST_PG_CTL"]
    static var available: Bool { url != nil }

    /// A new, empty database on the test server, with the current schema unless `schema` says otherwise.
    static func freshDatabase(schema: Int = FleetSchema.current) throws -> PostgresLocation {
        var location = try PostgresLocation(url: try #require(url, "SCULPT_TEST_PG_URL is not set"))
        let name = "t_" + randomHex()
        try PostgresSession(location: location).query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        location.database = name
        if schema > 0 { try FleetSchema.migrate(PostgresSession(location: location), to: schema) }
        return location
    }

    /// A spec of the arithmetic kind: two variants x `trials`, each trial sleeping `sleep` seconds, with a table.
    static func specText(name: String = "fleet-test", trials: Int, sleep: Double = 0) -> String {
        """
        {"name": "\(name)", "kind": "arithmetic", "seed": 11, "trials": \(trials),
         "config": {"a": 1, "sleepSeconds": \(sleep)},
         "variants": [{"name": "small", "config": {"b": 1}}, {"name": "large", "config": {"b": 100}}],
         "tables": [{"title": "Sums", "columns": [
             {"title": "sum", "metric": "sum", "aggregate": "meanStd", "digits": 2},
             {"title": "noise", "metric": "noise", "aggregate": "meanStd", "digits": 6}]}]}
        """
    }

    static func spec(_ text: String) throws -> ExperimentSpec {
        try ExperimentSpec.parse(Array(text.utf8), file: "spec.json", catalog: ArithmeticTrial.catalog)
    }

    /// A fresh temporary folder.
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "sculpt-fleet-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Executables built beside this test binary.
    static func executable(_ name: String) -> String {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent(name).path
    }

    /// Runs `sculpt arguments` to its end: exit status, stdout, stderr.
    static func sculpt(_ arguments: [String], environment extra: [String: String] = [:])
        throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable("sculpt"))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in extra { environment[k] = v }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

/// The suites that use the test server, one at a time: the fault test restarts the server, which must not cut
/// another suite's connections.
@Suite(.serialized) struct FleetServerSuites {}

/// Under scripts/check-fleet (SCULPT_FLEET_REQUIRE_SERVER=1) a missing server fails instead of skipping.
@Suite struct TestServerTests {
    @Test func aServerIsThereWhenRequired() {
        let required = ProcessInfo.processInfo.environment["SCULPT_FLEET_REQUIRE_SERVER"] == "1"
        #expect(!required || (TestServer.available && TestServer.pgctl != nil),
                "run the fleet tests under scripts/with-postgres")
    }
}
#endif
