import Foundation
import SignalRRest
import XCTest

final class SimulatorTests: XCTestCase {
    func testConnectionsGroupsAndUserMappingsCanBeInspected() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("Chat")
        let alice = try simulator.connect(hub: "chat", userId: "alice")
        try await hub.addConnectionToGroup("room", connectionId: alice.connectionId)
        try await hub.addUserToGroup("vip", userId: "alice", ttl: 3600)

        XCTAssertEqual(simulator.hubs(), ["chat"])
        let connection = try XCTUnwrap(simulator.connections(hub: "chat").first)
        XCTAssertEqual(connection.connectionId, alice.connectionId)
        XCTAssertEqual(connection.userId, "alice")
        XCTAssertEqual(Set(simulator.groups(hub: "chat").map(\.name)), ["room", "vip"])
        let mapping = try XCTUnwrap(simulator.userGroups(hub: "chat").first)
        XCTAssertEqual(mapping.group, "vip")
        XCTAssertGreaterThan(mapping.expiresAt, Date().addingTimeInterval(59 * 60))
    }

    func testAdvancingTheClockExpiresMappings() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        try await hub.addUserToGroup("g", userId: "bob", ttl: 30)
        try simulator.advanceClock(by: 60)
        let stillIn = try await hub.userInGroup("g", userId: "bob")
        XCTAssertFalse(stillIn)
    }

    func testClosingAConnectionTellsTheClientWhy() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        let client = try simulator.connect(hub: "chat")
        try await hub.closeConnection(client.connectionId, reason: "bye")
        XCTAssertTrue(client.isClosed)
        XCTAssertEqual(client.closeReason, "bye")
    }
}
