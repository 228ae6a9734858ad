#if Fleet
import Foundation
import Testing
@testable import SculptExperiments
@testable import SculptFleet
import SculptExperimentsTestKinds

extension FleetServerSuites {
    /// Exactly once under faults: 200 short trials, 6 worker processes (the fixture executable's `worker`, with
    /// the arithmetic kind), two killed with SIGKILL while they hold a trial, the server stopped and restarted once,
    /// two fresh workers: every trial recorded once, and the table the SQLite store gives for the same spec.
    ///
    /// These workers reach the server over loopback; `NetworkNamespaceTests` puts workers on hosts of their own.
    @Suite(.enabled(if: TestServer.available && TestServer.pgctl != nil), .serialized)
    struct FleetFaultTests {
        /// Starts a fixture worker with a 2-second lease; its output goes to `log`.
        func startWorker(_ location: PostgresLocation, log: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestServer.executable("SculptExperimentsFixture"))
            process.arguments = ["worker", location.description, "2"]
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            return process
        }

        /// Waits until `condition` holds (checked every 50 ms) or `seconds` pass; whether it held.
        func wait(seconds: Double, until condition: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if try condition() { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return false
        }

        /// Runs `path arguments` to its end with posix_spawn and waitpid; its exit status (nil: reaped elsewhere).
        /// Not Foundation's Process: its waitUntilExit hung here over the exited `runuser` of pg_ctl restart.
        func runToEnd(_ path: String, _ arguments: [String]) -> Int32? {
            var pid: pid_t = 0
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return 127 }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 {
                if errno != EINTR { return nil }
            }
            return (status >> 8) & 0xff
        }

        func done(_ store: PostgresResultStore) throws -> Int { try store.status().runs.first?.done ?? 0 }

        /// The pid of a worker process that holds a running trial now, among `pids`.
        func holder(among pids: [Int32], _ store: PostgresResultStore) throws -> Int32? {
            let rows = try store.session.query("SELECT worker_id FROM queue WHERE state = 'running'")
            let holders = Set(try rows.rows.map { try $0.value("worker_id", as: String.self) })
            return pids.shuffled().first { pid in holders.contains { $0.contains("-\(pid)-") } }
        }

        @Test(.timeLimit(.minutes(5)))
        func everyTrialIsRecordedExactlyOnceDespiteKilledWorkersAndARestartedServer() throws {
            let location = try TestServer.freshDatabase()
            let store = try PostgresResultStore(location: location, reconnectSeconds: 60)
            let text = TestServer.specText(name: "fault", trials: 100, sleep: 0.05)
            let spec = try TestServer.spec(text)
            #expect(try store.enqueue(spec, specText: text, kindVersion: 1).added == 200)
            let folder = try TestServer.folder()
            var workers = try (0..<6).map { try startWorker(location, log: folder + "/worker\($0).log") }

            // Kill two workers, each while it holds a trial, at random moments: a worker seen holding one is stopped
            // (SIGSTOP) and killed if it still holds it (it may have finished it in between; then it goes on).
            var killed: [Int32] = []
            var orphaned: [TrialKey] = []
            for threshold in [20 + Int.random(in: 0..<20), 50 + Int.random(in: 0..<20)] {
                #expect(try wait(seconds: 60) { try done(store) >= threshold })
                let found = try wait(seconds: 30) {
                    let alive = workers.filter(\.isRunning).map(\.processIdentifier).filter { !killed.contains($0) }
                    guard let pid = try holder(among: alive, store) else { return false }
                    kill(pid, SIGSTOP)
                    let pattern = "%-\(pid)-%"
                    let held = try store.session.query(
                        "SELECT variant, trial_index FROM queue WHERE state = 'running' AND worker_id LIKE \(pattern)"
                    ).rows.map { TrialKey(variant: try $0.value("variant"), index: try $0.value("trial_index")) }
                    guard !held.isEmpty else {
                        kill(pid, SIGCONT)
                        return false
                    }
                    kill(pid, SIGKILL)
                    killed.append(pid)
                    orphaned += held
                    return true
                }
                #expect(found, "a worker holding a trial was stopped and killed")
            }
            // Stop and restart the server while the others work.
            #expect(try wait(seconds: 60) { try done(store) >= 90 })
            let restarted = runToEnd(try #require(TestServer.pgctl), ["restart", "-s", "-w", "-m", "fast"])
            #expect(restarted == 0 || restarted == nil, "pg_ctl restart: exit status \(restarted ?? -1)")
            workers += try (6..<8).map { try startWorker(location, log: folder + "/worker\($0).log") }
            #expect(wait(seconds: 180) { workers.allSatisfy { !$0.isRunning } })

            let logs = (0..<8).map { (try? String(contentsOfFile: folder + "/worker\($0).log", encoding: .utf8)) ?? "" }
            for (i, w) in workers.enumerated() where !killed.contains(w.processIdentifier) {
                #expect(w.terminationStatus == 0, "worker \(i): \(logs[i])")
            }
            let run = try #require(try store.status().runs.first)
            #expect(run.done == 200 && run.failed == 0 && run.pending == 0 && run.running == 0)
            let rows = try store.trials(runID: spec.runID)
            let redone = rows.filter { $0.status != .done || $0.attempts != 1 }
            #expect(rows.count == 200 && redone.isEmpty,
                    "rows not done on a first recorded attempt: \(redone.map { "\($0.variant) #\($0.index) \($0.status) attempts \($0.attempts): \($0.error ?? "")" })\n\(logs.joined(separator: "\n"))")
            #expect(Set(rows.map { TrialKey(variant: $0.variant, index: $0.index) }).count == 200)
            let attempts = try store.session.query("SELECT variant, trial_index, attempts FROM queue").rows.map {
                (TrialKey(variant: try $0.value("variant"), index: try $0.value("trial_index")),
                 try $0.value("attempts", as: Int.self))
            }
            let attemptsOf = Dictionary(uniqueKeysWithValues: attempts)
            #expect(orphaned.allSatisfy { (attemptsOf[$0] ?? 0) >= 2 }, "the killed workers' trials were claimed again")

            let sqlite = try ResultStore(path: folder + "/results.db")
            let executor = InProcessExecutor(catalog: ArithmeticTrial.catalog)
            _ = try ExperimentRunner(spec: spec, store: sqlite, executor: executor, workers: 4).run()
            let reference = try sqlite.trials(runID: spec.runID)
            #expect(reference.count == 200)
            let ours = spec.tables.map { ExperimentTable($0, experiment: spec, records: rows).text }
            let theirs = spec.tables.map { ExperimentTable($0, experiment: spec, records: reference).text }
            #expect(ours == theirs)
            #expect(rows.map(\.metrics["noise"]) == reference.map(\.metrics["noise"]))
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}

extension FleetServerSuites {
    /// Several worker "machines": network namespaces made by the test (`ip netns`, a veth pair each), whose workers
    /// reach the server over their own addresses (10.231.N.2 -> 10.231.N.1). Needs root and a server listening
    /// beyond loopback: scripts/with-postgres with SCULPT_TEST_PG_NETNS=1, which scripts/check-fleet sets as root.
    @Suite(.enabled(if: NetworkNamespaces.allowed), .serialized)
    struct NetworkNamespaceTests {
        static var ipPath: String? { NetworkNamespaces.ipPath }

        /// `ip` failed.
        struct IPFailure: Error, CustomStringConvertible {
            var description: String
        }

        /// Runs `ip arguments`; throws with its output when it fails.
        @discardableResult
        static func ip(_ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ipPath ?? "/usr/sbin/ip")
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw IPFailure(description: "ip \(arguments.joined(separator: " ")) failed")
            }
            return process
        }

        @Test(.timeLimit(.minutes(3)))
        func workersOnThreeHostsShareOneQueue() throws {
            let location = try TestServer.freshDatabase()
            let store = try PostgresResultStore(location: location)
            let text = TestServer.specText(name: "hosts", trials: 30, sleep: 0.1)
            let spec = try TestServer.spec(text)
            _ = try store.enqueue(spec, specText: text, kindVersion: 1)
            let tag = String(randomHex().prefix(4))
            let hosts = (1...3).map {
                (namespace: "sculpt-\(tag)-\($0)", outside: "vs\(tag)\($0)", inside: "vp\(tag)\($0)", n: $0)
            }
            defer {
                for h in hosts { _ = try? Self.ip(["netns", "del", h.namespace]) }
            }
            for h in hosts {
                try Self.ip(["netns", "add", h.namespace])
                try Self.ip(["link", "add", h.outside, "type", "veth", "peer", "name", h.inside])
                try Self.ip(["link", "set", h.inside, "netns", h.namespace])
                try Self.ip(["addr", "add", "10.231.\(h.n).1/24", "dev", h.outside])
                try Self.ip(["link", "set", h.outside, "up"])
                try Self.ip(["netns", "exec", h.namespace, "ip", "addr", "add", "10.231.\(h.n).2/24", "dev", h.inside])
                try Self.ip(["netns", "exec", h.namespace, "ip", "link", "set", h.inside, "up"])
                try Self.ip(["netns", "exec", h.namespace, "ip", "link", "set", "lo", "up"])
            }
            let folder = try TestServer.folder()
            let workers = try hosts.map { h -> Process in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Self.ipPath ?? "/usr/sbin/ip")
                var remote = location
                remote.host = "10.231.\(h.n).1"
                process.arguments = ["netns", "exec", h.namespace, TestServer.executable("SculptExperimentsFixture"),
                                     "worker", remote.description, "5"]
                _ = FileManager.default.createFile(atPath: folder + "/\(h.n).log", contents: nil)
                let log = try FileHandle(forWritingTo: URL(fileURLWithPath: folder + "/\(h.n).log"))
                process.standardOutput = log
                process.standardError = log
                try process.run()
                return process
            }
            var clients: Set<String> = []
            let deadline = Date().addingTimeInterval(150)
            while workers.contains(where: \.isRunning), Date() < deadline {
                let rows = try store.session.query(
                    "SELECT DISTINCT host(client_addr) AS a FROM pg_stat_activity WHERE client_addr IS NOT NULL")
                clients.formUnion(try rows.rows.map { try $0.value("a", as: String.self) })
                Thread.sleep(forTimeInterval: 0.1)
            }
            for (i, w) in workers.enumerated() {
                let log = (try? String(contentsOfFile: folder + "/\(i + 1).log", encoding: .utf8)) ?? ""
                #expect(!w.isRunning && w.terminationStatus == 0, "host \(i + 1): \(log)")
                #expect(log.contains("worker done") && !log.contains("worker done 0 "), "host \(i + 1): \(log)")
            }
            #expect(clients.isSuperset(of: ["10.231.1.2", "10.231.2.2", "10.231.3.2"]), "\(clients)")
            let rows = try store.trials(runID: spec.runID)
            #expect(rows.count == 60 && Set(rows.map { TrialKey(variant: $0.variant, index: $0.index) }).count == 60)
            #expect(rows.allSatisfy { $0.status == .done && $0.attempts == 1 })
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}

/// Whether `NetworkNamespaceTests` can run here (outside the suite: its trait cannot name the suite itself).
enum NetworkNamespaces {
    static let ipPath = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static var allowed: Bool {
        TestServer.available && ProcessInfo.processInfo.environment["SCULPT_TEST_PG_NETNS"] == "1" && getuid() == 0
            && ipPath != nil
    }
}
#endif
