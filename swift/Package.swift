// swift-tools-version:5.9
// SignalRRest: the Azure SignalR Service REST API (v1) client and local simulator for Swift, over
// the Rust core through uniffi. Run bindings/uniffi/generate first: it builds the native library
// into target/debug (or SIGNALR_REST_NATIVE_DIR) and writes Sources/SignalRRestFFI and
// Sources/SignalRRestBindings.
import Foundation
import PackageDescription

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let nativeDirectory = ProcessInfo.processInfo.environment["SIGNALR_REST_NATIVE_DIR"]
    ?? repository.appendingPathComponent("target/debug").path

let package = Package(
    name: "SignalRRest",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "SignalRRest", targets: ["SignalRRest"]),
    ],
    targets: [
        // The C header and module map uniffi generates; linking is in SignalRRestBindings.
        .systemLibrary(name: "SignalRRestFFI", path: "Sources/SignalRRestFFI"),
        // The Swift code uniffi generates.
        .target(
            name: "SignalRRestBindings",
            dependencies: ["SignalRRestFFI"],
            path: "Sources/SignalRRestBindings",
            linkerSettings: [
                .linkedLibrary("signalr_rest_uniffi"),
                .unsafeFlags(["-L", nativeDirectory, "-Xlinker", "-rpath", "-Xlinker", nativeDirectory]),
            ]
        ),
        // The package's API: a wrapper that reads like Swift.
        .target(name: "SignalRRest", dependencies: ["SignalRRestBindings"]),
        .testTarget(name: "SignalRRestTests", dependencies: ["SignalRRest"]),
    ]
)
