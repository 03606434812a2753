import Foundation
import SignalRRest
import XCTest

/// The swift/README.md examples (ReadmeExamples.swift) that need nothing but the simulator, run.
final class ReadmeExamplesTests: XCTestCase {
    func testTheUseExampleSends() async throws {
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        let answer = try await sendMessages(connectionString: simulator.connectionString)
        XCTAssertEqual(alice.received().map(\.target), ["newMessage", "ping", "joined", "exact"])
        XCTAssertTrue(answer.url.hasSuffix("/client/?hub=chat"), answer.url)
    }

    func testTheErrorsExampleCatchesNotFound() async throws {
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        let chat = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        try await removeFromGroup(chat: chat, id: "no-such-connection")
    }

    func testTheSimulatorExampleRuns() async throws {
        try await simulatorExample()
    }
}
