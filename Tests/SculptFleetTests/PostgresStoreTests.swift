#if Fleet
import Foundation
import SculptCore
import Testing
@testable import SculptExperiments
@testable import SculptFleet
import SculptExperimentsTestKinds

extension FleetServerSuites {
    /// The PostgreSQL store against a real server: the store contract shared with SQLite, the queue's claims,
    /// leases and attempts, refusals, schema versions and bad logins.
    @Suite(.enabled(if: TestServer.available)) struct PostgresStoreTests {
        @Test(arguments: StoreContract.names)
        func postgresKeepsTheContract(_ check: String) throws {
            try StoreContract.check(check, store: try PostgresResultStore(location: try TestServer.freshDatabase()))
        }

        func enqueued(trials: Int = 3) throws -> (PostgresResultStore, ExperimentSpec, EnqueueSummary) {
            let store = try PostgresResultStore(location: try TestServer.freshDatabase())
            let text = TestServer.specText(trials: trials)
            let spec = try TestServer.spec(text)
            return (store, spec, try store.enqueue(spec, specText: text, kindVersion: 1))
        }

        @Test func enqueuingTwiceAddsNothing() throws {
            let (store, spec, first) = try enqueued()
            #expect(first == EnqueueSummary(runId: spec.runID, spec: "fleet-test", planned: 6, added: 6, requeued: 0))
            let second = try store.enqueue(spec, specText: TestServer.specText(trials: 3), kindVersion: 1)
            #expect(second.added == 0 && second.requeued == 0)
            let more = try TestServer.spec(TestServer.specText(trials: 4))  // more trials: same run, two more rows
            #expect(more.runID == spec.runID)
            #expect(try store.enqueue(more, specText: TestServer.specText(trials: 4), kindVersion: 1).added == 2)
            let status = try store.status()
            #expect(status.runs.map(\.pending) == [8] && status.runs.map(\.done) == [0])
            #expect(throws: FleetError.self) { try store.enqueue(spec, specText: "{}", kindVersion: 2) }
            #expect(try store.fleetRuns().map(\.kindVersion) == [1])
        }

        @Test func concurrentClaimsNeverShareATrial() throws {
            let (store, spec, _) = try enqueued(trials: 20)
            let claims = Locked<[FleetClaim]>([])
            let group = DispatchGroup()
            for worker in 0..<8 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    guard let own = try? PostgresResultStore(location: store.session.location) else { return }
                    while let claim = try? own.claim(workerID: "w\(worker)", runIDs: [spec.runID], leaseSeconds: 30,
                                                     maxAttempts: 3) {
                        claims.update { $0.append(claim) }
                    }
                }.start()
            }
            group.wait()
            let keys = claims.value.map { TrialKey(variant: $0.trial.variant, index: $0.trial.index) }
            #expect(keys.count == 40 && Set(keys).count == 40)
            #expect(Set(keys) == Set(spec.plan().map { TrialKey(variant: $0.variant, index: $0.index) }))
            #expect(claims.value.allSatisfy { $0.attempt == 1 })
        }

        func outcome(_ claim: FleetClaim, _ spec: ExperimentSpec, failing: Bool = false) -> TrialRecord {
            let result: Result<TrialResult, TrialFailure> = failing
                ? .failure(TrialFailure("boom"))
                : .success(TrialResult(metrics: ["sum": 2], series: [TrialSeries(name: "loss", x: [1], y: [2])]))
            return TrialRecord(
                runID: spec.runID, specName: spec.name, kind: spec.kind, trial: claim.trial, outcome: result,
                               startedAt: TrialRowText.now(), seconds: 0.1)
        }

        @Test func onlyTheLeaseHolderRecordsAndAnExpiredLeaseIsClaimedAgain() throws {
            let (store, spec, _) = try enqueued(trials: 1)
            let first = try #require(try store.claim(workerID: "a", runIDs: [spec.runID], leaseSeconds: 0.3,
                                                     maxAttempts: 3))
            Thread.sleep(forTimeInterval: 0.6)
            var second: FleetClaim?
            for _ in 0..<2 {  // the other trial first (plan order), then the expired one
                let c = try #require(
                    try store.claim(workerID: "b", runIDs: [spec.runID], leaseSeconds: 30, maxAttempts: 3))
                if c.trial == first.trial { second = c }
            }
            let reclaimed = try #require(second)
            #expect(reclaimed.attempt == 2 && reclaimed.token != first.token)
            #expect(try store.complete(first, record: outcome(first, spec), maxAttempts: 3) == .leaseLost)
            #expect(try store.complete(reclaimed, record: outcome(reclaimed, spec), maxAttempts: 3) == .recorded)
            #expect(try store.complete(reclaimed, record: outcome(reclaimed, spec), maxAttempts: 3) == .alreadyRecorded)
            let rows = try store.trials(runID: spec.runID).filter { $0.variant == first.trial.variant }
            #expect(rows.count == 1 && rows[0].status == .done && rows[0].attempts == 1)
            #expect(try store.series(runID: spec.runID).count == 1)
        }

        @Test func aDoneResultReplacesTheSeriesAFailedAttemptLeft() throws {
            let (store, spec, _) = try enqueued(trials: 1)
            let first = try #require(try store.claim(workerID: "a", runIDs: [spec.runID], leaseSeconds: 30,
                                                     maxAttempts: 3))
            var failed = outcome(first, spec, failing: true)
            failed.series = [TrialSeries(name: "loss", x: [1, 2], y: [9, 8]), TrialSeries(name: "acc", x: [1], y: [0])]
            #expect(try store.complete(first, record: failed, maxAttempts: 3) == .recorded)
            let key = TrialKey(variant: first.trial.variant, index: first.trial.index)
            #expect(try store.series(runID: spec.runID)[key]?.map(\.name) == ["acc", "loss"])
            let second = try #require(try store.claim(workerID: "a", runIDs: [spec.runID], leaseSeconds: 30,
                                                      maxAttempts: 3))
            #expect(second.trial == first.trial && second.attempt == 2)
            #expect(try store.complete(second, record: outcome(second, spec), maxAttempts: 3) == .recorded)
            let series = try #require(try store.series(runID: spec.runID)[key])
            #expect(series.count == 1 && series[0].name == "loss" && series[0].x == [1] && series[0].y == [2])
            let row = try #require(try store.trials(runID: spec.runID).first { $0.variant == first.trial.variant })
            #expect(row.status == .done && row.attempts == 2 && row.metrics == ["sum": 2])
        }

        @Test func aTrialThatFailsNTimesIsMarkedFailedWithItsError() throws {
            let (store, spec, _) = try enqueued(trials: 1)
            for attempt in 1...2 {
                let claim = try #require(try store.claim(workerID: "a", runIDs: [spec.runID], leaseSeconds: 30,
                                                         maxAttempts: 2))
                #expect(claim.trial.variant == "small" && claim.attempt == attempt)
                #expect(
                    try store.complete(claim, record: outcome(claim, spec, failing: true), maxAttempts: 2) == .recorded)
            }
            let run = try #require(try store.status().runs.first)
            #expect(run.failed == 1 && run.pending == 1 && run.failures == ["small #0: boom"])
            let row = try #require(try store.trials(runID: spec.runID).first)
            #expect(row.status == .failed && row.error == "boom" && row.attempts == 2)
            // A lost worker counts too: an expired lease at the last attempt is marked failed, not claimed again.
            let last = try #require(
                try store.claim(workerID: "a", runIDs: [spec.runID], leaseSeconds: 0.2, maxAttempts: 1))
            Thread.sleep(forTimeInterval: 0.4)
            #expect(try store.claim(workerID: "b", runIDs: [spec.runID], leaseSeconds: 30, maxAttempts: 1) == nil)
            #expect(try store.failExhausted(runIDs: [spec.runID], maxAttempts: 1) == 1)
            #expect(try store.openTrials(runIDs: [spec.runID]) == 0)
            #expect(try store.complete(last, record: outcome(last, spec), maxAttempts: 1) == .leaseLost)
            // Enqueuing again retries the failed trials.
            #expect(try store.enqueue(spec, specText: TestServer.specText(trials: 1), kindVersion: 1).requeued == 2)
        }

        @Test func workersRefuseAnotherKindVersionOrSpecHash() throws {
            let text = TestServer.specText(trials: 1)
            let spec = try TestServer.spec(text)
            let run = FleetRun(
                runID: spec.runID, specName: spec.name, kind: "arithmetic", kindVersion: 1, specText: text)
            let same = FleetAcceptance(catalog: ArithmeticTrial.catalog, specs: [])
            #expect(try same.accepted(from: [run]) == [run] && same.reasons.isEmpty)
            let newer = FleetAcceptance(catalog: TrialKindCatalog([VersionTwoArithmetic()]), specs: [])
            #expect(try newer.accepted(from: [run]).isEmpty)
            #expect(newer.reasons == ["spec fleet-test (run \(spec.runID)) was enqueued with trial kind arithmetic "
                + "version 1; "
                + "this worker's build has version 2: run workers of one build"])
            var edited = run
            edited.runID = "0123456789abcdef"  // as if this build's parser read the text to another identity
            #expect(
                same.refusal(of: edited)?.contains("content hash under this worker's build is \(spec.runID)") == true)
            let folder = try TestServer.folder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let other = folder + "/spec.json"
            try TestServer.specText(trials: 1, sleep: 0.5).write(toFile: other, atomically: true, encoding: .utf8)
            let byFile = FleetAcceptance(catalog: ArithmeticTrial.catalog, specs: [other])
            #expect(try byFile.accepted(from: [run]).isEmpty)
            #expect(byFile.reasons.first?.contains("has another content hash than \(other)") == true)
            let elsewhere = FleetAcceptance(catalog: ArithmeticTrial.catalog, specs: ["elsewhere"])
            #expect(try elsewhere.accepted(from: [run]).isEmpty)
        }

        @Test func schemaVersionsAreCheckedAndUpgradesAreExplicit() throws {
            let empty = try TestServer.freshDatabase(schema: 0)
            #expect(throws: FleetError.noSchema(empty.description)) { try PostgresResultStore(location: empty) }
            let old = try TestServer.freshDatabase(schema: 2)
            #expect(throws: FleetError.olderSchema(old.description, found: 2, current: FleetSchema.current)) {
                try PostgresResultStore(location: old)
            }
            let upgrade = try PostgresResultStore.migrate(old)
            #expect(upgrade.from == 2 && upgrade.to == FleetSchema.current)
            let again = try PostgresResultStore.migrate(old)
            #expect(again.from == FleetSchema.current && again.to == FleetSchema.current)
            _ = try PostgresResultStore(location: old)
        }

        @Test func badLoginsAndUnreachableServersAreOneLineWithoutThePassword() throws {
            var wrong = try TestServer.freshDatabase()
            wrong.password = "not-the-password"
            do {
                _ = try PostgresResultStore(location: wrong)
                Issue.record("a wrong password must fail")
            } catch let error as FleetError {
                guard case .authentication = error else { Issue.record("\(error)"); return }
                #expect(!"\(error)".contains("not-the-password") && !"\(error)".contains("\n"))
            }
            var closed = wrong
            closed.port = 1
            #expect(throws: FleetError.unreachable(closed.description, "connection refused")) {
                try PostgresResultStore(location: closed)
            }
            var tls = try TestServer.freshDatabase()
            tls.tls = .require
            do { _ = try PostgresResultStore(location: tls); Issue.record("the test server offers no TLS") } catch {
                #expect("\(error)".contains("does not offer TLS"), "\(error)")
            }
        }

        @Test func urlsPasswordFilesAndMasking() throws {
            let env = ["HOME": "/nonexistent"]
            let a = try PostgresLocation(url: "postgres://ann:s3cret@db.example:6543/results?sslmode=require",
                                         environment: env)
            #expect(a.user == "ann" && a.password == "s3cret" && a.host == "db.example" && a.port == 6543)
            #expect(a.database == "results" && a.tls == .require)
            #expect(a.description == "postgres://ann@db.example:6543/results?sslmode=require")
            #expect(PostgresLocation.masked("postgres://ann:s3cret@h/d") == "postgres://ann:***@h/d")
            #expect(try PostgresLocation(url: "postgres://ann@h/d", environment: ["PGPASSWORD": "p"]).password == "p")
            let folder = try TestServer.folder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try "# comment\nother:*:*:*:no\nh:5432:d:ann:from\\:file\n".write(
                toFile: folder + "/pgpass", atomically: true,
                                                                               encoding: .utf8)
            let fromFile = try PostgresLocation(
                url: "postgres://ann@h/d", environment: ["PGPASSFILE": folder + "/pgpass"])
            #expect(fromFile.password == "from:file")
            #expect(throws: FleetError.self) { try PostgresLocation(url: "postgres://ann@h/d?sslmode=sometimes") }
            #expect(throws: FleetError.self) { try PostgresLocation(url: "postgres://ann:pw@h") }
            do { _ = try PostgresLocation(url: "postgres://ann:pw@h") } catch { #expect(!"\(error)".contains("pw@")) }
        }
    }
}

/// The arithmetic kind as a later build would have it.
struct VersionTwoArithmetic: TrialKind {
    var name: String { "arithmetic" }
    var version: Int { 2 }
    var metricNames: MetricNames? { nil }
    func validate(config: JSONValue) throws { try ArithmeticTrial().validate(config: config) }
    func run(config: JSONValue, seed: UInt64) throws -> TrialResult {
        try ArithmeticTrial().run(config: config, seed: seed)
    }
}

/// A value behind a lock, for test threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.lock(); defer { lock.unlock() }; return stored }
    func update(_ body: (inout Value) -> Void) { lock.lock(); defer { lock.unlock() }; body(&stored) }
}
#endif
