import Foundation
import SignalRRest
import XCTest

final class ErrorTests: XCTestCase {
    let unreachable = "Endpoint=http://127.0.0.1:1;AccessKey=k;Version=1.0"

    func testABadHubNameIsInvalidArgumentNamingFieldAndValue() throws {
        let client = try ServiceClient(connectionString: unreachable)
        XCTAssertThrowsError(try client.hub("1abc")) { error in
            guard case let .invalidArgument(field, message) = error as? SignalRError else {
                return XCTFail("expected invalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "hub")
            XCTAssertTrue(message.contains("1abc"), message)
            XCTAssertEqual((error as? SignalRError)?.kind, "invalid_argument")
        }
    }

    func testNegativeSettingsAreRefusedNamingTheValue() {
        XCTAssertThrowsError(try ServiceClient(connectionString: unreachable, options: ClientOptions(maxRetries: -2))) { error in
            guard case let .invalidArgument(field, message) = error as? SignalRError else {
                return XCTFail("expected invalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "retry.maxRetries")
            XCTAssertTrue(message.contains("-2"), message)
        }
    }

    func testAnUnencodableArgumentIsInvalidArgument() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        do {
            try await hub.sendToAll("t", [Double.nan])
            XCTFail("NaN was sent")
        } catch let SignalRError.invalidArgument(field, _) {
            XCTAssertEqual(field, "arguments")
        }
    }

    func testAWrongAccessKeyIsUnauthorizedWithTheStatus() async throws {
        let simulator = try await Simulator.start()
        let wrongKey = simulator.connectionString.replacingOccurrences(of: simulator.accessKey, with: "not-the-key")
        let hub = try ServiceClient(connectionString: wrongKey, options: ClientOptions(maxRetries: 0)).hub("chat")
        do {
            try await hub.sendToAll("t")
            XCTFail("sent with a wrong key")
        } catch let SignalRError.unauthorized(status, _) {
            XCTAssertEqual(status, 401)
        }
    }

    func testRemovingAConnectionNotInTheGroupIsNotFoundWithTheServiceCode() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        do {
            try await hub.removeConnectionFromGroup("g", connectionId: "nobody")
            XCTFail("removed a connection that does not exist")
        } catch let SignalRError.notFound(errorCode, _) {
            XCTAssertFalse(errorCode.isEmpty)
        }
    }

    func testA400AnswerIsBadRequestWithTheServiceMessage() async throws {
        let server = LoopbackHTTPServer(.answer(status: 400, body: #"{"code":"Error.X","message":"why"}"#))
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString, options: ClientOptions(maxRetries: 0)).hub("chat")
        do {
            try await hub.sendToAll("t")
            XCTFail("a 400 was taken for success")
        } catch let error as SignalRError {
            XCTAssertEqual(error, .badRequest(message: "bad request: why"))
            XCTAssertEqual(error.kind, "bad_request")
        }
    }

    func testA500AnswerWithRetriesOffIsServiceErrorWithStatusAndBody() async throws {
        let server = LoopbackHTTPServer(.answer(status: 500, body: "boom"))
        defer { server.stop() }
        let hub = try ServiceClient(connectionString: server.connectionString, options: ClientOptions(maxRetries: 0)).hub("chat")
        do {
            try await hub.addUserToGroup("room", userId: "alice")
            XCTFail("a 500 was taken for success")
        } catch let error as SignalRError {
            XCTAssertEqual(error, .serviceError(status: 500, body: "boom", message: "service error 500: boom"))
            XCTAssertEqual(error.kind, "service_error")
        }
        XCTAssertEqual(server.requests, 1)
    }

    func testNoAnswerWithinTheTimeoutIsTimeout() async throws {
        let silent = SilentListener()
        let options = ClientOptions(timeout: 0.3, maxRetries: 0)
        let hub = try ServiceClient(connectionString: silent.connectionString, options: options).hub("chat")
        do {
            try await hub.sendToAll("t")
            XCTFail("a silent server answered")
        } catch let SignalRError.timeout(after, _) {
            XCTAssertEqual(after, 0.3, accuracy: 0.001)
        }
    }

    func testAClosedPortIsATransportError() async throws {
        let client = try ServiceClient(connectionString: unreachable, options: ClientOptions(maxRetries: 0))
        do {
            try await client.health()
            XCTFail("port 1 answered")
        } catch let error as SignalRError {
            XCTAssertEqual(error.kind, "transport")
        }
    }

    func testAShutDownSimulatorRefusesConnectionsNamingItselfAndStillAnswersInspection() async throws {
        let simulator = try await Simulator.start()
        _ = try simulator.connect(hub: "chat")
        await simulator.shutdown()
        XCTAssertThrowsError(try simulator.connect(hub: "chat")) { error in
            XCTAssertEqual(
                error as? SignalRError,
                .invalidArgument(field: "simulator", message: "invalid simulator: the simulator has been shut down")
            )
        }
        XCTAssertEqual(simulator.hubs(), ["chat"])
        await simulator.shutdown()
    }
}
