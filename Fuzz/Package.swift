// swift-tools-version: 6.1
// libFuzzer targets for every parser that reads a user's file. Built and run by scripts/fuzz:
//   swift build --package-path Fuzz -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// One executable; SCULPT_FUZZ_TARGET picks the parser (see Sources/SculptFuzz/Targets.swift).
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between checkouts.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let sculpt = root.lastPathComponent.lowercased()

let package = Package(
    name: "SculptFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "SculptFuzz",
                          dependencies: ["CFuzzerDriver", .product(name: "Sculpt", package: sculpt)]),
    ]
)
