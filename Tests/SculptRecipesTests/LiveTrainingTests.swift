import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import TestSupport
import Testing

@testable import SculptRecipes

/// flatten - dense(64->12)-ReLU - dense(12->3), 1x8x8 inputs.
private let liveMLP = Architecture(
    inputShape: [1, 8, 8],
    layers: [
        .flatten, .dense(inputs: 64, outputs: 12, bias: true), .activation(.relu),
        .dense(inputs: 12, outputs: 3, bias: true),
    ])

private func makeRun(seed: UInt64 = 3) throws -> TrainingRun {
    var rng = RandomSource(seed: seed)
    let network = try Network(liveMLP, rng: &rng)
    let configuration = TrainingConfiguration(
        optimizer: .sgd(
            learningRate: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0,
            nesterov: false), batchSize: 16, seed: seed)
    return try TrainingRun(network: network, configuration: configuration, rng: rng)
}

private func weights(_ network: Network) -> [[Float]] { network.namedParameters.map { $0.parameter.value.scalars } }

/// Records events; may act on a batch (append to the journal, as a dashboard would from another thread).
private final class Recorder: TrainingObserver {
    var events: [LiveEvent] = []
    var copies: [NetworkCopy] = []
    var onBatch: ((BatchMetrics) throws -> Void)?
    var wantsNetworkCopies: Bool { true }
    func training(_ event: LiveEvent) {
        events.append(event)
        if case .batch(let b) = event { try? onBatch?(b) }
    }
    func training(networkChanged copy: NetworkCopy) { copies.append(copy) }
}

@Test("the journal numbers requests, keeps them on disk, is shared by two writers and skips lines that are not entries")
func journalAppendsAndReads() throws {
    let folder = TemporaryDirectory("sculpt-journal")
    defer { folder.remove() }
    let path = RequestJournal.path(forRun: folder.file("run") + "/")
    #expect(path == folder.file("run") + ".journal")
    let a = RequestJournal(path: path)
    let b = RequestJournal(path: path)
    #expect(a.entries(after: 0).isEmpty)
    #expect(try a.append("expand:fc1:to=20", who: "dashboard") == 1)
    #expect(try b.append("pause", who: "cli") == 2)
    let handle = try #require(FileHandle(forWritingAtPath: path))
    handle.seekToEndOfFile()
    handle.write(Data("not json\n".utf8))
    handle.closeFile()
    #expect(try a.append("resume", who: "dashboard") == 3)
    #expect(b.entries(after: 0).map(\.text) == ["expand:fc1:to=20", "pause", "resume"])
    #expect(a.entries(after: 2).map(\.id) == [3])
    #expect(a.entries(after: 2).first?.who == "dashboard")
    #expect(throws: JournalError.self) {
        try RequestJournal(path: folder.file("missing/dir/x.journal")).append("stop", who: "t")
    }
}

@Test("live events encode as one JSON line with a type and decode back, non-finite numbers included")
func liveEventsRoundTrip() throws {
    let events: [LiveEvent] = [
        .batch(BatchMetrics(epoch: 2, batch: 5, batches: 9, loss: 0.5, accuracy: nil)),
        .epoch(
            try JSONDecoder().decode(
                EpochReport.self, from: Data(#"{"epoch":3,"loss":0.25,"accuracy":0.5,"seconds":1}"#.utf8))),
        .state(.paused), .length(epochs: 12),
    ]
    for event in events {
        let line = try event.jsonLine()
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(try LiveEvent(jsonLine: line.dropLast()) == event)
    }
    #expect(String(decoding: try LiveEvent.state(.paused).jsonLine(), as: UTF8.self).contains("\"type\":\"state\""))
    #expect(throws: DecodingError.self) { try LiveEvent(jsonLine: Array(#"{"type":"shout"}"#.utf8)) }
}

@Test(
    "a journaled request runs between batches, validated as a scheduled entry; watching alone changes no number"
)
func requestsRunBetweenBatches() throws {
    let folder = TemporaryDirectory("sculpt-live")
    defer { folder.remove() }
    let data = brightThirdImages(96, seed: 2)
    // Watched without requests: the same weights as unwatched.
    let plain = try makeRun()
    let watched = try makeRun()
    try ScheduledTraining(run: plain, schedule: TrainingSchedule(), epochs: 2, probe: PrefixDataset(data, count: 32))
        .train(data)
    let watching = try ScheduledTraining(
        run: watched, schedule: TrainingSchedule(), epochs: 2, probe: PrefixDataset(data, count: 32))
    let quiet = Recorder()
    watching.observers = [quiet]
    watching.attach(journal: RequestJournal(path: folder.file("quiet.journal")))
    try watching.train(data)
    #expect(weights(plain.network) == weights(watched.network))
    #expect(quiet.events.filter { if case .batch = $0 { true } else { false } }.count == 12)
    #expect(quiet.events.last == .state(.finished))

    let run = try makeRun()
    let scheduled = try ScheduledTraining(
        run: run, schedule: TrainingSchedule([try ScheduleEntry(parsing: "2:minweight:fc1:to=10")]),
        epochs: 2, probe: PrefixDataset(data, count: 32))
    let journal = RequestJournal(path: folder.file("run.journal"))
    try journal.append("expand:fc9:to=3", who: "an earlier run")  // a fresh run skips what was there
    scheduled.attach(journal: journal)
    let recorder = Recorder()
    recorder.onBatch = { b in
        if b.epoch == 2, b.batch == 1 {
            try journal.append("expand:fc1:to=16", who: "dashboard")
            try journal.append("minweight:fc1:to=20", who: "dashboard")  // wider than the layer: rejected
            try journal.append("minweight:fc1:to=8", who: "dashboard")  // would break the entry at epoch 2
        }
    }
    scheduled.observers = [recorder]
    try scheduled.train(data)
    let requested = scheduled.events.filter { $0.source == .request }
    #expect(requested.map(\.text) == ["expand:fc1:to=16", "minweight:fc1:to=20", "minweight:fc1:to=8"])
    #expect(requested[0].applied && requested[0].epoch == 1 && requested[0].batch == 2 && requested[0].widthAfter == 16)
    #expect(requested[0].requestID == 2 && requested[0].who == "dashboard")
    #expect(requested[1].rejected != nil && requested[2].rejected?.contains("2:minweight:fc1:to=10") == true)
    #expect(scheduled.journalApplied == 4)
    #expect(scheduled.events.last?.source == .schedule && scheduled.events.last?.widthAfter == 10)
    // The observers saw the operation and a network copy with the new width, before the epoch ended.
    let copy = try #require(
        recorder.copies.first { $0.network.parameterCount != recorder.copies[0].network.parameterCount })
    #expect(copy.network.layers[1].parameterCount == 16 * 64 + 16)
    #expect(
        recorder.events.contains(.operation(requested[0]))
            || recorder.events.contains {
                if case .operation(let o) = $0 { o.text == "expand:fc1:to=16" } else { false }
            })
}

@Test("an acknowledged request survives a crash: after the resume it runs once, and never again")
func journaledRequestsRunExactlyOnceAcrossResume() throws {
    let folder = TemporaryDirectory("sculpt-crash")
    defer { folder.remove() }
    let data = brightThirdImages(64, seed: 6)
    let dir = folder.file("run")
    let journal = RequestJournal(path: RequestJournal.path(forRun: folder.file("run")))
    let first = try ScheduledTraining(
        run: try makeRun(), schedule: TrainingSchedule(), epochs: 3, probe: PrefixDataset(data, count: 32))
    first.attach(journal: journal)
    try first.train(data, saveTo: dir, stoppingAfter: 1)
    // The request is applied within epoch 2 and the process dies before epoch 2 is saved (it trains
    // that epoch without saving: the folder on disk stays as a crash would leave it).
    let dying = try ScheduledTraining.load(from: dir, probe: { _ in data })
    dying.attach(journal: journal)
    let crasher = Recorder()
    crasher.onBatch = { b in if b.epoch == 2, b.batch == 0 { try journal.append("expand:fc1:to=15", who: "dashboard") }
    }
    dying.observers = [crasher]
    try dying.train(data, stoppingAfter: 2)
    #expect(dying.events.contains { $0.text == "expand:fc1:to=15" && $0.applied })
    // Resumed: the request runs again (the saved network never had it), once.
    let resumed = try ScheduledTraining.load(from: dir, probe: { _ in data })
    resumed.attach(journal: journal)
    #expect(resumed.journalApplied == 0)
    try resumed.train(data, saveTo: dir, stoppingAfter: 2)
    #expect(resumed.events.filter { $0.text == "expand:fc1:to=15" && $0.applied }.count == 1)
    #expect(resumed.run.network.layers[1].parameterCount == 15 * 64 + 15)
    let again = try ScheduledTraining.load(from: dir, probe: { _ in data })
    again.attach(journal: journal)
    #expect(again.journalApplied == 1)
    try again.train(data, saveTo: dir)
    #expect(again.events.filter { $0.text == "expand:fc1:to=15" }.count == 1)
    #expect(again.run.completedEpochs == 3)
}

@Test("pause holds the loop between batches until resume; stop ends the run after the current batch")
func pauseResumeAndStop() throws {
    let folder = TemporaryDirectory("sculpt-pause")
    defer { folder.remove() }
    let data = brightThirdImages(64, seed: 8)
    let run = try makeRun()
    let scheduled = try ScheduledTraining(
        run: run, schedule: TrainingSchedule(), epochs: 4, probe: PrefixDataset(data, count: 32))
    let journal = RequestJournal(path: folder.file("run.journal"))
    scheduled.attach(journal: journal)
    let recorder = Recorder()
    var pausedAt: Date?
    recorder.onBatch = { b in
        if b.epoch == 1, b.batch == 1 {
            try journal.append("pause", who: "t")
            pausedAt = Date()
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.4)
                _ = try? RequestJournal(path: journal.path).append("resume", who: "t")
            }
        }
        if b.epoch == 2, b.batch == 0 { try journal.append("stop", who: "t") }
    }
    scheduled.observers = [recorder]
    try scheduled.train(data)
    #expect(Date().timeIntervalSince(try #require(pausedAt)) >= 0.35)
    #expect(run.completedEpochs == 1)
    #expect(scheduled.partialEpoch?.epoch == 2 && scheduled.partialEpoch?.batches == 1)
    #expect(scheduled.stopRequested)
    let states = recorder.events.compactMap { if case .state(let s) = $0 { s } else { nil } }
    #expect(states == [.training, .paused, .training, .stopping, .finished])
}

@Test("a stop between batches saves where the epoch stopped; --resume trains its rest: the numbers of an unstopped run")
func stopBetweenBatchesResumesMidEpoch() throws {
    let folder = TemporaryDirectory("sculpt-stop-batch")
    defer { folder.remove() }
    let data = brightThirdImages(100, seed: 9)  // 7 batches of 16, the last of 4
    let plain = try ScheduledTraining(
        run: try makeRun(), schedule: TrainingSchedule(), epochs: 3, probe: PrefixDataset(data, count: 32))
    try plain.train(data)

    let dir = folder.file("run")
    let journal = RequestJournal(path: RequestJournal.path(forRun: dir))
    var stops = [(2, 2), (2, 4)]  // stop twice within epoch 2: after its 3rd, then (resumed) its 5th batch
    var resumes = 0
    var scheduled = try ScheduledTraining(
        run: try makeRun(), schedule: TrainingSchedule(), epochs: 3, probe: PrefixDataset(data, count: 32))
    while true {
        scheduled.attach(journal: journal)
        let recorder = Recorder()
        recorder.onBatch = { b in
            if let next = stops.first, next == (b.epoch, b.batch) {
                stops.removeFirst()
                try journal.append("stop", who: "t")
            }
        }
        scheduled.observers = [recorder]
        try scheduled.train(data, saveTo: dir)
        let batches = recorder.events.compactMap { if case .batch(let b) = $0 { b } else { nil } }
        if resumes > 0 { #expect(batches.first?.batch == (resumes == 1 ? 3 : 5) && batches.first?.batches == 7) }
        guard let partial = scheduled.partialEpoch else { break }
        #expect(partial.epoch == 2 && partial.batches == (resumes == 0 ? 3 : 5))
        #expect(scheduled.run.completedEpochs == 1)
        resumes += 1
        scheduled = try ScheduledTraining.load(from: dir, probe: { _ in data })
        #expect(scheduled.partialEpoch == partial)
    }
    #expect(resumes == 2)
    #expect(scheduled.run.completedEpochs == 3)
    #expect(weights(scheduled.run.network) == weights(plain.run.network))
    #expect(scheduled.run.reports.map(\.loss) == plain.run.reports.map(\.loss))
    #expect(scheduled.run.reports.map(\.accuracy) == plain.run.reports.map(\.accuracy))
}
