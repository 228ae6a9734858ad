import ArgumentParser
import Foundation

@main
struct Sculpt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sculpt",
        abstract: "Measure and exploit the redundancy of dense and convolutional networks.",
        subcommands: [
            Version.self, Paint.self, Train.self, Eval.self, Inspect.self, Analyze.self, Surgery.self,
            PartialCommand.self, Lottery.self, Restart.self, ScheduleCommand.self, ServeCommand.self, RunCommand.self,
            TableCommand.self, ReportCommand.self, Bench.self, TrialWorkerCommand.self,
            WorkerCommand.self, StatusCommand.self, DbCommand.self,
        ]
    )

    /// Parses and runs a command. A flag the parser rejects (not a number, missing value) is bad
    /// input like any other: one line naming the flag and the reason on stderr, exit code 2.
    static func main() {
        do {
            var command = try parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data("sculpt: error: \(message(for: error))\n".utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")
    func run() { print("sculpt 0.1.0") }
}
