import Foundation
import SignalRRest
import XCTest

/// Replays the shared scenarios in tests/scenarios (format: its README.md), one test method per
/// file so a failure names its scenario; the format is checked strictly first (ScenarioFormat).
final class ScenarioTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/scenarios")

    func testApplicationName() async throws { try await replay("application_name.json") }
    func testArgumentFidelity() async throws { try await replay("argument_fidelity.json") }
    func testBroadcast() async throws { try await replay("broadcast.json") }
    func testConnectionGroups() async throws { try await replay("connection_groups.json") }
    func testEndpointClosedPort() async throws { try await replay("endpoint_closed_port.json") }
    func testEndpointStalls() async throws { try await replay("endpoint_stalls.json") }
    func testExistsAndClose() async throws { try await replay("exists_and_close.json") }
    func testHubNames() async throws { try await replay("hub_names.json") }
    func testInvalidArguments() async throws { try await replay("invalid_arguments.json") }
    func testOddIds() async throws { try await replay("odd_ids.json") }
    func testSendToConnection() async throws { try await replay("send_to_connection.json") }
    func testSendToUser() async throws { try await replay("send_to_user.json") }
    func testServerAnswers400() async throws { try await replay("server_answers_400.json") }
    func testServerAnswers404() async throws { try await replay("server_answers_404.json") }
    func testServerAnswers500() async throws { try await replay("server_answers_500.json") }
    func testTtlLessMappingCap() async throws { try await replay("ttl_less_mapping_cap.json") }
    func testUnauthorized() async throws { try await replay("unauthorized.json") }
    func testUserGroupTtl() async throws { try await replay("user_group_ttl.json") }
    func testUserGroups() async throws { try await replay("user_groups.json") }

    /// The files the methods above replay, read from this source file, against the directory.
    func testEveryScenarioFileHasATestMethod() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let marker = "try await replay(\""
        let replayed = Set(source.components(separatedBy: marker).dropFirst().compactMap { rest in
            rest.split(separator: "\"").first.map(String.init)
        })
        let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: Self.directory.path)
            .filter { $0.hasSuffix(".json") })
        XCTAssertEqual(onDisk.subtracting(replayed), [], "add a test method for each of these to ScenarioTests.swift")
        XCTAssertEqual(replayed.subtracting(onDisk), [], "test methods replay files that do not exist")
    }

    func testMalformedScenariosAreRefusedNamingTheFileStepAndField() throws {
        let file = Self.directory.appendingPathComponent("malformed/cases.json")
        let text = try String(contentsOf: file, encoding: .utf8)
        let cases = try XCTUnwrap(try ScenarioJSON(parsing: text).array)
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for (i, testCase) in cases.enumerated() {
            let label = "cases.json[\(i)]"
            let expected = "\(label): \(testCase["error"]?.string ?? "")"
            do {
                _ = try ScenarioFormat.parse(file: label, text: testCase["scenario"]!.description)
                XCTFail("\(label) was accepted; expected \(expected)")
            } catch let error as ScenarioFormatError {
                XCTAssertEqual(error.description, expected)
            }
        }
    }

    func testScenarioJSONKeepsKeyOrderAndNumberText() throws {
        let value = try ScenarioJSON(parsing: #" {"b": [1, 1.0, -2e3], "a": "\u00e9\n\ud83d\ude42"} "#)
        XCTAssertEqual(value.description, #"{"b":[1,1.0,-2e3],"a":"é\n🙂"}"#)
        XCTAssertNotEqual(try ScenarioJSON(parsing: #"{"a":1,"b":2}"#), try ScenarioJSON(parsing: #"{"b":2,"a":1}"#))
        XCTAssertNotEqual(try ScenarioJSON(parsing: "[1]"), try ScenarioJSON(parsing: "[1.0]"))
        XCTAssertThrowsError(try ScenarioJSON(parsing: "[1,]"))
    }

    private func replay(_ file: String) async throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
        let scenario = try ScenarioFormat.parse(file: file, text: text)
        let client = scenario["client"] ?? .object([])
        let simulator = try await Simulator.start()
        var stop: () -> Void = {}
        let url: String
        switch client["endpoint"]?.string ?? "simulator" {
        case "simulator":
            url = simulator.url
        case "closed_port":
            let listener = try LoopbackListener(backlog: 1)
            listener.stop() // nothing listens there any more
            url = listener.url
        case "stalls":
            // Listening but never accepting: the kernel completes the TCP handshake, nobody answers.
            let listener = try LoopbackListener(backlog: 16)
            stop = listener.stop
            url = listener.url
        default:
            let server = try FailingServer(status: Int(client["status"]!.integerText!)!)
            stop = server.stop
            url = server.url
        }
        defer { stop() }
        let options = ClientOptions(
            timeout: client["timeout_ms"]?.integerText.flatMap { Double($0) }.map { $0 / 1000 },
            // No retries: an intermittent 5xx must fail the scenario, not be retried away.
            maxRetries: 0,
            applicationName: client["application"]?.string
        )
        let key = client["access_key"]?.string ?? simulator.accessKey
        let connectionString = "Endpoint=\(url);AccessKey=\(key);Version=1.0;"
        let service = try ServiceClient(connectionString: connectionString, options: options)
        let run = Run(simulator: simulator, service: service)
        for (i, step) in scenario["steps"]!.array!.enumerated() {
            try await run.step("\(file): steps[\(i)]", step)
        }
        await simulator.shutdown()
    }
}

/// A scenario step that did not go as the scenario says.
private struct StepFailure: Error, CustomStringConvertible {
    let description: String
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw StepFailure(description: message()) }
}

private final class Run {
    let simulator: Simulator
    let service: ServiceClient
    var clients: [String: VirtualClient] = [:]

    init(simulator: Simulator, service: ServiceClient) {
        self.simulator = simulator
        self.service = service
    }

    func client(_ at: String, _ name: String) throws -> VirtualClient {
        guard let client = clients[name] else {
            throw StepFailure(description: "\(at): no client named \(name) connected")
        }
        return client
    }

    /// A connection id, or the id of client `name` for `"$name"`.
    func id(_ at: String, _ value: ScenarioJSON?) throws -> String {
        let text = value?.string ?? ""
        guard text.hasPrefix("$") else { return text }
        return try client(at, String(text.dropFirst())).connectionId
    }

    func step(_ at: String, _ step: ScenarioJSON) async throws {
        let kind = ScenarioFormat.kind(step)
        let context = "\(at): \(step)"
        let name = step[kind]?.string ?? ""
        switch kind {
        case "connect":
            clients[name] = try simulator.connect(hub: step["hub"]!.string!, userId: step["user"]?.string)
        case "disconnect":
            try client(at, name).disconnect()
        case "call":
            let (outcome, detail) = try await self.outcome(at, step)
            try check(outcome == step["expect"], "\(context)\n  got \(outcome) \(detail)")
        case "received":
            // Parsed from the raw argument text: key order and number text ("1" versus "1.0") count.
            let actual = try client(at, name).received().map { message in
                ScenarioJSON.object([
                    .init(key: "target", value: .string(message.target)),
                    .init(key: "arguments", value: try ScenarioJSON(parsing: message.argumentsJSON)),
                ])
            }
            let expected = step["messages"]!.array!.map { message in
                ScenarioJSON.object([
                    .init(key: "target", value: message["target"]!),
                    .init(key: "arguments", value: message["arguments"]!),
                ])
            }
            try check(actual == expected, "\(context)\n  got \(ScenarioJSON.array(actual))")
        case "closed":
            let closed = try client(at, name)
            try check(closed.isClosed, "\(context)\n  not closed")
            let reason = closed.closeReason.map(ScenarioJSON.string) ?? .null
            try check(reason == step["reason"], "\(context)\n  got reason \(reason)")
        case "advance_clock":
            try simulator.advanceClock(by: Double(step["advance_clock"]!.integerText!)!)
        case "groups":
            let groups = try simulator.groups(hub: name)
            let actual = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, Set($0.connectionIds)) })
            var expected: [String: Set<String>] = [:]
            for member in step["expect"]!.members! {
                expected[member.key] = Set(try member.value.array!.map { try id(at, $0) })
            }
            try check(actual == expected, "\(context)\n  got \(actual)")
        default:
            let hubs = try simulator.hubs()
            try check(hubs == step["hubs"]!.array!.map { $0.string! }, "\(context)\n  got \(hubs)")
        }
    }

    /// The call's result as the scenario writes it: "ok", a boolean, or {"error": kind}; and
    /// the error's message.
    func outcome(_ at: String, _ step: ScenarioJSON) async throws -> (ScenarioJSON, String) {
        do {
            return (try await call(at, try service.hub(step["hub"]!.string!), step), "")
        } catch let error as SignalRError {
            return (.object([.init(key: "error", value: .string(error.kind))]), "\(error)")
        }
    }

    func call(_ at: String, _ hub: HubClient, _ step: ScenarioJSON) async throws -> ScenarioJSON {
        let arguments = step["arguments"]?.array ?? []
        if step["arguments"] != nil, let reason = ScenarioJSON.array(arguments).whyJSONEncoderCannotSendIt {
            throw XCTSkip(
                "\(at): the Swift package encodes arguments with JSONEncoder, so it cannot send them as written: \(reason)"
            )
        }
        let encodable: [any Encodable] = arguments
        let excluded = try (step["excluded"]?.array ?? []).map { try id(at, $0) }
        let target = step["target"]?.string ?? ""
        let user = step["user"]?.string ?? ""
        let group = step["group"]?.string ?? ""
        let connection = try id(at, step["connection"])
        let ok = ScenarioJSON.string("ok")
        switch step["call"]!.string! {
        case "send_to_all": try await hub.sendToAll(target, encodable, excluded: excluded)
        case "send_to_user": try await hub.sendToUser(user, target, encodable)
        case "send_to_connection": try await hub.sendToConnection(connection, target, encodable)
        case "send_to_group": try await hub.sendToGroup(group, target, encodable, excluded: excluded)
        case "connection_exists": return .bool(try await hub.connectionExists(connection))
        case "close_connection": try await hub.closeConnection(connection, reason: step["reason"]?.string)
        case "group_exists": return .bool(try await hub.groupExists(group))
        case "user_exists": return .bool(try await hub.userExists(user))
        case "add_connection_to_group": try await hub.addConnectionToGroup(group, connectionId: connection)
        case "remove_connection_from_group": try await hub.removeConnectionFromGroup(group, connectionId: connection)
        case "user_in_group": return .bool(try await hub.userInGroup(group, userId: user))
        case "add_user_to_group":
            try await hub.addUserToGroup(group, userId: user, ttl: step["ttl"]?.integerText.flatMap { Double($0) })
        case "remove_user_from_group": try await hub.removeUserFromGroup(group, userId: user)
        case "remove_user_from_all_groups": try await hub.removeUserFromAllGroups(user)
        case let other: throw StepFailure(description: "\(at): operation \(other) passed the format check")
        }
        return ok
    }
}
