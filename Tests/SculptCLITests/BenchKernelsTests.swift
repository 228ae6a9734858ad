import Foundation
import Testing

/// `sculpt bench` records the BLAS kernels its figures were measured with, and OPENBLAS_CORETYPE
/// in the environment wins over Sculpt's own choice (Sources/CProcessSetup/kernels.c); and whether
/// subnormals were flushed (Sources/CProcessSetup/subnormals.c), and how Sculpt's code was compiled.
@Suite struct BenchKernelsTests {
    /// `sculpt bench --json` for a 64^3 sgemm with OPENBLAS_CORETYPE = `core` (nil: unset); the
    /// report's `blas` object.
    static func report(_ environment: [String: String?]) throws -> [String: Any] {
        let r = try PaintCommandTests.sculpt(
            ["bench", "--workloads", "gemm", "--gemm-size", "64", "--threads", "1", "--reps", "1", "--json"],
            environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let records = report?["records"] as? [[String: Any]]
        #expect(records?.count == 1 && (records?.first?["gflops"] as? Double ?? 0) > 0)
        return try #require(report)
    }

    static func blas(core: String?) throws -> [String: Any] {
        try #require(try report(["OPENBLAS_CORETYPE": core])["blas"] as? [String: Any])
    }

    @Test("subnormals are flushed unless SCULPT_SUBNORMALS=keep, and the report says which")
    func subnormalsAreReported() throws {
        #if os(Linux) && (arch(x86_64) || arch(arm64))
        #expect(try Self.report(["SCULPT_SUBNORMALS": nil])["subnormalsFlushed"] as? Bool == true)
        #expect(try Self.report(["SCULPT_SUBNORMALS": "keep"])["subnormalsFlushed"] as? Bool == false)
        #endif
    }

    @Test("the report says how Sculpt's code was compiled: the build's own host tuning (Package.swift)")
    func codegenIsReported() throws {
        // The test target is compiled with the same host tuning as the binary it runs.
        #if SCULPT_NATIVE && SCULPT_NO_RUNTIME_UNROLL
        let native = "native, no runtime unrolling"
        #elseif SCULPT_NATIVE
        let native = "native"
        #endif
        #if SCULPT_NATIVE && SCULPT_AVX512
        let expected = native + ", AVX-512"
        #elseif SCULPT_NATIVE
        let expected = native
        #else
        let expected = "portable"
        #endif
        #expect(try Self.report([:])["codegen"] as? String == expected)
    }

    @Test("the report names the kernels; OPENBLAS_CORETYPE=Prescott is honoured and said to come from the environment")
    func kernelsAreReportedAndTheEnvironmentWins() throws {
        #if os(Linux) && arch(x86_64)
        let own = try Self.blas(core: nil)
        let core = try #require(own["core"] as? String)
        #expect((own["library"] as? String)?.hasPrefix("OpenBLAS") == true)
        #expect(own["setByEnvironment"] as? Bool == false)
        if own["bestForCPU"] is String { #expect(core.lowercased() != "prescott") }
        let forced = try Self.blas(core: "Prescott")
        #expect((forced["core"] as? String)?.lowercased() == "prescott")
        #expect(forced["setByEnvironment"] as? Bool == true)
        #expect(forced["replacedCore"] == nil)
        #endif
    }
}
