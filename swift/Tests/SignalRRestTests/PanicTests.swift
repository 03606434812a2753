// Compiled only with -DSIGNALR_REST_TEST_PANIC, against a library built with the binding's
// test-panic feature (scripts/lib/test-uniffi does both); the panicking calls exist only there.
#if SIGNALR_REST_TEST_PANIC
import Foundation
@testable import SignalRRest
import func SignalRRestBindings.debugPanic
import func SignalRRestBindings.debugPanicAsync
import XCTest

/// A Rust panic fails the one call as `SignalRError.internalError` and the library keeps working.
final class PanicTests: XCTestCase {
    func testAPanicInASynchronousCallIsAnInternalErrorAndLaterCallsWork() async throws {
        do {
            try native { try debugPanic(message: "sync boom") }
            XCTFail("the panic went unnoticed")
        } catch let error as SignalRError {
            XCTAssertEqual(error.kind, "internal")
            XCTAssertTrue(error.message.contains("sync boom"), error.message)
        }
        try await assertCallsStillWork()
    }

    func testAPanicInsideAnAsyncCallIsAnInternalErrorAndLaterCallsWork() async throws {
        do {
            try await cancellable { _ in try await debugPanicAsync(message: "async boom") }
            XCTFail("the panic went unnoticed")
        } catch let error as SignalRError {
            XCTAssertEqual(error.kind, "internal")
            XCTAssertTrue(error.message.contains("async boom"), error.message)
        }
        try await assertCallsStillWork()
    }

    private func assertCallsStillWork() async throws {
        let simulator = try await Simulator.start()
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        try await ServiceClient(connectionString: simulator.connectionString).hub("chat").sendToUser("alice", "after-panic")
        XCTAssertEqual(alice.received().map(\.target), ["after-panic"])
        await simulator.shutdown()
    }
}
#endif
