import Foundation
import SignalRRest
import XCTest

/// Replays the shared scenarios in tests/scenarios (format: its README.md), one test method per
/// file and REST API version it runs under (v1 and 2022-06-01 unless it pins one), so a failure
/// names its scenario and version; the format is checked strictly first (ScenarioFormat).
final class ScenarioTests: XCTestCase {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tests/scenarios")

    func testApplicationName_v1() async throws { try await replay("application_name.json", .v1) }
    func testApplicationName_v2022_06_01() async throws { try await replay("application_name.json", .v2022_06_01) }
    func testArgumentFidelity_v1() async throws { try await replay("argument_fidelity.json", .v1) }
    func testArgumentFidelity_v2022_06_01() async throws { try await replay("argument_fidelity.json", .v2022_06_01) }
    func testBroadcast_v1() async throws { try await replay("broadcast.json", .v1) }
    func testBroadcast_v2022_06_01() async throws { try await replay("broadcast.json", .v2022_06_01) }
    func testClientUrl_v1() async throws { try await replay("client_url.json", .v1) }
    func testClientUrl_v2022_06_01() async throws { try await replay("client_url.json", .v2022_06_01) }
    func testCloseAllConnections_v1() async throws { try await replay("close_all_connections.json", .v1) }
    func testCloseAllConnections_v2022_06_01() async throws { try await replay("close_all_connections.json", .v2022_06_01) }
    func testCloseGroupConnections_v1() async throws { try await replay("close_group_connections.json", .v1) }
    func testCloseGroupConnections_v2022_06_01() async throws { try await replay("close_group_connections.json", .v2022_06_01) }
    func testCloseUserConnections_v1() async throws { try await replay("close_user_connections.json", .v1) }
    func testCloseUserConnections_v2022_06_01() async throws { try await replay("close_user_connections.json", .v2022_06_01) }
    func testConnectionGroups_v1() async throws { try await replay("connection_groups.json", .v1) }
    func testConnectionGroups_v2022_06_01() async throws { try await replay("connection_groups.json", .v2022_06_01) }
    func testEndpointClosedPort_v1() async throws { try await replay("endpoint_closed_port.json", .v1) }
    func testEndpointClosedPort_v2022_06_01() async throws { try await replay("endpoint_closed_port.json", .v2022_06_01) }
    func testEndpointStalls_v1() async throws { try await replay("endpoint_stalls.json", .v1) }
    func testEndpointStalls_v2022_06_01() async throws { try await replay("endpoint_stalls.json", .v2022_06_01) }
    func testExistsAndClose_v1() async throws { try await replay("exists_and_close.json", .v1) }
    func testExistsAndClose_v2022_06_01() async throws { try await replay("exists_and_close.json", .v2022_06_01) }
    func testFault429RetryAfter_v1() async throws { try await replay("fault_429_retry_after.json", .v1) }
    func testFault429RetryAfter_v2022_06_01() async throws { try await replay("fault_429_retry_after.json", .v2022_06_01) }
    func testFault4xxNotRetried_v1() async throws { try await replay("fault_4xx_not_retried.json", .v1) }
    func testFault4xxNotRetried_v2022_06_01() async throws { try await replay("fault_4xx_not_retried.json", .v2022_06_01) }
    func testFault500SendNotRetried_v1() async throws { try await replay("fault_500_send_not_retried.json", .v1) }
    func testFault500SendNotRetried_v2022_06_01() async throws { try await replay("fault_500_send_not_retried.json", .v2022_06_01) }
    func testFault503SendRetried_v1() async throws { try await replay("fault_503_send_retried.json", .v1) }
    func testFault503SendRetried_v2022_06_01() async throws { try await replay("fault_503_send_retried.json", .v2022_06_01) }
    func testFaultDropClients_v1() async throws { try await replay("fault_drop_clients.json", .v1) }
    func testFaultDropClients_v2022_06_01() async throws { try await replay("fault_drop_clients.json", .v2022_06_01) }
    func testFaultReset_v1() async throws { try await replay("fault_reset.json", .v1) }
    func testFaultReset_v2022_06_01() async throws { try await replay("fault_reset.json", .v2022_06_01) }
    func testFaultRulesRefused_v1() async throws { try await replay("fault_rules_refused.json", .v1) }
    func testFaultRulesRefused_v2022_06_01() async throws { try await replay("fault_rules_refused.json", .v2022_06_01) }
    func testHubNames_v1() async throws { try await replay("hub_names.json", .v1) }
    func testHubNames_v2022_06_01() async throws { try await replay("hub_names.json", .v2022_06_01) }
    func testInvalidArguments_v1() async throws { try await replay("invalid_arguments.json", .v1) }
    func testInvalidArguments_v2022_06_01() async throws { try await replay("invalid_arguments.json", .v2022_06_01) }
    func testNegotiate_v1() async throws { try await replay("negotiate.json", .v1) }
    func testNegotiate_v2022_06_01() async throws { try await replay("negotiate.json", .v2022_06_01) }
    func testNegotiateWithService_v1() async throws { try await replay("negotiate_with_service.json", .v1) }
    func testNegotiateWithService_v2022_06_01() async throws { try await replay("negotiate_with_service.json", .v2022_06_01) }
    func testOddIds_v1() async throws { try await replay("odd_ids.json", .v1) }
    func testOddIds_v2022_06_01() async throws { try await replay("odd_ids.json", .v2022_06_01) }
    func testRemoveConnectionFromAllGroups_v1() async throws { try await replay("remove_connection_from_all_groups.json", .v1) }
    func testRemoveConnectionFromAllGroups_v2022_06_01() async throws { try await replay("remove_connection_from_all_groups.json", .v2022_06_01) }
    func testRemoveNonMember2022_v2022_06_01() async throws { try await replay("remove_non_member_2022.json", .v2022_06_01) }
    func testRemoveNonMemberV1_v1() async throws { try await replay("remove_non_member_v1.json", .v1) }
    func testSendToConnection_v1() async throws { try await replay("send_to_connection.json", .v1) }
    func testSendToConnection_v2022_06_01() async throws { try await replay("send_to_connection.json", .v2022_06_01) }
    func testSendToUser_v1() async throws { try await replay("send_to_user.json", .v1) }
    func testSendToUser_v2022_06_01() async throws { try await replay("send_to_user.json", .v2022_06_01) }
    func testServerAnswers400_v1() async throws { try await replay("server_answers_400.json", .v1) }
    func testServerAnswers400_v2022_06_01() async throws { try await replay("server_answers_400.json", .v2022_06_01) }
    func testServerAnswers404_v1() async throws { try await replay("server_answers_404.json", .v1) }
    func testServerAnswers404_v2022_06_01() async throws { try await replay("server_answers_404.json", .v2022_06_01) }
    func testServerAnswers500_v1() async throws { try await replay("server_answers_500.json", .v1) }
    func testServerAnswers500_v2022_06_01() async throws { try await replay("server_answers_500.json", .v2022_06_01) }
    func testShutDownSimulator_v1() async throws { try await replay("shut_down_simulator.json", .v1) }
    func testShutDownSimulator_v2022_06_01() async throws { try await replay("shut_down_simulator.json", .v2022_06_01) }
    func testTokenProvider_v1() async throws { try await replay("token_provider.json", .v1) }
    func testTokenProvider_v2022_06_01() async throws { try await replay("token_provider.json", .v2022_06_01) }
    func testTokenProviderFails_v1() async throws { try await replay("token_provider_fails.json", .v1) }
    func testTokenProviderFails_v2022_06_01() async throws { try await replay("token_provider_fails.json", .v2022_06_01) }
    func testTtlLessMappingCap_v1() async throws { try await replay("ttl_less_mapping_cap.json", .v1) }
    func testTtlLessMappingCap_v2022_06_01() async throws { try await replay("ttl_less_mapping_cap.json", .v2022_06_01) }
    func testUnauthorized_v1() async throws { try await replay("unauthorized.json", .v1) }
    func testUnauthorized_v2022_06_01() async throws { try await replay("unauthorized.json", .v2022_06_01) }
    func testUserGroupTtl_v1() async throws { try await replay("user_group_ttl.json", .v1) }
    func testUserGroupTtl_v2022_06_01() async throws { try await replay("user_group_ttl.json", .v2022_06_01) }
    func testUserGroups_v1() async throws { try await replay("user_groups.json", .v1) }
    func testUserGroups_v2022_06_01() async throws { try await replay("user_groups.json", .v2022_06_01) }

    /// The files and versions the methods above replay, read from this source file, against the
    /// directory and each file's `api_versions`.
    func testEveryScenarioFileHasATestMethodPerAPIVersion() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let marker = "try await replay(\""
        // "broadcast.json 2022-06-01" for `replay("broadcast.json", .v2022_06_01)`.
        let replayed = Set(source.components(separatedBy: marker).dropFirst().compactMap { rest -> String? in
            let parts = rest.split(separator: "\"", maxSplits: 1)
            guard parts.count == 2, let version = parts[1].split(separator: ")").first else { return nil }
            let name = version.trimmingCharacters(in: CharacterSet(charactersIn: ", ."))
            return "\(parts[0]) \(name == "v1" ? "v1" : name.dropFirst().replacingOccurrences(of: "_", with: "-"))"
        })
        var onDisk: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.directory.path) where file.hasSuffix(".json") && file != "surface.json" {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
            for version in ScenarioFormat.versions(of: try ScenarioFormat.parse(file: file, text: text)) {
                onDisk.insert("\(file) \(version)")
            }
        }
        XCTAssertEqual(
            onDisk.subtracting(replayed), [],
            "add a test method for each of these (file and API version) to ScenarioTests.swift"
        )
        XCTAssertEqual(replayed.subtracting(onDisk), [], "test methods replay files or versions that do not exist")
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

    func testTheFaultStepsAndClientRetriesAreCheckedStrictly() throws {
        let cases = [
            (#"{"name":"n","client":{"retries":-1},"steps":[]}"#, #"client: field "retries" must be a non-negative integer"#),
            (#"{"name":"n","client":{"retries":1.0},"steps":[]}"#, #"client: field "retries" must be a non-negative integer"#),
            (#"{"name":"n","steps":[{"drop_clients":"chat"}]}"#, #"steps[0]: missing field "close""#),
            (#"{"name":"n","steps":[{"drop_clients":"chat","close":"yes"}]}"#, #"steps[0]: field "close" must be a boolean"#),
            (#"{"name":"n","steps":[{"drop_clients":"chat","close":true,"connection":5}]}"#, #"steps[0]: field "connection" must be a string"#),
            (#"{"name":"n","steps":[{"fault":"503","expect":"ok"}]}"#, #"steps[0]: field "expect" must be {"error": kind}"#),
            (#"{"name":"n","steps":[{"fault":"503","hub":"chat"}]}"#, #"steps[0]: unknown field "hub""#),
            (#"{"name":"n","steps":[{"clear_faults":false}]}"#, #"steps[0]: field "clear_faults" must be true"#),
            (#"{"name":"n","steps":[{"injected":[1]}]}"#, #"steps[0]: field "injected" must be an array of strings"#),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ScenarioFormat.parse(file: "f.json", text: text), text) { error in
                XCTAssertEqual((error as? ScenarioFormatError)?.description, "f.json: \(expected)")
            }
        }
        XCTAssertNoThrow(try ScenarioFormat.parse(
            file: "f.json", text: #"{"name":"n","client":{"retries":2},"steps":[{"drop_clients":"c","close":false}]}"#
        ))
    }

    func testScenarioJSONKeepsKeyOrderAndNumberText() throws {
        let value = try ScenarioJSON(parsing: #" {"b": [1, 1.0, -2e3], "a": "\u00e9\n\ud83d\ude42"} "#)
        XCTAssertEqual(value.description, #"{"b":[1,1.0,-2e3],"a":"é\n🙂"}"#)
        XCTAssertNotEqual(try ScenarioJSON(parsing: #"{"a":1,"b":2}"#), try ScenarioJSON(parsing: #"{"b":2,"a":1}"#))
        XCTAssertNotEqual(try ScenarioJSON(parsing: "[1]"), try ScenarioJSON(parsing: "[1.0]"))
        XCTAssertThrowsError(try ScenarioJSON(parsing: "[1,]"))
    }

    private func replay(_ file: String, _ version: APIVersion) async throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
        let scenario = try ScenarioFormat.parse(file: file, text: text)
        let versionName = version == .v1 ? "v1" : version.rawValue
        try check(
            ScenarioFormat.versions(of: scenario).contains(versionName),
            "\(file): its api_versions do not include \(versionName)"
        )
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
            // No retries unless asked: an intermittent 5xx must fail the scenario, not be retried away.
            maxRetries: client["retries"]?.integerText.flatMap { Int($0) } ?? 0,
            applicationName: client["application"]?.string,
            apiVersion: version
        )
        let key = client["access_key"]?.string ?? simulator.accessKey
        let service: ServiceClient
        switch client["auth"]?.string ?? "access_key" {
        case "access_key":
            service = try ServiceClient(connectionString: "Endpoint=\(url);AccessKey=\(key);Version=1.0;", options: options)
        case "token_provider":
            // The simulator signs each token, as Microsoft Entra ID would issue it.
            let provider = TokenProviderFunction { audience in try simulator.accessToken(audience: audience, lifetime: 3600) }
            service = try ServiceClient(endpoint: url, tokenProvider: provider, options: options)
        default:
            let provider = TokenProviderFunction { _ in throw StepFailure(description: "the scenario's token provider has no credential") }
            service = try ServiceClient(endpoint: url, tokenProvider: provider, options: options)
        }
        XCTAssertEqual(service.apiVersion, version)
        let run = Run(simulator: simulator, service: service)
        for (i, step) in scenario["steps"]!.array!.enumerated() {
            try await run.step("\(file) (API \(versionName)): steps[\(i)]", step)
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
            var outcome: ScenarioJSON?
            do {
                clients[name] = try simulator.connect(hub: step["hub"]!.string!, userId: step["user"]?.string)
            } catch let error as SignalRError {
                outcome = .object([.init(key: "error", value: .string(error.kind))])
            }
            try check(outcome == step["expect"], "\(context)\n  got \(outcome.map(\.description) ?? "a connection")")
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
        case "open":
            let open = try client(at, name)
            try check(!open.isClosed, "\(context)\n  closed (reason \(open.closeReason ?? "none"))")
        case "advance_clock":
            try simulator.advanceClock(by: Double(step["advance_clock"]!.integerText!)!)
        case "groups":
            let groups = simulator.groups(hub: name)
            let actual = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, Set($0.connectionIds)) })
            var expected: [String: Set<String>] = [:]
            for member in step["expect"]!.members! {
                expected[member.key] = Set(try member.value.array!.map { try id(at, $0) })
            }
            try check(actual == expected, "\(context)\n  got \(actual)")
        case "hubs":
            let hubs = simulator.hubs()
            try check(hubs == step["hubs"]!.array!.map { $0.string! }, "\(context)\n  got \(hubs)")
        case "client_url":
            let url: String
            do {
                url = try service.clientURL(hub: name)
            } catch {
                url = "failed: \(error)"
            }
            try check(url == simulator.url + step["expect"]!.string!, "\(context)\n  got \(url)")
        case "shutdown":
            await simulator.shutdown()
        case "fault":
            var outcome: ScenarioJSON?
            do {
                try simulator.addFault(name)
            } catch let error as SignalRError {
                outcome = .object([.init(key: "error", value: .string(error.kind))])
            }
            try check(outcome == step["expect"], "\(context)\n  got \(outcome.map(\.description) ?? "the rule added")")
        case "clear_faults":
            simulator.clearFaults()
        case "injected":
            let injected = simulator.injectedFaults().map(\.fault)
            try check(injected == step["injected"]!.array!.map { $0.string! }, "\(context)\n  got \(injected)")
        default:
            let connection = try step["connection"].map { try id(at, $0) }
            try simulator.dropClients(hub: name, connectionId: connection, close: step["close"] == .bool(true))
        }
    }

    /// The call's result as the scenario writes it: "ok", a boolean, or {"error": kind}; and
    /// the error's message.
    func outcome(_ at: String, _ step: ScenarioJSON) async throws -> (ScenarioJSON, String) {
        do {
            let operation = step["call"]?.string
            if operation == "negotiate" || operation == "negotiate_with_service" {
                // On the ServiceClient; "ok" also needs the simulator to accept the token.
                let user = step["user"]?.string
                let hub = step["hub"]!.string!
                let answer = operation == "negotiate"
                    ? try service.negotiate(hub: hub, userId: user)
                    : try await service.negotiateWithService(hub: hub, userId: user)
                return (await tokenAccepted(url: answer.url, token: answer.accessToken, user: user), "")
            }
            return (try await call(at, try service.hub(step["hub"]!.string!), step), "")
        } catch let error as SignalRError {
            return (.object([.init(key: "error", value: .string(error.kind))]), "\(error)")
        }
    }

    func call(_ at: String, _ hub: HubClient, _ step: ScenarioJSON) async throws -> ScenarioJSON {
        // As RawJSON: sent as written, key order and number text kept (JSONEncoder keeps neither).
        let encodable: [any Encodable] = (step["arguments"]?.array ?? []).map { RawJSON($0.description) }
        let excluded = try (step["excluded"]?.array ?? []).map { try id(at, $0) }
        let target = step["target"]?.string ?? ""
        let user = step["user"]?.string ?? ""
        let group = step["group"]?.string ?? ""
        let connection = try id(at, step["connection"])
        let reason = step["reason"]?.string
        let ok = ScenarioJSON.string("ok")
        switch step["call"]!.string! {
        case "send_to_all": try await hub.sendToAll(target, encodable, excluded: excluded)
        case "send_to_user": try await hub.sendToUser(user, target, encodable)
        case "send_to_connection": try await hub.sendToConnection(connection, target, encodable)
        case "send_to_group": try await hub.sendToGroup(group, target, encodable, excluded: excluded)
        case "connection_exists": return .bool(try await hub.connectionExists(connection))
        case "close_connection": try await hub.closeConnection(connection, reason: reason)
        case "group_exists": return .bool(try await hub.groupExists(group))
        case "user_exists": return .bool(try await hub.userExists(user))
        case "add_connection_to_group": try await hub.addConnectionToGroup(group, connectionId: connection)
        case "remove_connection_from_group": try await hub.removeConnectionFromGroup(group, connectionId: connection)
        case "user_in_group": return .bool(try await hub.userInGroup(group, userId: user))
        case "add_user_to_group":
            try await hub.addUserToGroup(group, userId: user, ttl: step["ttl"]?.integerText.flatMap { Double($0) })
        case "remove_user_from_group": try await hub.removeUserFromGroup(group, userId: user)
        case "remove_user_from_all_groups": try await hub.removeUserFromAllGroups(user)
        case "close_all_connections": try await hub.closeAllConnections(excluded: excluded, reason: reason)
        case "close_group_connections": try await hub.closeGroupConnections(group, excluded: excluded, reason: reason)
        case "close_user_connections": try await hub.closeUserConnections(user, excluded: excluded, reason: reason)
        case "remove_connection_from_all_groups": try await hub.removeConnectionFromAllGroups(connection)
        case let other: throw StepFailure(description: "\(at): operation \(other) passed the format check")
        }
        return ok
    }
}
