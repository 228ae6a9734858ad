import Foundation
import Testing
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptSurgery
import TestSupport
@testable import SculptRecipes

/// conv(1->4)-BN-ReLU-pool - conv(4->6)-BN-ReLU-pool - flatten - dense(24->8)-BN-ReLU - dense(8->3), 1x8x8 inputs.
private let scheduleCNN = Architecture(inputShape: [1, 8, 8], layers: [
    .conv2d(inputs: 1, outputs: 4, kernel: 3, stride: 1, padding: 1, bias: true),
    .batchNorm(features: 4, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
    .maxPool2d(kernel: 2, stride: 2, padding: 0),
    .conv2d(inputs: 4, outputs: 6, kernel: 3, stride: 1, padding: 1, bias: true),
    .batchNorm(features: 6, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
    .maxPool2d(kernel: 2, stride: 2, padding: 0),
    .flatten, .dense(inputs: 24, outputs: 8, bias: true),
    .batchNorm(features: 8, momentum: 0.1, epsilon: 1e-5), .activation(.relu),
    .dense(inputs: 8, outputs: 3, bias: true),
])

private func makeRun(seed: UInt64 = 5) throws -> TrainingRun {
    var rng = RandomSource(seed: seed)
    let network = try Network(scheduleCNN, rng: &rng)
    let configuration = TrainingConfiguration(optimizer: .sgd(learningRate: 0.05, momentum: 0.9, dampening: 0,
                                                              weightDecay: 1e-4, nesterov: false),
                                              batchSize: 16, seed: seed)
    return try TrainingRun(network: network, configuration: configuration, rng: rng)
}

private func entries(_ texts: [String]) throws -> TrainingSchedule {
    TrainingSchedule(try texts.map { try ScheduleEntry(parsing: $0) })
}

private func values(_ network: Network) -> [[Float]] {
    network.namedParameters.map { $0.parameter.value.scalars } + network.namedBuffers.map { $0.buffer.scalars }
}

@Test("schedule entries parse from text, print back the same, and bad text names the problem")
func scheduleEntriesParse() throws {
    let e = try ScheduleEntry(parsing: "5:eigenremove:conv10:0.75:rank=0.125")
    #expect(e.epoch == 5)
    #expect(e.operation.operation == .eigenremove)
    #expect(e.operation.layer == "conv10")
    #expect(e.operation.fraction == 0.75)
    #expect(e.operation.rankRatio == 0.125)
    #expect(e.description == "5:eigenremove:conv10:0.75:rank=0.125")
    let r = try ScheduleEntry(parsing: "3:reinit:layers.4:units=1,4:init=he:zero-outgoing:seed=9")
    #expect(r.operation.units == [1,
            4,
        ] && r.operation.initialization == "he" && r.operation.zeroOutgoing == true && r.operation.seed == 9)
    #expect(try ScheduleEntry(parsing: r.description) == r)
    #expect(try ScheduleEntry(parsing: "0:fold-bn").operation.layer == nil)
    for (text, fragment) in [("x:expand:fc1:0.5", "EPOCH"), ("-1:expand:fc1:0.5", "EPOCH"), ("2:shrink:fc1:0.5",
        "unknown operation 'shrink'"),
                             ("2:expand:fc1:size=3", "unknown key 'size'"), ("2:expand:fc1:0.5:0.25", "two fractions"),
                             ("2:expand:fc1::0.5", "empty"), ("2:expand:0.5:fc1", "layer comes right after")] {
        #expect(throws: ScheduleError.self) { try ScheduleEntry(parsing: text) }
        do { _ = try ScheduleEntry(parsing: text) } catch { #expect("\(error)".contains(fragment),
                                                                    "\(text): \(error)") }
    }
}

@Test("schedule files are read strictly: objects or text entries, unknown keys rejected")
func scheduleFilesAreStrict() throws {
    let good =
        #"{"entries": [{"epoch": 2, "operation": "minweight", "layer": "c2", "fraction": 0.5}, "3:zero-expand:fc1:to=12"]}"#
    let s = try TrainingSchedule(json: Array(good.utf8), file: "s.json")
    #expect(s.entries.count == 2)
    #expect(s.entries[0].operation.operation == .minweight && s.entries[0].operation.layer == "c2")
    #expect(s.entries[1].operation.to == 12)
    for (text, fragment) in [
        (#"{"entries": [{"epoch": 2, "operation": "minweight", "layr": "c2"}]}"#, "entries[0].layr: unknown key"),
                             (#"{"entries": [{"operation": "minweight"}]}"#, "missing key epoch"),
                             (#"{"entries": [{"epoch": 1, "operation": "grow"}]}"#, "entries[0]"),
                             (#"{"steps": []}"#, "expected {\"entries\""), ("[1", "not valid JSON")] {
        do { _ = try TrainingSchedule(json: Array(text.utf8),
                                      file: "s.json"); Issue.record("\(text) was accepted") } catch {
            #expect("\(error)".contains(fragment), "\(text): \(error)")
            #expect("\(error)".hasPrefix("s.json: "))
        }
    }
}

@Test("counted layer names: cK is the K-th Conv2D, fK the K-th Dense, of the network as it is")
func countedLayerNames() throws {
    var rng = RandomSource(seed: 1)
    let network = try Network(scheduleCNN, rng: &rng)
    func path(_ name: String) throws -> String? { try ScheduleOperation(operation: .freeze,
        layer: name).layerPath(in: network)?.description }
    #expect(try path("c1") == "layers.0")
    #expect(try path("conv2") == "layers.4")
    #expect(try path("f1") == "layers.9")
    #expect(try path("fc2") == "layers.12")
    #expect(try path("dense1") == "layers.9")
    #expect(try path("layers.4") == "layers.4")
    #expect(throws: ScheduleError.self) { try path("c3") }
    #expect(throws: ScheduleError.self) { try path("layers.40") }
    #expect(throws: ScheduleError.self) { try path("x1") }
}

@Test(
    "validation runs the whole schedule on a copy of the evolving network; the first entry that cannot run is named and the network is unchanged"
)
func validationFollowsTheEvolvingNetwork() throws {
    let run = try makeRun()
    let network = run.network
    let before = values(network)
    // Folding the first BatchNorm shortens the list: layers.4 is then a ReLU, not a conv.
    let shifted = try entries(["1:fold-bn:layers.0", "2:minweight:layers.4:0.5"])
    do { try shifted.validate(against: network,
                              epochs: 5); Issue.record("accepted a layer that moved") } catch let e as ScheduleError {
        guard case .invalidEntry(let index, _, let reason) = e else { Issue.record("\(e)"); return }
        #expect(index == 1)
        #expect(reason.contains("layers.4"), "\(reason)")
    }
    // The counted name follows the layer instead.
    let steps = try entries(["1:fold-bn:layers.0", "2:minweight:c2:0.5", "3:expand:c2:to=5",
                             "3:eigenremove:f1:to=4:rank=0.5"])
        .validate(against: network, epochs: 5)
    #expect(steps.map(\.widthAfter) == [4, 3, 5, 4])  // folding keeps the conv at layers.0
    #expect(steps[1].widthBefore == 6)
    let cases: [(String, String)] = [
        ("2:minweight:c2:1", "(0, 1)"), ("2:minweight:c2:0", "(0, 1)"), ("2:expand:c2:-0.5", "positive"),
        ("2:remove:c1:units=1,9", "9"), ("2:minweight:c1:to=9", "9"), ("2:eigenremove:c1:0.5", "rank="),
        ("2:eigenremove:c1:0.5:rank=1.5", "(0, 1]"), ("7:expand:c1:0.5", "after the run's last epoch 5"),
        ("2:expand:c9:0.5", "2 Conv2D layers"), ("2:remove:f2:units=0", "outputs"), ("2:expand:c1:units=1",
            "units=... applies"),
    ]
    for (text, fragment) in cases {
        do { try entries([text]).validate(against: network, epochs: 5); Issue.record("\(text) was accepted") } catch {
            #expect("\(error)".contains(fragment), "\(text): \(error)")
            #expect("\(error)".hasPrefix("schedule entry 1 (\(text))"), "\(error)")
        }
    }
    #expect(values(network) == before)
    #expect(network.architecture == scheduleCNN)
}

@Test(
    "a scheduled run applies each entry after its epoch, records it with its loss factors, and function-preserving operations measure a factor of 1"
)
func scheduledRunAppliesAndMeasures() throws {
    let data = brightThirdImages(96, seed: 2)
    let run = try makeRun()
    let schedule = try entries(["1:zero-expand:c1:0.5", "1:expand:f1:to=12", "2:minweight:c2:0.5",
                                "2:eigenremove:f1:to=6:rank=0.5", "3:freeze:c1"])
    let scheduled = try ScheduledTraining(run: run, schedule: schedule, epochs: 4, probe: PrefixDataset(data,
        count: 48))
    var seen: [ScheduleEvent] = []
    scheduled.eventProgress = { seen.append($0) }
    try scheduled.train(data)
    #expect(run.completedEpochs == 4)
    #expect(seen.map(\.text) == scheduled.events.map(\.text))  // reported as they ran (epoch losses after come later)
    #expect(scheduled.events.map(\.epoch) == [1, 1, 2, 2, 3])
    #expect(scheduled.events.map(\.widthBefore) == [4, 8, 6, 12, 6])
    #expect(scheduled.events.map(\.widthAfter) == [6, 12, 3, 6, 6])
    for event in scheduled.events.prefix(2) {  // ZeroExpand and WeakExpand keep the function (eval mode, BN present)
        #expect(abs(event.lossFactor - 1) < 1e-5, "\(event.text): \(event.lossFactor)")
        #expect(event.epochLossBefore != nil && event.epochLossAfter != nil)
    }
    #expect(scheduled.events[4].epochLossAfter != nil)  // epoch 4 ran after the freeze
    #expect(run.history.map(\.operation) == ["zero-expand", "expand", "minweight", "eigenremove", "freeze"])
    #expect(run.history.map(\.epoch) == [1, 1, 2, 2, 3])
    #expect((run.network.layers[0] as! Conv2D).weight.mask != nil)
    #expect(scheduled.lossFactors.count == 5)
    #expect(ScheduledTraining.median([3, 1, 2]) == 2 && ScheduledTraining.median([4, 1, 2,
        3]) == 2.5 && ScheduledTraining.median([]) == nil)
}

@Test(
    "a scheduled run saved after any epoch and resumed ends bit for bit as the uninterrupted run, and can extend its schedule"
)
func scheduledRunResumesExactly() throws {
    BLAS.setThreads(1)
    let data = brightThirdImages(64, seed: 3)
    let texts = ["0:zero-expand:f1:0.25", "1:random-remove:c2:0.5", "2:reinit:c1:0.5:init=he", "3:expand:c2:0.5"]
    let straight = try ScheduledTraining(run: try makeRun(), schedule: try entries(texts), epochs: 4,
                                         probe: PrefixDataset(data, count: 32))
    try straight.train(data)
    for stopAfter in [0, 2] {
        let folder = TemporaryDirectory("sculpt-schedule")
        defer { folder.remove() }
        let dir = folder.file("run")
        let first = try ScheduledTraining(run: try makeRun(), schedule: try entries(texts), epochs: 4,
                                          probe: PrefixDataset(data, count: 32))
        try first.train(data, saveTo: dir, stoppingAfter: stopAfter)
        let resumed = try ScheduledTraining.load(from: dir, probe: { _ in PrefixDataset(data, count: 32) })
        #expect(resumed.run.completedEpochs == stopAfter)
        try resumed.train(data, saveTo: dir)
        #expect(values(resumed.run.network) == values(straight.run.network), "stopped after \(stopAfter)")
        #expect(resumed.run.network.architecture == straight.run.network.architecture)
        #expect(resumed.events.map(\.lossAfter) == straight.events.map(\.lossAfter))
        #expect(resumed.events.map(\.epochLossAfter) == straight.events.map(\.epochLossAfter))
        #expect(resumed.run.history == straight.run.history)
    }
    // Extending: entries must come after the epochs already done, and are validated.
    let folder = TemporaryDirectory("sculpt-schedule")
    defer { folder.remove() }
    let dir = folder.file("run")
    try ScheduledTraining(run: try makeRun(), schedule: try entries(texts), epochs: 4, probe: PrefixDataset(data,
        count: 32))
        .train(data, saveTo: dir, stoppingAfter: 2)
    #expect(throws: ScheduleError.self) { try ScheduledTraining.load(from: dir, probe: { _ in data },
            adding: [try ScheduleEntry(parsing: "1:expand:c1:0.5")], epochs: 4)
    }
    #expect(throws: ScheduleError.self) { try ScheduledTraining.load(from: dir, probe: { _ in data },
            adding: [try ScheduleEntry(parsing: "3:expand:c7:0.5")], epochs: 4)
    }
    #expect(throws: ScheduleError.self) { try ScheduledTraining.load(from: dir, probe: { _ in data }, epochs: 1) }
    let extended = try ScheduledTraining.load(from: dir, probe: { _ in data },
                                              adding: [try ScheduleEntry(parsing: "4:minweight:f1:to=3")], epochs: 5)
    try extended.train(data)
    #expect(extended.events.count == 5 && extended.events.last?.widthAfter == 3)
}

@Test(
    "requests written while the run trains are applied after the epoch; bad ones are rejected with a reason; stop ends the run resumably"
)
func requestsAreAppliedAfterTheEpoch() throws {
    let folder = TemporaryDirectory("sculpt-requests")
    defer { folder.remove() }
    let data = brightThirdImages(64, seed: 4)
    let run = try makeRun()
    let scheduled = try ScheduledTraining(run: run, schedule: try entries(["2:minweight:f1:0.5"]), epochs: 4,
                                          probe: PrefixDataset(data, count: 32))
    let requests = folder.file("requests")
    scheduled.requestsFile = requests
    let text = "# a person at the terminal\nexpand:c1:to=6\nminweight:c1:to=9\nremove:f1:units=0,1,2,3,4,5,6,7\n\n"
        + "epochs 3\n"
    try Array(text.utf8).write(toFile: requests)
    scheduled.epochProgress = { report in
        if report.epoch == 2 { try? Array("stop\n".utf8).write(toFile: requests) }
    }
    try scheduled.train(data)
    #expect(run.completedEpochs == 2)
    #expect(scheduled.stopRequested)
    #expect(scheduled.epochs == 3)
    let requested = scheduled.events.filter { $0.source == .request }
    #expect(requested.map(\.text) == ["expand:c1:to=6", "minweight:c1:to=9", "remove:f1:units=0,1,2,3,4,5,6,7"])
    #expect(requested[0].applied && requested[0].widthAfter == 6)
    #expect(requested[1].rejected?.contains("9") == true)
    // Removing every unit of f1 is refused (and would also break the scheduled minweight on f1).
    #expect(requested[2].rejected != nil)
    #expect(scheduled.events.filter { $0.source == .schedule }.count == 1)
    // A request that would break a later scheduled entry is refused and says which.
    let guarded = try ScheduledTraining(run: try makeRun(), schedule: try entries(["2:minweight:layers.4:0.5"]),
                                        epochs: 3,
                                        probe: PrefixDataset(data, count: 32))
    guarded.requestsFile = requests
    try Array("fold-bn:layers.0\n".utf8).write(toFile: requests)
    try guarded.train(data)
    let refused = try #require(guarded.events.first { $0.source == .request })
    #expect(refused.rejected?.contains("would make the scheduled entry 2:minweight:layers.4:0.5 impossible") == true,
            "\(refused.rejected ?? "")")
    #expect(guarded.events.filter(\.applied).count == 1)
    #expect(!FileManager.default.fileExists(atPath: requests))
}

private extension Array where Element == UInt8 {
    func write(toFile path: String) throws { try Data(self).write(to: URL(fileURLWithPath: path)) }
}

@Test("the one plan builder validates against the network, bounds sizes and names the field each front end spells")
func planBuilderValidatesAndNamesFields() throws {
    let network = try makeRun().network
    let before = values(network)
    let huge = ScheduleOperation(operation: .zeroExpand, layer: "c1", to: 1_000_000_000_000)
    do { _ = try huge.plan(for: network); Issue.record("accepted an absurd width") } catch let e as ScheduleError {
        guard case .invalidField(_, let field, _) = e else { Issue.record("\(e)"); return }
        #expect(field == .to)
        #expect(e.reason.contains("1000000000000 exceeds the largest layer width"), "\(e)")
    }
    let large = ScheduleOperation(operation: .zeroExpand, layer: "c1", to: 1_000_000)
    do { _ = try large.plan(for: network,
                            memoryLimit: 1024 * 1024); Issue.record("accepted") } catch let e as ScheduleError {
        guard case .invalidField(_, let field, _) = e else { Issue.record("\(e)"); return }
        #expect(field == .to)
        #expect(
            e.reason.contains("at 1000000 units needs an estimated") && e.reason.contains("above the limit of 1.0 MiB"),
                "\(e)")
    }
    do { _ = try ScheduleOperation(operation: .expand,
            layer: "c1"
        ).plan(for: network); Issue.record("accepted")
    } catch let e as ScheduleError {
        #expect(e.reason == "expand needs to=N or a fraction")
        #expect(e.reason(naming: { "--" + $0.rawValue }) == "expand needs --to or --fraction")
        #expect(e.description == "expand:c1: expand needs to=N or a fraction")
    }
    // A width the operation cannot reach is refused by the builder itself, not only when applied.
    #expect(throws: ScheduleError.self) { try ScheduleOperation(operation: .minweight, layer: "c1",
                                                                to: 99).plan(for: network) }
    #expect(throws: ScheduleError.self) { try ScheduleOperation(operation: .collapse, layer: "c1").plan(for: network) }
    let frozen = try ScheduleOperation(parsing: "freeze:parameters=layers.0.weight").plan(for: network)
    #expect(frozen == .freeze(.parameters(["layers.0.weight"])))
    #expect(throws: ScheduleError.self) {
        try ScheduleOperation(parsing: "minweight:c1:0.5:parameters=layers.0.weight").plan(for: network)
    }
    // Fractions round down with a 1e-3 tolerance: 0.6666 of 3 units keeps 2 (2/3 written short).
    #expect(UnitCount.share(0.6666, of: 3) == 2)
    #expect(values(network) == before)
}

@Test(
    "zero-expand follows the thesis by default (zero incoming weights and bias: the new units stay dead through training); init=NAME gives them random incoming weights that learn"
)
func zeroExpandVariants() throws {
    let data = brightThirdImages(64, seed: 4)
    func newUnitValues(_ scheme: String?) throws -> (incoming: [Float], outgoing: [Float], factor: Double) {
        let run = try makeRun()
        let text = "0:zero-expand:f1:to=12" + (scheme.map { ":init=" + $0 } ?? "")
        let scheduled = try ScheduledTraining(run: run, schedule: try entries([text]), epochs: 2,
                                              probe: PrefixDataset(data, count: 32))
        try scheduled.train(data)
        let dense = run.network.layers[9] as! Dense, next = run.network.layers[12] as! Dense
        let w = dense.weight.value.scalars, out = next.weight.value.scalars
        let incoming = Array(w[(8 * 24)...]) + Array(dense.bias!.value.scalars[8...])
        let outgoing = (0..<3).flatMap { row in out[(row * 12 + 8)..<(row * 12 + 12)] }
        return (incoming, outgoing, scheduled.events[0].lossFactor)
    }
    let thesis = try newUnitValues(nil)
    #expect(abs(thesis.factor - 1) < 1e-5)
    #expect(thesis.incoming.allSatisfy { $0 == 0 } && thesis.outgoing.allSatisfy { $0 == 0 })  // dead after 2 epochs
    let random = try newUnitValues("pytorch")
    #expect(abs(random.factor - 1) < 1e-5)
    #expect(random.incoming.contains { $0 != 0 } && random.outgoing.contains { $0 != 0 })  // they learned
    #expect(throws: ScheduleError.self) { try ScheduleEntry(parsing: "0:zero-expand:f1:to=12:init=bogus")
        .operation.plan(for: try makeRun().network, defaultSeed: 1) }
}
