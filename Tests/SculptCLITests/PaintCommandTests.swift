import Foundation
import Testing

/// `sculpt paint` through the real executable built beside this test binary.
@Suite struct PaintCommandTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `sculpt arguments` (in `directory`, when given; with `environment`'s variables set, or
    /// removed where nil) and collects its exit status and output.
    static func sculpt(_ arguments: [String], in directory: String? = nil,
                       environment changes: [String: String?] = [:]) throws -> Outcome {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = me.deletingLastPathComponent()
        // Under `swift test` the binary is .build/<config>/<Package>PackageTests.xctest (a file on Linux).
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("sculpt").path),
              folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        let process = Process()
        process.executableURL = folder.appendingPathComponent("sculpt")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = "1"
        for (name, value) in changes { environment[name] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    static func temporaryFolder() -> String {
        NSTemporaryDirectory() + "sculpt-cli-test-" + UUID().uuidString
    }

    @Test func negativeReinitIsAUsageErrorAndWritesNothing() throws {
        let out = Self.temporaryFolder()
        let r = try Self.sculpt(["paint", "--reinit=-1", "--out", out])
        #expect(r.status == 2)
        #expect(r.stderr == "sculpt: error: --reinit -1: the number of reinitializations must be 0 or more\n")
        #expect(r.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func reinitRejectsMinDeltaAndUnknownOutput() throws {
        let a = try Self.sculpt(["paint", "--reinit", "1", "--min-delta", "0.01", "--out", Self.temporaryFolder()])
        #expect(a.status == 2 && a.stderr.hasPrefix("sculpt: error: --min-delta 0.01: "))
        let b = try Self.sculpt(["paint", "--output", "relu", "--out", Self.temporaryFolder()])
        #expect(b.status == 2 && b.stderr.hasPrefix("sculpt: error: --output relu: "))
    }

    @Test("bad flags and unreadable images exit 2 with one line naming the flag and the reason, and write nothing")
    func badInputIsAOneLineUsageErrorAndWritesNothing() throws {
        let notAnImage = Self.temporaryFolder() + "-not-an-image.png"
        try Data("this is text, not a PNG\n".utf8).write(to: URL(fileURLWithPath: notAnImage))
        defer { try? FileManager.default.removeItem(atPath: notAnImage) }
        let cases: [(arguments: [String], prefix: String, reason: String)] = [
            (["--shape", "blob"], "--shape blob: ", "unknown shape"),
            (["--shape", "polygon:2"], "--shape polygon:2: ", "needs an integer in [3, 10000]"),
            (["--size", "1"], "--size 1: ", "at least 2"),
            (["--hidden", "0"], "--hidden 0: ", "at least 1 unit"),
            (["--linear", "3,0"], "--linear 3,0: ", "at least 1 unit, got 0"),
            (["--linear", "3,x"], "--linear 3,x: ", "not an integer"),
            (["--lr", "0"], "--lr 0.0: ", "must be positive"),
            (["--lr=-0.5"], "--lr -0.5: ", "must be positive"),
            (["--batch", "0"], "--batch 0: ", "must be positive"),
            (["--batch=-4"], "--batch -4: ", "must be positive"),
            (["--shape", "image:/nonexistent.png"], "--shape image:/nonexistent.png: ", "cannot open /nonexistent.png"),
            (["--shape", "image:" + notAnImage], "--shape image:\(notAnImage): ", "cannot read the image"),
        ]
        for c in cases {
            let out = Self.temporaryFolder()
            let r = try Self.sculpt(["paint", "--epochs", "1", "--out", out] + c.arguments)
            #expect(r.status == 2, "\(c.arguments): exit \(r.status)")
            #expect(r.stderr.hasPrefix("sculpt: error: " + c.prefix), "\(c.arguments): \(r.stderr)")
            #expect(r.stderr.contains(c.reason), "\(c.arguments): \(r.stderr)")
            #expect(r.stderr.hasSuffix("\n") && r.stderr.split(separator: "\n").count == 1,
                    "\(c.arguments): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(c.arguments)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(c.arguments) created \(out)")
        }
    }

    func report(_ arguments: [String], initialWeights: String = "init.json") throws -> [String: Any] {
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Self.sculpt(["paint", "--json", "--out", out] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        // The initial weights: kept while they fit the final network, else dropped with the reason.
        #expect(FileManager.default.fileExists(atPath: out + "/" + initialWeights), "\(arguments)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        for name in ["target.png", "prediction.png", "units.png", "architecture.json", "weights.safetensors",
                     "history.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name))
        }
        return try #require(object)
    }

    @Test func plainTrainingReportsTheCollapsedNetwork() throws {
        let json = try report(["--size", "10", "--linear", "9", "--epochs", "30", "--seed", "3"])
        #expect(json["parametersTrained"] as? Int == 55)
        #expect(json["parametersFinal"] as? Int == 13)
        #expect(json["parameters"] as? Int == 13)
        let active = try #require(json["activeUnits"] as? Int)
        #expect((0...3).contains(active))
        #expect(json["finalLoss"] is Double && json["sides"] is Int && json["pixelAgreement"] is Double)
        #expect(json["reinitializations"] == nil && json["revertedRounds"] == nil)
        #expect(json["epochs"] as? Int == 30 && json["finalTrainingLoss"] is Double)
    }

    @Test func aNetworkWithoutLinearLayersKeepsItsInitialWeights() throws {
        let json = try report(["--size", "8", "--epochs", "3", "--seed", "2"], initialWeights: "init.safetensors")
        #expect(json["parametersTrained"] as? Int == json["parametersFinal"] as? Int)
    }

    @Test func reinitRunsReinitializationTraining() throws {
        let json = try report(["--shape", "star", "--size", "10", "--hidden", "6", "--linear", "6,6", "--epochs", "20",
                               "--patience", "5", "--reinit", "2", "--seed", "1"])
        #expect(json["reinitializations"] as? Int == 2)
        #expect(json["parametersTrained"] as? Int == 18 + 2 * 42 + 7)
        let final = try #require(json["parametersFinal"] as? Int)
        #expect(final % 4 == 1 && final <= 25)  // Dense(2, k) + Dense(k, 1) after prune and collapse
        #expect((0...2).contains(json["revertedRounds"] as? Int ?? -1))
        #expect(json["finalTrainingLoss"] == nil)
        #expect((json["epochs"] as? Int ?? 0) > 20)  // several phases
    }

    @Test func inspectReadsWhatPaintSaved() throws {
        let out = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let painted = try Self.sculpt(["paint", "--json", "--out", out, "--size", "12", "--hidden", "4", "--linear",
                                       "4", "--epochs", "40"])
        #expect(painted.status == 0, "\(painted.stderr)")
        let paint = try #require(try JSONSerialization.jsonObject(with: Data(painted.stdout.utf8)) as? [String: Any])
        let r = try Self.sculpt(["inspect", out, "--data", "painting:square:12", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let units = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        // The saved network is the collapsed one: Dense(2, 4) + ReLU + Dense(4, 1) + sigmoid.
        #expect(units.count == 4)
        #expect(units.map { $0["unit"] as? Int } == [0, 1, 2, 3] && units.allSatisfy { $0["layer"] as? Int == 0 })
        #expect(units.filter { $0["active"] as? Bool == true }.count == paint["activeUnits"] as? Int)
        for u in units {
            #expect(Self.unitKeys.isSuperset(of: u.keys) && Self.requiredUnitKeys.isSubset(of: u.keys),
                    "\(u.keys.sorted())")
            for key in ["lossRatio", "incomingNorm", "outgoingNorm", "bias"] { #expect(u[key] is Double, "\(key)") }
            #expect(u["active"] is Bool)
            #expect(u["redundancyGroup"] == nil || u["redundancyGroup"] is Int)
        }
        let text = try Self.sculpt(["inspect", out, "--data", "painting:square:12", "--layer", "0"])
        #expect(text.status == 0 && text.stdout.contains("loss ratio"))
        // After the summary line, a header and a row per unit, all as long as the header (right-aligned columns).
        let table = text.stdout.split(separator: "\n").dropFirst()
        #expect(table.count == 5 && Set(table.map(\.count)).count == 1, "\(text.stdout)")
        let badLayer = try Self.sculpt(["inspect", out, "--data", "painting:square:12", "--layer", "2"])
        #expect(badLayer.status == 2 && badLayer.stderr.hasPrefix("sculpt: error: --layer 2: "))
        let badData = try Self.sculpt(["inspect", out, "--data", "mnist"])
        #expect(badData.status == 2 && badData.stderr.hasPrefix("sculpt: error: --data mnist: "))
        let missing = try Self.sculpt(["inspect", out + "/nothing", "--data", "painting:square"])
        #expect(missing.status == 2)
    }

    /// The keys of a unit object of `sculpt inspect --json` on a painting network; `redundancyGroup`
    /// is left out for a unit redundant with no other.
    static let unitKeys: Set = ["layer", "unit", "lossRatio", "active", "redundancyGroup", "incomingNorm", "bias",
                                "outgoingNorm"]
    static let requiredUnitKeys = unitKeys.subtracting(["redundancyGroup"])

    @Test("inspect puts a WeakExpand copy, whose incoming weights equal its source's, in its source's redundancy group")
    func inspectGroupsCopiedUnits() throws {
        let model = Self.temporaryFolder(), grown = model + "-grown"
        defer { for f in [model, grown] { try? FileManager.default.removeItem(atPath: f) } }
        let painted = try Self.sculpt(["paint", "--json", "--out", model, "--size", "8", "--hidden", "4", "--epochs",
                                       "10"])
        #expect(painted.status == 0, "\(painted.stderr)")
        // Unit 4 copies the strongest unit's incoming weights and bias (cosine 1) and takes half its outgoing weights.
        let expanded = try Self.sculpt(["surgery", model, "--op", "expand", "--layer", "layers.0", "--to", "5", "--out",
                                        grown, "--json"])
        #expect(expanded.status == 0, "\(expanded.stderr)")
        let r = try Self.sculpt(["inspect", grown, "--data", "painting:square:8", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let units = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(units.map { $0["unit"] as? Int } == [0, 1, 2, 3, 4])
        for u in units {
            #expect(Self.unitKeys.isSuperset(of: u.keys) && Self.requiredUnitKeys.isSubset(of: u.keys),
                    "\(u.keys.sorted())")
        }
        let copy = try #require(units[4]["redundancyGroup"] as? Int)
        // Its source is in the same group: the original unit with the same incoming norm and bias.
        let partners = units[0..<4].filter { $0["redundancyGroup"] as? Int == copy }
        #expect(partners.contains {
            $0["incomingNorm"] as? Double == units[4]["incomingNorm"] as? Double
                && $0["bias"] as? Double == units[4]["bias"] as? Double
        }, "\(partners) \(units[4])")
    }
}
