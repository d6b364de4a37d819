// swift-tools-version:5.9
// Gridwalk for iOS: the Rust core as an XCFramework (built by scripts/build-xcframework.sh),
// the uniffi-generated Swift (Sources/GridwalkFFI, kept current by the project's test command),
// and a thin Swift layer (Sources/Gridwalk).
import PackageDescription

let package = Package(
    name: "Gridwalk",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "Gridwalk", targets: ["Gridwalk"]),
    ],
    targets: [
        .binaryTarget(name: "GridwalkFFIC", path: "build/GridwalkFFIC.xcframework"),
        .target(name: "GridwalkFFI", dependencies: ["GridwalkFFIC"], path: "Sources/GridwalkFFI"),
        .target(name: "Gridwalk", dependencies: ["GridwalkFFI"], path: "Sources/Gridwalk"),
    ]
)
