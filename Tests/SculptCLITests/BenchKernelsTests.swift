import Foundation
import Testing

/// `sculpt bench` records the BLAS kernels its figures were measured with, and OPENBLAS_CORETYPE
/// in the environment wins over Sculpt's own choice (Sources/CLinearAlgebraSetup/kernels.c).
@Suite struct BenchKernelsTests {
    /// `sculpt bench --json` for a 64^3 sgemm, with `environment` added; the report's `blas` object.
    static func blas(environment extra: [String: String]) throws -> [String: Any] {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = me.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("sculpt").path),
              folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        let process = Process()
        process.executableURL = folder.appendingPathComponent("sculpt")
        process.arguments = ["bench", "--workloads", "gemm", "--gemm-size", "64", "--threads", "1", "--reps", "1",
                             "--json"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let report = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let records = report?["records"] as? [[String: Any]]
        #expect(records?.count == 1 && (records?.first?["gflops"] as? Double ?? 0) > 0)
        return try #require(report?["blas"] as? [String: Any])
    }

    @Test("the report names the kernels; OPENBLAS_CORETYPE=Prescott is honoured and said to come from the environment")
    func kernelsAreReportedAndTheEnvironmentWins() throws {
        #if os(Linux) && arch(x86_64)
        let own = try Self.blas(environment: [:])
        let core = try #require(own["core"] as? String)
        #expect((own["library"] as? String)?.hasPrefix("OpenBLAS") == true)
        #expect(own["setByEnvironment"] as? Bool == false)
        if own["bestForCPU"] is String { #expect(core.lowercased() != "prescott") }
        let forced = try Self.blas(environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect((forced["core"] as? String)?.lowercased() == "prescott")
        #expect(forced["setByEnvironment"] as? Bool == true)
        #expect(forced["replacedCore"] == nil)
        #endif
    }
}
