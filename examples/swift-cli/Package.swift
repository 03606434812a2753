// swift-tools-version:5.9
// signalr-rest-send: a command-line app that sends one SignalR message through the REST API, on
// the SignalRRest package of this repository (../../swift, which needs bindings/uniffi/generate
// run first: it builds the native library the package links).
import PackageDescription

let package = Package(
    name: "signalr-rest-send",
    platforms: [.macOS(.v12)],
    dependencies: [
        .package(path: "../../swift"),
    ],
    targets: [
        // Argument parsing and the send, apart from main so the tests can call them.
        .target(name: "SendCommand", dependencies: [.product(name: "SignalRRest", package: "swift")]),
        .executableTarget(name: "signalr-rest-send", dependencies: ["SendCommand"]),
        .testTarget(
            name: "SendCommandTests",
            dependencies: ["SendCommand", "signalr-rest-send", .product(name: "SignalRRest", package: "swift")]
        ),
    ]
)
