#if Fleet
import Foundation
import Testing
@testable import SculptFleet

extension FleetServerSuites {
    /// `sculpt db migrate`, `run --db`, `worker`, `status`, `table` and `report` through the real executable and a
    /// real server, on a tiny painting-linear-layers spec, against the same spec run into SQLite.
    @Suite(.enabled(if: TestServer.available)) struct FleetCLITests {
        /// Two variants x two trials of an 8 x 8 square: a second or two per trial in a debug build.
        static let spec = """
        {
          "name": "cli-fleet-test",
          "kind": "painting-linear-layers",
          "seed": 5,
          "trials": 2,
          "config": { "shape": "square", "size": 8, "batchSize": 16, "patience": 5, "maxEpochs": 30 },
          "variants": [
            { "name": "model 1", "config": { "hidden": 3, "linear": [] } },
            { "name": "model 2", "config": { "hidden": 3, "linear": [9] } }
          ],
          "tables": [
            {
              "title": "Tiny Table 1",
              "columns": [
                { "title": "# parameters trained", "metric": "parametersTrained", "aggregate": "mean", "digits": 0 },
                { "title": "epochs", "metric": "epochs", "aggregate": "meanStd", "digits": 1 }
              ]
            }
          ]
        }
        """

        static func object(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }

        @Test("enqueue, workers, status, table and report through PostgreSQL give SQLite's table")
        func aSpecRunThroughPostgresGivesTheSQLiteTable() throws {
            let location = try TestServer.freshDatabase(schema: 0)
            let url = location.description
            let folder = try TestServer.folder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let spec = folder + "/tiny.json"
            try Self.spec.write(toFile: spec, atomically: true, encoding: .utf8)

            let migrate = try TestServer.sculpt(["db", "migrate", "--db", url, "--json"])
            #expect(migrate.status == 0, "\(migrate.stderr)")
            #expect(try Self.object(migrate.stdout)["to"] as? Int == FleetSchema.current)
            let again = try TestServer.sculpt(["db", "migrate", "--db", url])
            #expect(again.stdout == "\(url): schema already at version \(FleetSchema.current)\n")

            let enqueue = try TestServer.sculpt(["run", spec, "--db", url, "--enqueue-only", "--json"])
            #expect(enqueue.status == 0, "\(enqueue.stderr)")
            #expect((try Self.object(enqueue.stdout)["enqueued"] as? [String: Any])?["added"] as? Int == 4)
            let status = try TestServer.sculpt(["status", "--json"], environment: ["SCULPT_DB": url])
            let runs = try #require(try Self.object(status.stdout)["runs"] as? [[String: Any]])
            #expect(runs.count == 1 && runs[0]["pending"] as? Int == 4)

            let worker = try TestServer.sculpt(["worker", "--db", url, "--processes", "2", "--json"])
            #expect(worker.status == 0, "\(worker.stderr)")
            #expect(try Self.object(worker.stdout)["done"] as? Int == 4)
            let rerun = try TestServer.sculpt(["run", spec, "--db", url, "--workers", "2", "--json"])
            #expect(rerun.status == 0, "\(rerun.stderr)")
            let rerunReport = try Self.object(rerun.stdout)
            #expect((rerunReport["enqueued"] as? [String: Any])?["added"] as? Int == 0)
            #expect((rerunReport["run"] as? [String: Any])?["done"] as? Int == 4)

            let text = try TestServer.sculpt(["status", "cli-fleet-test", "--db", url])
            #expect(
                text.status == 0 && text.stdout.contains("0 pending, 0 running, 4 done, 0 failed"), "\(text.stdout)")
            #expect(text.stdout.contains("workers: 0 alive"), "\(text.stdout)")

            let sqlite = folder + "/results.db"
            let local = try TestServer.sculpt(["run", spec, "--db", sqlite, "--workers", "2"])
            #expect(local.status == 0, "\(local.stderr)")
            let ours = try TestServer.sculpt(["table", spec, "--db", url])
            let theirs = try TestServer.sculpt(["table", spec, "--db", sqlite])
            #expect(ours.status == 0 && ours.stdout == theirs.stdout && ours.stdout.contains("Tiny Table 1"),
                    "\(ours.stderr)")
            let report = try TestServer.sculpt(["report", spec, "--db", url, "--out", folder + "/pages"])
            #expect(report.status == 0 && report.stdout.contains("4 of 4 trials finished"), "\(report.stderr)")
        }

        @Test("bad input: one line, exit 2, no password, nothing written")
        func badInputIsOneLine() throws {
            let old = try TestServer.freshDatabase(schema: 2)
            for arguments in [["status"], ["worker"], ["table", "missing-is-checked-after.json"]] {
                let r = try TestServer.sculpt(arguments + ["--db", old.description])
                #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
            let status = try TestServer.sculpt(["status", "--db", old.description])
            #expect(
                status.stderr == "sculpt: error: --db \(old): the database's schema is version 2, this sculpt needs \(FleetSchema.current); "
                + "upgrade it with `sculpt db migrate --db URL`\n")
            let wrong = "postgres://sculpt:hunter2@\(old.host):\(old.port)/\(old.database)"
            let login = try TestServer.sculpt(["status", "--db", wrong])
            #expect(
                login.status == 2 && login.stderr.contains("refused the login") && !login.stderr.contains("hunter2"),
                    "\(login.stderr)")
            let closed = try TestServer.sculpt(["worker", "--db", "postgres://sculpt@127.0.0.1:1/x"])
            #expect(
                closed.stderr == "sculpt: error: --db postgres://sculpt@127.0.0.1:1/x: no PostgreSQL server reachable "
                + "(connection refused)\n")
            let folder = try TestServer.folder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let sqlite = try TestServer.sculpt(["worker", "--db", folder + "/x.db"])
            #expect(sqlite.status == 2 && sqlite.stderr.contains("needs a PostgreSQL store"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
            let stale = try PostgresResultStore.migrate(old)
            #expect(stale.from == 2 && stale.to == FleetSchema.current)
        }
    }
}
#endif
