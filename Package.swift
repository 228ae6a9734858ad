// swift-tools-version: 6.1
import PackageDescription
#if os(Linux)
import Foundation
#endif

// MARK: - Public API

let products: [Product] = [
    .library(name: "Sculpt", targets: [
        "SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery",
        "SculptRecipes", "SculptVisual", "SculptExperiments", "SculptAnalysis",
    ]),
    .executable(name: "sculpt", targets: ["sculpt"]),
]

// MARK: - Implementation details

let blas: [Target.Dependency] = [
    .target(name: "CLinearAlgebra", condition: .when(platforms: [.linux])),
    .target(name: "CProcessSetup", condition: .when(platforms: [.linux])),
]

let targets: [Target] = [
    .systemLibrary(
        name: "CLinearAlgebra",
        pkgConfig: nil,
        providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    // Before `main`: OpenBLAS's kernels for CPUs newer than the library, subnormals flushed (Sources/CProcessSetup).
    .target(name: "CProcessSetup"),
    .systemLibrary(name: "CZlib", pkgConfig: nil, providers: [.apt(["zlib1g-dev"])]),
    .target(name: "SculptCore", dependencies: blas, exclude: ["README.md"]),
    .target(name: "SculptData", dependencies: ["SculptCore", "CZlib"], exclude: ["README.md"]),
    .target(name: "SculptNN", dependencies: ["SculptCore", "SculptData"], exclude: ["README.md"]),
    .target(name: "SculptIO", dependencies: ["SculptCore", "SculptData", "SculptNN"], exclude: ["README.md"]),
    .target(
        name: "SculptSurgery", dependencies: ["SculptCore", "SculptData", "SculptNN", "SculptIO"],
        exclude: ["README.md"]),
    .target(
        name: "SculptRecipes", dependencies: ["SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery"],
        exclude: ["README.md"]),
    .target(name: "SculptVisual", dependencies: ["SculptCore", "SculptData", "SculptNN"], exclude: ["README.md"]),
    .target(name: "SculptAnalysis", dependencies: ["SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery",
                                                "SculptVisual"],
            exclude: ["README.md"]),
    .target(
        name: "SculptBenchmarks",
        dependencies: [
            "SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery",
                                                  "SculptAnalysis"],
            exclude: ["README.md"]),
    .target(name: "SculptExperiments", dependencies: [
        "SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery", "SculptRecipes", "SculptVisual",
        "SculptAnalysis",
        .product(name: "GRDB", package: "GRDB.swift"),
    ], exclude: ["README.md"]),
    .executableTarget(name: "sculpt", dependencies: [
        "SculptCore", "SculptData", "SculptNN", "SculptIO",
        "SculptSurgery", "SculptRecipes", "SculptVisual", "SculptExperiments", "SculptBenchmarks", "SculptAnalysis",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .target(name: "SculptServe", condition: .when(traits: ["Dashboard"])),
        .target(name: "SculptFleet", condition: .when(traits: ["Fleet"])),
    ], exclude: ["README.md"]),
    // The PostgreSQL results store for workers on many machines: built only with the Fleet trait (its sources
    // are `#if Fleet`), so the default build compiles no postgres-nio (and no TLS library).
    .target(name: "SculptFleet", dependencies: [
        "SculptCore", "SculptData", "SculptExperiments",
        .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Fleet"])),
    ], exclude: ["README.md"]),
    // The live dashboard: built only with the Dashboard trait (its sources are `#if Dashboard`), so the
    // default build compiles no web server.
    .target(name: "SculptServe", dependencies: [
        "SculptCore", "SculptData", "SculptNN", "SculptIO", "SculptSurgery", "SculptRecipes", "SculptAnalysis",
        .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Dashboard"])),
            .product(
                name: "HummingbirdWebSocket", package: "hummingbird-websocket", condition: .when(traits: ["Dashboard"])),
    ], exclude: ["README.md"]),

    // MARK: - Tests

    .target(name: "TestSupport", dependencies: ["SculptCore", "SculptNN"], path: "Tests/TestSupport"),
    .testTarget(name: "SculptCoreTests", dependencies: ["SculptCore", "TestSupport"]),
    .testTarget(name: "SculptDataTests", dependencies: ["SculptData", "SculptNN", "TestSupport"]),
    .testTarget(name: "SculptNNTests", dependencies: ["SculptNN", "SculptData", "TestSupport"],
                exclude: ["Reference"]),
    .testTarget(name: "SculptIOTests", dependencies: ["SculptIO", "SculptNN", "SculptData", "TestSupport"],
                exclude: ["Reference"]),
    .testTarget(
        name: "SculptSurgeryTests",
        dependencies: ["SculptSurgery", "SculptNN", "SculptData", "SculptIO", "TestSupport"]),
    .testTarget(
        name: "SculptRecipesTests",
        dependencies: ["SculptRecipes", "SculptSurgery", "SculptNN", "SculptData", "SculptCore", "TestSupport"]),
    .testTarget(
        name: "SculptBenchmarksTests",
        dependencies: ["SculptBenchmarks", "SculptCore", "SculptData", "SculptNN", "TestSupport"]),
    .testTarget(
        name: "SculptAnalysisTests",
        dependencies: [
            "SculptAnalysis", "SculptExperiments", "SculptRecipes", "SculptSurgery", "SculptIO", "SculptNN",
            "SculptData",
                                                           "SculptCore", "SculptVisual", "TestSupport"]),
    .testTarget(name: "SculptVisualTests", dependencies: ["SculptVisual", "SculptNN", "SculptData", "SculptCore"]),
    // The experiment tests' trial kind, and a stand-in `sculpt` executable with it for the multi-process tests.
    .target(name: "SculptExperimentsTestKinds", dependencies: ["SculptCore", "SculptExperiments"],
            path: "Tests/SculptExperimentsTestKinds"),
    .executableTarget(name: "SculptExperimentsFixture", dependencies: [
        "SculptExperiments", "SculptExperimentsTestKinds",
        .target(name: "SculptFleet", condition: .when(traits: ["Fleet"])),
    ], path: "Tests/SculptExperimentsFixture"),
    .testTarget(name: "SculptCLITests", dependencies: ["sculpt"]),
    .testTarget(name: "SculptServeTests", dependencies: [
        "SculptRecipes", "SculptNN", "SculptData", "SculptCore", "SculptIO", "SculptAnalysis", "TestSupport",
        .target(name: "SculptServe", condition: .when(traits: ["Dashboard"])),
    ]),
    .testTarget(name: "SculptExperimentsTests", dependencies: [
        "SculptExperiments", "SculptExperimentsTestKinds", "SculptExperimentsFixture",
        .product(name: "GRDB", package: "GRDB.swift"),
    ]),
    // The PostgreSQL half of the store tests and the fleet's fault tests: need the Fleet trait and a server
    // (scripts/with-postgres exports SCULPT_TEST_PG_URL); without the trait they compile to nothing.
    .testTarget(name: "SculptFleetTests", dependencies: [
        "SculptExperiments", "SculptExperimentsTestKinds", "SculptExperimentsFixture", "sculpt",
        .target(name: "SculptFleet", condition: .when(traits: ["Fleet"])),
        .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Fleet"])),
    ]),
]

// MARK: - Code generation for the building machine

// Every Swift target is compiled for the CPU that builds it (`-target-cpu native`, as C's `-march=native`): on
// x86-64 the SIMD8 loops (Winograd's transforms, BatchNorm, pooling) get 256-bit AVX registers instead of the
// SSE2 baseline's pairs of 128-bit ones, with the same numbers bit for bit (Swift contracts no a * b + c into a
// fused multiply-add and reorders no sum). Such a binary may stop with "illegal instruction" on an older CPU:
// `SCULPT_PORTABLE=1 swift build ...` builds one that runs on any CPU of the architecture (and is what a package
// that depends on Sculpt sets, since SwiftPM refuses unsafe flags in a dependency).
let portable = ["1", "true", "yes"].contains(Context.environment["SCULPT_PORTABLE"]?.lowercased() ?? "")

/// The building CPU's first /proc/cpuinfo block: vendor, family and feature flags (empty off Linux).
func buildingCPU() -> (vendor: String, family: String, flags: Set<Substring>) {
    #if os(Linux)
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return ("", "", []) }
    var vendor = "", family = "", flags: Set<Substring> = []
    for line in info.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty { break }  // the first processor's block is enough
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        let key = parts[0].trimmingCharacters(in: .whitespaces), value = parts[1].trimmingCharacters(in: .whitespaces)
        if key == "vendor_id" { vendor = value }
        if key == "cpu family" { family = value }
        if key == "flags" { flags = Set(value.split(separator: " ")) }
    }
    return (vendor, family, flags)
    #else
    return ("", "", [])
    #endif
}
let cpu = buildingCPU()

// AVX-512's 32 registers of 16 floats: the direct convolution's kernels keep up to 28 vectors of 16 accumulators
// (`DirectConvolution`), which fit there and nowhere else (AVX2's 16 registers of 8 floats hold a quarter as many:
// on an AMD Zen 3 the same kernels spill and W7's convolutions took 1.3-2.2x Winograd's time, bench/RESULTS.md,
// fifteenth session). `SCULPT_AVX512` tells `Conv2D`'s automatic choice it may take the direct path.
let avx512 = cpu.flags.contains("avx512f")

// On an AMD Zen 4, LLVM's schedule model for the CPU unrolls loops whose trip count is known only at run time, and
// in the direct convolution's kernels of 64 outputs (`forward7x4`: 28 accumulators and 4 weight vectors fill the 32
// vector registers) the body unrolled three times no longer fits: 145 stack accesses, most of them in the loop, and
// W7's 64-channel layers took up to twice their time (bench/RESULTS.md, fourteenth session). Without runtime
// unrolling the kernel is the one the Xeon gets (28 fused multiply-adds a channel): W7's step 0.81x the time on Zen 4,
// W1, W2, W3 unchanged there, the same numbers bit for bit. Only Zen 4 is measured, so only Zen 4 gets the flag;
// `SCULPT_RUNTIME_UNROLL=off` (or `on`) forces the choice on any CPU, for measuring another.
let buildingCPUIsZen4 = cpu.vendor == "AuthenticAMD" && cpu.family == "25" && avx512
let runtimeUnroll = Context.environment["SCULPT_RUNTIME_UNROLL"]?.lowercased()
let noRuntimeUnrolling = runtimeUnroll == "off" || (runtimeUnroll != "on" && !portable && buildingCPUIsZen4)

let hostTuning: [SwiftSetting] = portable ? [] : [
    .unsafeFlags(["-target-cpu", "native"] + (noRuntimeUnrolling ? ["-Xllvm", "-unroll-runtime=false"] : []),
                 .when(platforms: [.linux])),
    // fused multiply-adds are instructions here: `Conv2D`'s automatic choice may take the direct path (AVX-512)
    .define("SCULPT_NATIVE", .when(platforms: [.linux])),
] + (noRuntimeUnrolling ? [.define("SCULPT_NO_RUNTIME_UNROLL", .when(platforms: [.linux]))] : [])  // for `Codegen`
  + (avx512 ? [.define("SCULPT_AVX512", .when(platforms: [.linux]))] : [])
for target in targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + hostTuning
}

let package = Package(
    name: "Sculpt",
    platforms: [.macOS(.v15)],
    products: products,
    traits: [
        .trait(
            name: "Dashboard", description: "sculpt schedule --serve / sculpt serve: the live dashboard (Hummingbird)."),
        .trait(
            name: "Fleet", description: "sculpt worker / status / db and --db postgres://: PostgreSQL results store."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: targets
)
