import Foundation
import SignalRRest
import XCTest

/// Audiences a provider was asked for, shared with the test.
private actor Audiences {
    var seen: [String] = []
    func add(_ audience: String) { seen.append(audience) }
}

private struct BackendUnavailable: Error, CustomStringConvertible {
    var description: String { "backend said no" }
}

/// Whether a provider's sleep ended by cancellation, shared with the test.
private actor ProviderOutcome {
    var cancelled = false
    func markCancelled() { cancelled = true }
}

final class TokenProviderTests: XCTestCase {
    func testCallsCarryTheProvidersTokenForTheRequestURL() async throws {
        let simulator = try await Simulator.start()
        let audiences = Audiences()
        let provider = TokenProviderFunction { audience in
            await audiences.add(audience)
            return try simulator.accessToken(audience: audience)
        }
        let client = try ServiceClient(endpoint: simulator.url, tokenProvider: provider)
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        try await client.hub("chat").sendToUser("alice", "hello", [1])
        XCTAssertEqual(alice.received().map(\.target), ["hello"])
        let seen = await audiences.seen
        XCTAssertEqual(seen, ["\(simulator.url)/api/v1/hubs/chat/users/alice"])
    }

    func testAProviderThatThrowsFailsTheCallAsUnauthorizedWithoutAStatus() async throws {
        let simulator = try await Simulator.start()
        let provider = TokenProviderFunction { _ in throw BackendUnavailable() }
        let client = try ServiceClient(endpoint: simulator.url, tokenProvider: provider)
        do {
            try await client.hub("chat").sendToAll("t")
            XCTFail("sent without a token")
        } catch let SignalRError.unauthorized(status, message) {
            XCTAssertNil(status)
            XCTAssertTrue(message.contains("backend said no"), message)
        }
    }

    func testNegotiateNeedsTheAccessKey() throws {
        let client = try ServiceClient(endpoint: "http://127.0.0.1:1", tokenProvider: TokenProviderFunction { _ in "token" })
        XCTAssertThrowsError(try client.negotiate(hub: "chat", userId: "alice")) { error in
            guard case let .invalidArgument(field, _) = error as? SignalRError else {
                return XCTFail("expected invalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "credential")
        }
    }

    func testCancellingTheCallCancelsTheProvidersTask() async throws {
        let simulator = try await Simulator.start()
        let outcome = ProviderOutcome()
        let provider = TokenProviderFunction { _ in
            do {
                try await Task.sleep(nanoseconds: 60_000_000_000)
            } catch is CancellationError {
                await outcome.markCancelled()
            }
            return "never used"
        }
        let hub = try ServiceClient(endpoint: simulator.url, tokenProvider: provider).hub("chat")
        let call = Task { try await hub.sendToAll("t") }
        try await Task.sleep(nanoseconds: 200_000_000)
        call.cancel()
        do {
            try await call.value
            XCTFail("sent with a provider that never answered")
        } catch is CancellationError {}
        for _ in 0..<50 where !(await outcome.cancelled) {
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let providerCancelled = await outcome.cancelled
        XCTAssertTrue(providerCancelled, "the provider kept running after the call was cancelled")
    }
}
