// swift-tools-version:5.9
// The healthpass Swift package: the generated UniFFI bindings (HealthpassFFI) over the Rust
// library packaged as an XCFramework (HealthpassFFIC, built by build-xcframework.sh), and the
// idiomatic facade (Healthpass) the app uses.
import PackageDescription

let package = Package(
    name: "Healthpass",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [
        .library(name: "Healthpass", targets: ["Healthpass"]),
    ],
    targets: [
        .binaryTarget(name: "HealthpassFFIC", path: "build/HealthpassFFI.xcframework"),
        .target(name: "HealthpassFFI", dependencies: ["HealthpassFFIC"], path: "Sources/HealthpassFFI"),
        .target(name: "Healthpass", dependencies: ["HealthpassFFI"], path: "Sources/Healthpass"),
    ]
)
