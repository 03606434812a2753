import Foundation
import SignalRRest
import XCTest

/// The client made from an endpoint and key, its client endpoint and token lifetime, the
/// simulator's ping interval, the version.
final class ClientOptionsTests: XCTestCase {
    func testAClientFromEndpointAndAccessKeySendsToTheSimulator() async throws {
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        let client = try ServiceClient(endpoint: simulator.url, accessKey: simulator.accessKey, options: ClientOptions(maxRetries: 0))
        XCTAssertEqual(client.endpoint, simulator.url)
        try await client.hub("chat").sendToAll("t", ["keyed"])
        XCTAssertEqual(alice.received().map(\.argumentsJSON), [#"["keyed"]"#])
    }

    func testTheClientEndpointIsWhereSignalRClientsAreSent() throws {
        let client = try ServiceClient(
            endpoint: "http://127.0.0.1:1", accessKey: "key", options: ClientOptions(clientEndpoint: "https://clients.example")
        )
        XCTAssertEqual(try client.clientURL(hub: "chat"), "https://clients.example/client/?hub=chat")
        XCTAssertTrue(try client.negotiate(hub: "chat").url.hasPrefix("https://clients.example/client/"))
    }

    func testTheTokenLifetimeSetsEachRequestTokensExpiryAndABadOneIsRefusedNamingIt() async throws {
        let recorder = HeaderRecorder()
        let server = recorder.server()
        defer { server.stop() }
        let client = try ServiceClient(
            endpoint: "http://127.0.0.1:\(server.port)", accessKey: "key", options: ClientOptions(maxRetries: 0, tokenLifetime: 120)
        )
        try await client.hub("chat").sendToAll("t")
        let token = try XCTUnwrap(recorder.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: ""))
        var payload = String(token.split(separator: ".")[1])
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let claims = try XCTUnwrap(
            JSONSerialization.jsonObject(with: XCTUnwrap(Data(base64Encoded: payload))) as? [String: Any]
        )
        let expiry = try XCTUnwrap(claims["exp"] as? NSNumber).doubleValue
        let lifetime = expiry - Date().timeIntervalSince1970
        XCTAssertTrue((100...120).contains(lifetime), "token lives \(lifetime) s")
        XCTAssertThrowsError(try ServiceClient(endpoint: "http://127.0.0.1:1", accessKey: "key", options: ClientOptions(tokenLifetime: -1))) {
            guard case let .invalidArgument(field, message) = $0 as? SignalRError else {
                return XCTFail("expected invalidArgument, got \($0)")
            }
            XCTAssertEqual(field, "tokenLifetime")
            XCTAssertTrue(message.contains("-1"), message)
        }
    }

    func testASimulatorTakesAPingIntervalAndRefusesANegativeOneNamingIt() async throws {
        let simulator = try await Simulator.start(pingInterval: 5)
        await simulator.shutdown()
        do {
            _ = try await Simulator.start(pingInterval: -1)
            XCTFail("a negative ping interval was taken")
        } catch let SignalRError.invalidArgument(field, _) {
            XCTAssertEqual(field, "pingInterval")
        }
    }

    func testTheVersionIsTheCores() {
        XCTAssertNotNil(SignalRRest.version.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression), SignalRRest.version)
    }
}
