import ArgumentParser

@main
struct Sculpt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sculpt",
        abstract: "Measure and exploit the redundancy of dense and convolutional networks.",
        subcommands: [Version.self, Paint.self, Train.self, Eval.self, Inspect.self, RunCommand.self, TableCommand.self, Bench.self, TrialWorkerCommand.self, Lottery.self]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("sculpt 0.1.0") }
}
