import ArgumentParser
import Foundation
import SculptCore
import SculptData
import SculptIO
import SculptNN
import SculptRecipes
#if Dashboard
import SculptServe
#endif

/// `sculpt schedule`: training with surgery operations at given epochs, or requested by a
/// person while the run trains (Graham 2019's interruptible training).
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Train with surgery operations applied at given epochs or requested while the run trains.",
        discussion: """
        Each --at EPOCH:OP[:LAYER][:AMOUNT][:KEY=VALUE]... runs after EPOCH epochs (0: before training). \
        Examples:
          5:eigenremove:conv10:0.75:rank=0.125
              keep 3/4 of the 10th Conv2D's filters by EigenRemove (delta 1/8)
          9:minweight:fc2:to=300
              Minimum Weight Selection down to 300 units
          12:expand:c7:0.25
              WeakExpand: 1/4 more filters, function-preserving
          12:zero-expand:layers.3:to=96
              ZeroExpand to 96 (zero in and out, the thesis; :init=he: random in)
          15:reinit:conv2:0.1:init=he
              restart the 10% of filters with the smallest incoming norms
          3:freeze:conv1  8:unfreeze:conv1
              freeze a layer (or units=... / a fraction of its units), unfreeze it
          20:remove:layers.3:units=1,4  20:fold-bn  20:collapse

        Layers: paths (layers.3, layers.5.body.0) or counted names (convK / cK, fcK / fK: the K-th Conv2D or \
        Dense of the network at that moment). --schedule FILE reads {"entries": [{"epoch": 5, "operation": \
        "eigenremove", "layer": "conv10", "fraction": 0.75, "rankRatio": 0.125}, ...]} (entries may also be \
        text as for --at). The whole schedule is checked against the network as it will evolve before any \
        training.

        While the run trains, write operations without the epoch (expand:fc2:0.25), `stop` or `epochs N` \
        into the requests file (default OUT.requests): they run after the current epoch. Every operation \
        reports its loss factor on the probe set (just after / just before) and the factor of the training \
        losses of the epochs around it. A checkpoint is written after every epoch; --resume DIR continues \
        (more --at entries extend the schedule).

        --serve [HOST:]PORT serves a live dashboard (curves, layers, units, history, and the operations \
        above, applied between batches); it binds 127.0.0.1 unless a host is given and prints its address \
        with a token. Requests (page, requests file, `sculpt serve`) go to OUT.journal before they are \
        acknowledged.
        """
    )

    @OptionGroup var options: TrainingOptions
    @Option(name: .customLong("at"), help: "EPOCH:OP[:LAYER][:AMOUNT][:KEY=VALUE]... (repeatable).")
    var at: [String] = []
    @Option(help: "A schedule file (JSON).")
    var schedule: String?
    @Option(name: .customLong("probe-samples"),
            help: "Training samples the loss factors are measured on (default 5000).")
    var probeSamples: Int = 5000
    @Option(help: ArgumentHelp("A text file of requested operations, read after every epoch (default: OUT.requests "
                               + "when --out or --resume is given)."))
    var requests: String?
    @Flag(name: .customLong("dry-run"),
          help: "Check the schedule against the network as it will evolve and print it; train nothing.")
    var dryRun = false
    @Option(help: """
        Serve the live dashboard on [HOST:]PORT (127.0.0.1 unless a host is given; 0: any free port). \
        Needs --out or --resume.
        """)
    var serve: String?

    /// A failed run leaves nothing it created: the run folder and the journal and event log beside it.
    func run() throws {
        let beside = options.out.map { [RequestJournal.path(forRun: $0), LiveEventLog.path(forRun: $0)] } ?? []
        try Output.guarded(outputs: [options.out] + beside) { try execute() }
    }

    /// The operations of `--schedule` and `--at`, checked.
    private func readEntries() throws -> [ScheduleEntry] {
        guard probeSamples > 0, probeSamples <= 1 << 24 else {
            throw UsageError("--probe-samples must lie in [1, \(1 << 24)], got \(probeSamples)")
        }
        var entries: [ScheduleEntry] = []
        if let schedule {
            let bytes: [UInt8]
            do { bytes = try readFileBytes(schedule) } catch {
                throw UsageError("--schedule \(schedule): cannot read (\(error))")
            }
            do { entries = try TrainingSchedule(json: bytes, file: schedule).entries } catch {
                throw UsageError("--schedule \(error)")
            }
        }
        for text in at {
            do { entries.append(try ScheduleEntry(parsing: text)) } catch { throw UsageError("--at \(error)") }
        }
        if options.resume == nil, entries.isEmpty, requests == nil, options.out == nil, serve == nil {
            throw UsageError("--at or --schedule: give at least one operation (or --out, so operations can be "
                             + "requested while it runs)")
        }
        return entries
    }

    private func execute() throws {
        let entries = try readEntries()
        let prepared = try options.prepare()
        prepared.announceOverrides(json: options.json)
        let run = prepared.run
        let probe = PrefixDataset(prepared.train, count: probeSamples)
        let scheduled: ScheduledTraining
        do {
            if let resume = options.resume {
                scheduled = try ScheduledTraining.resume(run, savedIn: resume, probe: probe, adding: entries,
                                                         epochs: options.epochs)
            } else {
                scheduled = try ScheduledTraining(run: run, schedule: TrainingSchedule(entries),
                                                  epochs: prepared.epochs, probe: probe)
            }
        } catch {
            throw UsageError(options.resume.map { "--resume \($0): \(error)" } ?? "--at/--schedule: \(error)")
        }

        let preview = scheduled.pendingSteps
        try checkMemory(preview, run: run)
        if dryRun {
            if options.json { try Output.printJSON(DryRunResult(parameters: run.network.parameterCount,
                                                                epochs: scheduled.epochs, steps: preview)); return }
            print("schedule of \(preview.count) operations, checked against the network as it will evolve " +
                  "(\(run.network.parameterCount) parameters now):")
            for step in preview { print("  " + Self.describe(step)) }
            return
        }

        let target = prepared.target
        if serve != nil, target == nil {
            throw UsageError("--serve needs --out (or --resume): the run's requests are journaled beside it")
        }
        scheduled.requestsFile = requests ?? target.map { Self.requestsPath(for: $0) }
        if let target { scheduled.attach(journal: RequestJournal(path: RequestJournal.path(forRun: target))) }
        // The dashboard first: a bad address fails before anything is written.
        let dashboard = try serve.map {
            try Self.startDashboard($0, scheduled: scheduled, target: target!, prepared: prepared)
        }
        defer { dashboard?() }
        if let target {
            do {
                let log = try LiveEventLog(path: LiveEventLog.path(forRun: target), truncating: options.resume == nil)
                scheduled.observers.append(log)
            } catch { throw UsageError("--out \(target): \(error.localizedDescription)") }
        }
        if let file = scheduled.requestsFile, !options.json {
            print("requests: write operations (e.g. expand:fc1:0.25), `stop` or `epochs N` into \(file); they run " +
                  "after the current epoch")
        }
        let parametersAtStart = run.network.parameterCount
        let firstEpoch = run.completedEpochs, firstEvent = scheduled.events.count
        let log = RunLog(folder: target)
        scheduled.epochProgress = { report in
            try? log.record(report, network: run.network, events: scheduled.events)
            let line = options.progressLine(report, total: scheduled.epochs)
            Output.progress(line)
            if !options.json, !Output.isTerminal { print(line) }
        }
        scheduled.eventProgress = { event in
            Output.endProgress()
            if !options.json { print(Self.describe(event)) }
        }
        let start = Clock.now()
        try scheduled.train(prepared.train, validation: prepared.validation, augmentation: prepared.augmentation,
                            saveTo: target)
        Output.endProgress()
        let seconds = Clock.now() - start
        try report(scheduled, prepared: prepared, seconds: seconds, parametersAtStart: parametersAtStart,
                   firstEpoch: firstEpoch, firstEvent: firstEvent)
    }

    /// Evaluates the trained network and prints the run's result.
    private func report(_ scheduled: ScheduledTraining, prepared: TrainingOptions.Prepared, seconds: Double,
                        parametersAtStart: Int, firstEpoch: Int, firstEvent: Int) throws {
        let run = prepared.run, target = prepared.target
        let (testLoss, testAccuracy) = evaluate(run.network, on: prepared.test, loss: run.configuration.loss)
        let applied = scheduled.events.filter(\.applied)
        let result = ScheduleResult(
            testAccuracy: testAccuracy ?? 0, testLoss: testLoss, epochs: run.completedEpochs,
            epochsThisRun: run.completedEpochs - firstEpoch, seconds: seconds, parametersAtStart: parametersAtStart,
            parameters: run.network.parameterCount,
            stopped: scheduled.stopRequested && run.completedEpochs < scheduled.epochs,
            operations: applied.count, rejected: scheduled.events.count - applied.count,
            medianLossFactor: ScheduledTraining.median(applied.map(\.lossFactor)),
            medianEpochFactor: ScheduledTraining.median(applied.compactMap(\.epochFactor)),
            events: scheduled.events, eventsThisRun: scheduled.events.count - firstEvent, checkpoint: target)
        if options.json { try Output.printJSON(result); return }
        print("test accuracy \(result.testAccuracy), test loss \(result.testLoss) after \(result.epochs) epochs; "
              + "\(result.operations) operations (\(result.rejected) rejected), parameters \(parametersAtStart) -> " +
                "\(result.parameters)"
              + (result.medianLossFactor.map { ", median loss factor \(Self.format(factor: $0))" } ?? "")
              + (result.medianEpochFactor.map { ", median epoch factor \(Self.format(factor: $0))" } ?? "")
              + (target.map { ", checkpoint \($0)" } ?? "")
              + (result.stopped ? " (stopped on request" + (scheduled.partialEpoch.map {
                  " after batch \($0.batches) of epoch \($0.epoch)" } ?? "") + "; --resume continues)" : ""))
    }

    /// Refuses a schedule whose largest network (as it will evolve) would not fit in memory.
    private func checkMemory(_ steps: [SchedulePreviewStep], run: TrainingRun) throws {
        let largest = steps.map(\.parametersAfter).max() ?? 0
        guard largest > run.network.parameterCount else { return }
        // Values, gradients and up to two optimizer moments per parameter.
        let bytes = Double(largest) * 4 * 4
        do {
            try options.memory.budget().check(bytes, flag: "--at/--schedule",
                                              what: "the network the schedule grows (\(largest) parameters)")
        } catch let e as MemoryError { throw UsageError("\(e)") }
    }

    /// Starts the dashboard for `scheduled`; returns what stops it.
    static func startDashboard(_ address: String, scheduled: ScheduledTraining, target: String,
                               prepared: TrainingOptions.Prepared) throws -> () -> Void {
        #if Dashboard
        let source = LiveSource(journal: scheduled.journal!)
        scheduled.observers.append(source)
        let server: DashboardServer
        do {
            let probe = DashboardProbe(prepared.train, loss: prepared.run.configuration.loss)
            server = try DashboardServer.start(run: (target as NSString).lastPathComponent, source: source,
                                               probe: probe, address: address)
        } catch { throw UsageError("--serve \(address): \(error)") }
        for line in server.banner { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        return { server.stopBlocking() }
        #else
        throw UsageError(ServeCommand.disabled("--serve"))
        #endif
    }

    /// The requests file of a run folder: beside it, since the folder is replaced at each save.
    static func requestsPath(for target: String) -> String {
        (target.hasSuffix("/") ? String(target.dropLast()) : target) + ".requests"
    }

    static func format(factor: Double) -> String { String(format: "%.3f", factor) }

    static func describe(_ step: SchedulePreviewStep) -> String {
        let width = step.widthBefore.map { b in
            " \(b) -> " + (step.widthAfter.map(String.init) ?? "gone") + " units,"
        } ?? ""
        return "after epoch \(step.epoch): \(step.text):\(width) parameters \(step.parametersBefore) -> " +
               "\(step.parametersAfter)"
    }

    static func describe(_ event: ScheduleEvent) -> String {
        let origin = event.source == .request ? "request" : "entry \((event.entry ?? 0) + 1)"
        let when = "after epoch \(event.epoch)" + (event.batch.map { " + \($0) batches" } ?? "")
        if let reason = event.rejected { return "\(when): \(origin) '\(event.text)' rejected: \(reason)" }
        let width = event.widthBefore.map { b in
            " \(b) -> " + (event.widthAfter.map(String.init) ?? "gone") + " units,"
        } ?? ""
        let (before, after) = (String(format: "%.4f", event.lossBefore), String(format: "%.4f", event.lossAfter))
        let loss = "probe loss \(before) -> \(after) (x\(format(factor: event.lossFactor))), "
        return "\(when): \(origin) \(event.text):\(width) parameters \(event.parametersBefore) -> "
            + "\(event.parametersAfter), " + loss
            + "\(String(format: "%.1f", event.seconds * 1000)) ms"
    }
}

/// What `sculpt schedule --json` prints.
struct ScheduleResult: Encodable {
    var testAccuracy: Float
    var testLoss: Float
    var epochs: Int
    var epochsThisRun: Int
    var seconds: Double
    var parametersAtStart: Int
    var parameters: Int
    /// Whether a `stop` request ended the run before its last epoch.
    var stopped: Bool
    var operations: Int
    var rejected: Int
    /// Median over the applied operations of probe loss after / before.
    var medianLossFactor: Double?
    /// Median of training loss of the epoch after / of the epoch before.
    var medianEpochFactor: Double?
    /// Every operation of the run so far, applied or rejected.
    var events: [ScheduleEvent]
    var eventsThisRun: Int
    var checkpoint: String?
}

/// What `sculpt schedule --dry-run --json` prints.
struct DryRunResult: Encodable {
    var parameters: Int
    var epochs: Int
    var steps: [SchedulePreviewStep]
}
