import ArgumentParser
import Foundation
import SculptData
import SculptIO
import SculptNN
import SculptRecipes

#if Dashboard
import SculptServe
#endif

/// `sculpt serve RUN`: the live dashboard of a run folder that a `sculpt schedule` process is training.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the live dashboard of a run folder that `sculpt schedule --out RUN` is training.",
        discussion: """
            Follows RUN.events (the run's batches, epochs and operations) and RUN's checkpoint (the layers, as of \
            the last saved epoch), and journals the page's requests into RUN.journal, which the training process \
            reads between batches. Binds 127.0.0.1 unless a host is given; prints the address with a token. \
            Built only with the Dashboard package trait (swift build --traits Dashboard).
            """
    )

    @Argument(help: "The run folder (the --out of `sculpt schedule`).")
    var folder: String
    @Option(
        help:
            "The run's data, as given to `sculpt schedule` (the units and previews are measured on its first samples).")
    var data: String
    @Option(help: "[HOST:]PORT to listen on (default 127.0.0.1:8080; 0: any free port).")
    var address: String = "8080"
    @Option(help: "Stop after this many seconds (default: run until interrupted).")
    var seconds: Double?
    @Flag(help: "Print one JSON object on stdout (the address) once the server is up.")
    var json = false

    /// The line a dashboard command prints when this `sculpt` was built without the trait.
    static func disabled(_ flag: String) -> String {
        "\(flag): this sculpt was built without the dashboard; build it with the Dashboard trait: "
            + "swift build --traits Dashboard (or swift run --traits Dashboard sculpt ...)"
    }

    func run() throws { try Output.guarded { try execute() } }

    private func execute() throws {
        #if Dashboard
        if let seconds, seconds <= 0 { throw UsageError("--seconds must be positive, got \(seconds)") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.load(from: folder) } catch { throw UsageError("\(folder): \(error)") }
        guard let loss = checkpoint.training?.configuration.loss else {
            throw UsageError(
                "\(folder): the checkpoint holds no training state: it is not a run folder of sculpt schedule")
        }
        let loaded = try loadData(data)
        let probeData = try adapt(loaded.train, to: checkpoint.network, dataName: data)
        let source = FolderSource(folder: folder) { network in try adapt(loaded.train, to: network, dataName: data) }
        let server: DashboardServer
        do {
            server = try DashboardServer.start(
                run: (folder as NSString).lastPathComponent, source: source,
                probe: DashboardProbe(probeData, loss: loss), address: address)
        } catch { throw UsageError("--address \(address): \(error)") }
        for line in server.banner { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        if json {
            try Output.printJSON(["url": server.url(), "token": server.configuration.token])
            fflush(nil)
        }
        let end = seconds.map { Date().addingTimeInterval($0) } ?? .distantFuture
        while Date() < end { Thread.sleep(forTimeInterval: Swift.min(1, end.timeIntervalSinceNow)) }
        server.stopBlocking()
        #else
        throw UsageError(Self.disabled("sculpt serve"))
        #endif
    }
}
