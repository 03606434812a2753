import Foundation
import SignalRRest
import XCTest

final class RetryTests: XCTestCase {
    /// `maxRetries` retries after short waits, so three attempts take milliseconds.
    func quickRetries(_ maxRetries: Int) -> ClientOptions {
        ClientOptions(maxRetries: maxRetries, retryInitialDelay: 0.01, retryMaxDelay: 0.02)
    }

    func testMaxRetries2MakesThreeAttemptsAtASendAnswered503WithAnEmptyBody() async throws {
        let server = LoopbackHTTPServer(.answer(status: 503, body: ""))
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString, options: quickRetries(2)).hub("chat")
        do {
            try await hub.sendToAll("t")
            XCTFail("a 503 was taken for success")
        } catch let SignalRError.serviceError(status, _, _) {
            XCTAssertEqual(status, 503)
        }
        XCTAssertEqual(server.requests, 3)
    }

    func testMaxRetries2MakesThreeAttemptsAtAnIdempotentCallAnswered500() async throws {
        let server = LoopbackHTTPServer(.answer(status: 500, body: "busy"))
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString, options: quickRetries(2)).hub("chat")
        do {
            try await hub.addUserToGroup("room", userId: "alice")
            XCTFail("a 500 was taken for success")
        } catch let SignalRError.serviceError(status, body, _) {
            XCTAssertEqual(status, 500)
            XCTAssertEqual(body, "busy")
        }
        XCTAssertEqual(server.requests, 3)
    }

    func testMaxRetries0MakesOneAttempt() async throws {
        let server = LoopbackHTTPServer(.answer(status: 500, body: "busy"))
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString, options: quickRetries(0)).hub("chat")
        do {
            try await hub.addUserToGroup("room", userId: "alice")
            XCTFail("a 500 was taken for success")
        } catch let error as SignalRError {
            XCTAssertEqual(error.kind, "service_error")
        }
        XCTAssertEqual(server.requests, 1)
    }
}
