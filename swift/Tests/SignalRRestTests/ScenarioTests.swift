import Foundation
import SignalRRest
import XCTest

/// Replays every shared scenario in tests/scenarios (format: tests/scenarios/README.md).
final class ScenarioTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/scenarios")

    func testEverySharedScenario() async throws {
        let files = try FileManager.default.contentsOfDirectory(at: Self.directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertFalse(files.isEmpty, "no scenarios in \(Self.directory.path)")
        for file in files {
            let scenario = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: file))
            let simulator = try await Simulator.start()
            let run = Run(simulator: simulator, service: try ServiceClient(connectionString: simulator.connectionString))
            for step in scenario["steps"]?.array ?? [] {
                try await run.step(step, file: file.lastPathComponent)
            }
            await simulator.shutdown()
            print("scenario passed: \(file.lastPathComponent)")
        }
    }
}

private final class Run {
    static let stepKinds = ["connect", "disconnect", "call", "received", "closed", "advance_clock", "groups"]

    let simulator: Simulator
    let service: ServiceClient
    var clients: [String: VirtualClient] = [:]

    init(simulator: Simulator, service: ServiceClient) {
        self.simulator = simulator
        self.service = service
    }

    /// A connection id, or the id of client `name` for `"$name"`.
    func id(_ value: JSONValue?) -> String {
        let text = value?.string ?? ""
        guard text.hasPrefix("$") else { return text }
        return clients[String(text.dropFirst())]!.connectionId
    }

    func step(_ step: JSONValue, file: String) async throws {
        let context = "\(file): \(step)"
        let kind = Self.stepKinds.first { step[$0] != nil }
        let name = step[kind ?? ""]?.string ?? ""
        switch kind {
        case "connect":
            clients[name] = try simulator.connect(hub: step["hub"]!.string!, userId: step["user"]?.string)
        case "disconnect":
            clients[name]!.disconnect()
        case "call":
            let outcome = try await self.outcome(step)
            XCTAssertEqual(outcome, step["expect"], context)
        case "received":
            let received = try clients[name]!.received().map { message in
                JSONValue.object([
                    "target": .string(message.target),
                    "arguments": try message.arguments(as: JSONValue.self),
                ])
            }
            XCTAssertEqual(JSONValue.array(received), step["messages"], context)
        case "closed":
            let client = clients[name]!
            XCTAssertTrue(client.isClosed, context)
            XCTAssertEqual(client.closeReason.map(JSONValue.string) ?? .null, step["reason"], context)
        case "advance_clock":
            try simulator.advanceClock(by: step["advance_clock"]!.number!)
        case "groups":
            let actual = Dictionary(uniqueKeysWithValues: try simulator.groups(hub: name).map { ($0.name, Set($0.connectionIds)) })
            let expected = (step["expect"]?.object ?? [:]).mapValues { Set(($0.array ?? []).map(id)) }
            XCTAssertEqual(actual, expected, context)
        default:
            XCTFail("unknown step \(context)")
        }
    }

    /// The call's result as the scenario writes it: "ok", a boolean, or {"error": kind}.
    func outcome(_ step: JSONValue) async throws -> JSONValue {
        do {
            return try await call(try service.hub(step["hub"]!.string!), step)
        } catch let error as SignalRError {
            return .object(["error": .string(error.kind)])
        }
    }

    func call(_ hub: HubClient, _ step: JSONValue) async throws -> JSONValue {
        let arguments: [any Encodable] = step["arguments"]?.array ?? []
        let excluded = (step["excluded"]?.array ?? []).map(id)
        let target = step["target"]?.string ?? ""
        let user = step["user"]?.string ?? ""
        let group = step["group"]?.string ?? ""
        let connection = id(step["connection"])
        let ok = JSONValue.string("ok")
        switch step["call"]?.string {
        case "send_to_all": try await hub.sendToAll(target, arguments, excluded: excluded)
        case "send_to_user": try await hub.sendToUser(user, target, arguments)
        case "send_to_connection": try await hub.sendToConnection(connection, target, arguments)
        case "send_to_group": try await hub.sendToGroup(group, target, arguments, excluded: excluded)
        case "connection_exists": return .bool(try await hub.connectionExists(connection))
        case "close_connection": try await hub.closeConnection(connection, reason: step["reason"]?.string)
        case "group_exists": return .bool(try await hub.groupExists(group))
        case "user_exists": return .bool(try await hub.userExists(user))
        case "add_connection_to_group": try await hub.addConnectionToGroup(group, connectionId: connection)
        case "remove_connection_from_group": try await hub.removeConnectionFromGroup(group, connectionId: connection)
        case "user_in_group": return .bool(try await hub.userInGroup(group, userId: user))
        case "add_user_to_group": try await hub.addUserToGroup(group, userId: user, ttl: step["ttl"]?.number)
        case "remove_user_from_group": try await hub.removeUserFromGroup(group, userId: user)
        case "remove_user_from_all_groups": try await hub.removeUserFromAllGroups(user)
        case let other: XCTFail("unknown operation \(other ?? "nil")")
        }
        return ok
    }
}
