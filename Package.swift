// swift-tools-version: 6.1
import PackageDescription

// MARK: - Public API

let products: [Product] = [
    .library(name: "Sculpt", targets: [
        "SculptCore", "SculptData", "SculptNN",
    ]),
    .executable(name: "sculpt", targets: ["sculpt"]),
]

// MARK: - Implementation details

let blas: [Target.Dependency] = [
    .target(name: "CLinearAlgebra", condition: .when(platforms: [.linux])),
]

let targets: [Target] = [
    .systemLibrary(
        name: "CLinearAlgebra",
        pkgConfig: nil,
        providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
    ),
    .systemLibrary(name: "CZlib", pkgConfig: nil, providers: [.apt(["zlib1g-dev"])]),
    .target(name: "SculptCore", dependencies: blas),
    .target(name: "SculptData", dependencies: ["SculptCore", "CZlib"]),
    .target(name: "SculptNN", dependencies: ["SculptCore", "SculptData"]),
    .executableTarget(name: "ConvBench", dependencies: ["SculptCore", "SculptNN"]),
    .executableTarget(name: "sculpt", dependencies: [
        "SculptCore", "SculptData", "SculptNN",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]),

    // MARK: - Tests

    .target(name: "TestSupport", dependencies: ["SculptCore", "SculptNN"], path: "Tests/TestSupport"),
    .testTarget(name: "SculptCoreTests", dependencies: ["SculptCore", "TestSupport"]),
    .testTarget(name: "SculptDataTests", dependencies: ["SculptData", "TestSupport"]),
    .testTarget(name: "SculptNNTests", dependencies: ["SculptNN", "SculptData", "TestSupport"],
                exclude: ["Reference"]),
]

let package = Package(
    name: "Sculpt",
    platforms: [.macOS(.v14)],
    products: products,
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: targets
)
