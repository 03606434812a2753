import Foundation
import SignalRRest
import XCTest

private struct ChatMessage: Codable, Equatable {
    let author: String
    let text: String
    let tags: [String]
}

final class ArgumentsTests: XCTestCase {
    func testEncodableValuesArriveAsTheSameJSONAndDecodeBack() async throws {
        let (hub, client) = try await chat()
        let sent = ChatMessage(author: "bob", text: "héllo 🙂", tags: ["a", "b"])
        try await hub.sendToConnection(client.connectionId, "newMessage", [sent])
        let received = try XCTUnwrap(client.received().first)
        XCTAssertEqual(received.target, "newMessage")
        XCTAssertEqual(try received.arguments(as: [ChatMessage].self), [sent])
    }

    func testMixedArgumentsKeepTheirJSONKinds() async throws {
        let (hub, client) = try await chat()
        try await hub.sendToAll("kinds", [1.5, true, "\"quoted\"\n", [1, 2], ["k": "v"]])
        let expected: [JSONValue] = [
            .number(1.5), .bool(true), .string("\"quoted\"\n"),
            .array([.number(1), .number(2)]), .object(["k": .string("v")]),
        ]
        XCTAssertEqual(try client.received().first?.arguments(as: [JSONValue].self), expected)
    }

    func testRawJSONArgumentsArriveExactlyAsWritten() async throws {
        let (hub, client) = try await chat()
        let raw = #"{"é":1,"n":12345678901234567890123,"a":0.1000000000000000055511151231257827}"#
        try await hub.sendToAll("exact", [RawJSON(raw), 2])
        let received = try await client.waitFor("exact")
        XCTAssertEqual(received.argumentsJSON, "[\(raw),2]")
        do {
            try await hub.sendToAll("bad", [RawJSON("{not json")])
            XCTFail("text that is not JSON is refused")
        } catch SignalRError.invalidArgument(let field, _) {
            XCTAssertEqual(field, "arguments")
        }
        do {
            try await hub.sendToAll("two", [RawJSON("1,2")])
            XCTFail("two values in one RawJSON are refused")
        } catch SignalRError.invalidArgument(let field, _) {
            XCTAssertEqual(field, "arguments")
        }
    }

    func testNoArgumentsIsAnEmptyList() async throws {
        let (hub, client) = try await chat()
        try await hub.sendToAll("ping")
        let ping = try await client.waitFor("ping")
        XCTAssertEqual(ping.argumentsJSON, "[]")
    }

    func testNegotiateCarriesTheClientURLAndClaims() async throws {
        let simulator = try await Simulator.start()
        let service = try ServiceClient(connectionString: simulator.connectionString)
        let answer = try service.negotiate(hub: "chat", userId: "alice", claims: ["role": "admin"])
        XCTAssertEqual(answer.url, "\(simulator.url)/client/?hub=chat")
        XCTAssertEqual(answer.url, try service.clientURL(hub: "chat"))
        XCTAssertEqual(answer.accessToken.split(separator: ".").count, 3)
    }

    private func chat() async throws -> (HubClient, VirtualClient) {
        let simulator = try await Simulator.start()
        addTeardownBlock { await simulator.shutdown() }
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        return (hub, try simulator.connect(hub: "chat"))
    }
}
