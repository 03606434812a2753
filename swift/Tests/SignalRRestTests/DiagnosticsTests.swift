import Foundation
import SignalRRest
import XCTest

/// The User-Agent the Swift package sends, and the core's log events reaching
/// `SignalRRest.logHandler`.
final class DiagnosticsTests: XCTestCase {
    func testTheUserAgentNamesTheSwiftPackageAndThePlatformAfterTheApplication() async throws {
        let recorder = HeaderRecorder()
        let server = recorder.server()
        defer { server.stop() }
        let endpoint = "http://127.0.0.1:\(server.port)"
        try await ServiceClient(endpoint: endpoint, accessKey: "key").hub("chat").sendToAll("t")
        let agent = try XCTUnwrap(recorder.header("User-Agent"))
        let pattern = "^signalr-rest-swift/" + NSRegularExpression.escapedPattern(for: SignalRRest.version)
            + #" \(Swift; \S+ \S+\)$"#
        XCTAssertNotNil(agent.range(of: pattern, options: .regularExpression), agent)
        let named = try ServiceClient(endpoint: endpoint, accessKey: "key", options: ClientOptions(applicationName: "shop"))
        try await named.hub("chat").sendToAll("t")
        XCTAssertEqual(recorder.header("User-Agent"), "shop \(agent)")
    }

    func testARequestsAttemptEventReachesTheLogHandlerWithoutTheToken() async throws {
        let events = EventLog()
        SignalRRest.logHandler = { level, target, message in events.append((level, target, message)) }
        defer { SignalRRest.logHandler = nil }
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        try await ServiceClient(connectionString: simulator.connectionString).hub("chat").sendToAll("t")
        let attempt = try XCTUnwrap(events.all.first { $0.message.contains("request attempt") }, "\(events.all)")
        XCTAssertEqual(attempt.level, .debug)
        XCTAssertTrue(attempt.target.hasPrefix("signalr_rest"), attempt.target)
        for part in ["method=POST", #"path="/api/v1/hubs/chat"#, "attempt=1", "elapsed="] {
            XCTAssertTrue(attempt.message.contains(part), "\(part) missing from \(attempt.message)")
        }
        // Every JWT starts with the same header: none may be in the event.
        let token = try simulator.accessToken(audience: "\(simulator.url)/api/v1/hubs/chat")
        XCTAssertFalse(attempt.message.contains(String(token.split(separator: ".")[0])), attempt.message)
    }
}

/// Log events collected from any thread.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(level: LogLevel, target: String, message: String)] = []

    func append(_ event: (LogLevel, String, String)) {
        lock.lock()
        events.append(event)
        lock.unlock()
    }

    var all: [(level: LogLevel, target: String, message: String)] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
