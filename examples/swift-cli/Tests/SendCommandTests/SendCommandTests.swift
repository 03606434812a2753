import Foundation
import SendCommand
import SignalRRest
import XCTest

/// The command against the package's Simulator with in-process virtual clients: in process
/// (`send`), and as the built executable.
final class SendCommandTests: XCTestCase {
    func testSendsToEveryConnectionOrToOneUser() async throws {
        let simulator = try await Simulator.start()
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        let bob = try simulator.connect(hub: "chat", userId: "bob")
        let everyone = try parseArguments(
            ["--hub", "chat", "--target", "newMessage", "--message", "hi"],
            environment: ["AZURE_SIGNALR_CONNECTION_STRING": simulator.connectionString])
        try await send(everyone)
        var toAlice = everyone
        toAlice.user = "alice"
        toAlice.message = "just you"
        try await send(toAlice)
        XCTAssertEqual(alice.received().map(\.argumentsJSON), [#"["hi"]"#, #"["just you"]"#])
        XCTAssertEqual(bob.received().map(\.target), ["newMessage"])
        XCTAssertEqual(bob.received().map(\.argumentsJSON), [#"["hi"]"#])
        await simulator.shutdown()
    }

    func testABadCommandLineSaysWhy() {
        XCTAssertThrowsError(try parseArguments(["--hub", "chat"], environment: [:])) { error in
            XCTAssert("\(error)".hasPrefix("--connection-string or AZURE_SIGNALR_CONNECTION_STRING is required"), "\(error)")
        }
        XCTAssertThrowsError(try parseArguments(["--hub"], environment: [:])) { error in
            XCTAssert("\(error)".hasPrefix("--hub needs a value"), "\(error)")
        }
        XCTAssertThrowsError(try parseArguments(["--connection-string", "x", "--hub", "chat"], environment: [:])) { error in
            XCTAssert("\(error)".hasPrefix("--target is required"), "\(error)")
        }
    }

    /// The executable, built beside the test bundle: its output and exit status.
    func testTheExecutableSends() async throws {
        let simulator = try await Simulator.start()
        let carol = try simulator.connect(hub: "chat", userId: "carol")
        let executable = Bundle.main.bundleURL.appendingPathComponent("signalr-rest-send")
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "--connection-string", simulator.connectionString, "--hub", "chat", "--target", "newMessage",
            "--message", "from the command line", "--user", "carol",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(printed, "sent newMessage to user carol of hub chat\n")
        XCTAssertEqual(carol.received().map(\.argumentsJSON), [#"["from the command line"]"#])

        let refused = Process()
        refused.executableURL = executable
        refused.arguments = ["--hub", "chat"]
        refused.environment = [:]
        refused.standardError = Pipe()
        try refused.run()
        refused.waitUntilExit()
        XCTAssertEqual(refused.terminationStatus, 2)
        await simulator.shutdown()
    }
}
