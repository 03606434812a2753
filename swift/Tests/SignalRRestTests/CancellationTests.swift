import Foundation
import SignalRRest
import XCTest

final class CancellationTests: XCTestCase {
    func testCancellingTheTaskStopsAnHTTPCallWithCancellationError() async throws {
        let silent = SilentListener()
        let hub = try ServiceClient(connectionString: silent.connectionString).hub("chat")
        let call = Task { try await hub.sendToAll("t") }
        try await Task.sleep(nanoseconds: 200_000_000)
        let started = Date()
        call.cancel()
        do {
            try await call.value
            XCTFail("a silent server answered")
        } catch is CancellationError {
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the client timeout is 30 s")
        }
    }

    func testCancellingTheTaskClosesTheConnectionOfTheCall() async throws {
        let server = LoopbackHTTPServer(.silent)
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString).hub("chat")
        let call = Task { try await hub.sendToAll("t") }
        let arrived = try await eventually(within: 10) { server.requests == 1 }
        XCTAssertTrue(arrived, "the request never reached the server")
        call.cancel()
        do {
            try await call.value
            XCTFail("a silent server answered")
        } catch is CancellationError {}
        let hungUp = try await eventually(within: 5) { server.hangUps == 1 }
        XCTAssertTrue(hungUp, "the server still holds the connection 5 s after the Task was cancelled")
    }

    func testCancellingTheTaskStopsAWaitForAMessage() async throws {
        let simulator = try await Simulator.start()
        let client = try simulator.connect(hub: "chat")
        let waiting = Task { try await client.waitFor("never", timeout: 60) }
        try await Task.sleep(nanoseconds: 100_000_000)
        let started = Date()
        waiting.cancel()
        do {
            _ = try await waiting.value
            XCTFail("a message that was never sent arrived")
        } catch is CancellationError {
            XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        }
    }

    func testAWaitThatRunsOutIsTimeout() async throws {
        let simulator = try await Simulator.start()
        let client = try simulator.connect(hub: "chat")
        do {
            _ = try await client.waitFor("never", timeout: 0.05)
            XCTFail("a message that was never sent arrived")
        } catch let error as SignalRError {
            XCTAssertEqual(error.kind, "timeout")
        }
    }
}
