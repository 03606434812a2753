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

    /// Starts a simulator and keeps no strong reference: its connection string and a weak one.
    private func startReleased() async throws -> (String, WeakSimulator) {
        let simulator = try await Simulator.start()
        return (simulator.connectionString, WeakSimulator(simulator))
    }

    /// A running simulator lives until it is shut down or the process exits: releasing the last
    /// reference (the wrapper has no deinit; the native handle's frees the handle only) does not
    /// stop it.
    func testASimulatorNobodyHoldsKeepsServingAfterItsLastReferenceIsReleased() async throws {
        let (connectionString, weak) = try await startReleased()
        XCTAssertNil(weak.simulator, "the Simulator was not released; the test proves nothing")
        let client = try ServiceClient(connectionString: connectionString, options: ClientOptions(maxRetries: 0))
        try await client.health()
        try await client.hub("chat").sendToAll("t")
        let exists = try await client.hub("chat").userExists("nobody")
        XCTAssertFalse(exists)
        // Nothing refers to it any more, so it serves until the test process exits.
    }
}

/// A weak reference to a simulator.
final class WeakSimulator {
    weak var simulator: Simulator?

    init(_ simulator: Simulator) {
        self.simulator = simulator
    }
}
