import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SignalRRest
import XCTest

/// The apiVersion option and the operations 2022-06-01 added, each under the default (1.0) client
/// and one speaking 2022-06-01 (the newer operations always use 2022-06-01).
final class API2022Tests: XCTestCase {
    /// Runs `body` once per version (left out, the default 1.0; and 2022-06-01), each against a
    /// fresh simulator with a client speaking it, retries off.
    private func forEachVersion(
        _ body: (Simulator, ServiceClient) async throws -> Void
    ) async throws {
        for version in [nil, APIVersion.v2022_06_01] {
            let simulator = try await Simulator.start()
            let options = ClientOptions(maxRetries: 0, apiVersion: version)
            let client = try ServiceClient(connectionString: simulator.connectionString, options: options)
            try await body(simulator, client)
            await simulator.shutdown()
        }
    }

    /// The claims of a JWT.
    private func claims(_ token: String) throws -> [String: Any] {
        var payload = String(token.split(separator: ".")[1])
            .replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let data = try XCTUnwrap(Data(base64Encoded: payload))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The status the simulator's client endpoint answers a SignalR client bringing `token`.
    private func clientNegotiateStatus(url: String, token: String) async throws -> Int {
        let negotiate = url.replacingOccurrences(of: "/client/?", with: "/client/negotiate?")
        var request = URLRequest(url: try XCTUnwrap(URL(string: negotiate)))
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        return try await withCheckedThrowingContinuation { continuation in
            URLSession.shared.dataTask(with: request) { _, response, error in
                if let error {
                    continuation.resume(throwing: error)
                } else {
                    continuation.resume(returning: (response as? HTTPURLResponse)?.statusCode ?? -1)
                }
            }.resume()
        }
    }

    func testAClientSpeaks1_0UnlessToldOtherwise() async throws {
        let simulator = try await Simulator.start()
        let client = try ServiceClient(connectionString: simulator.connectionString)
        XCTAssertEqual(client.apiVersion, .v1)
        XCTAssertNil(client.applicationName)
        let options = ClientOptions(applicationName: "App", apiVersion: .v2022_06_01)
        let newer = try ServiceClient(connectionString: simulator.connectionString, options: options)
        XCTAssertEqual(newer.apiVersion, .v2022_06_01)
        XCTAssertEqual(newer.applicationName, "app")
    }

    func testAnAPIVersionIsParsedByTheCoreAndABadOneIsNamed() throws {
        XCTAssertEqual(try APIVersion(parsing: "2022-06-01"), .v2022_06_01)
        XCTAssertEqual(try APIVersion(parsing: "1.0"), .v1)
        XCTAssertThrowsError(try APIVersion(parsing: "2021-01-01")) { error in
            guard case SignalRError.invalidArgument(let field, let message) = error else {
                return XCTFail("expected invalidArgument, got \(error)")
            }
            XCTAssertEqual(field, "api_version")
            XCTAssertTrue(message.contains("2021-01-01"), message)
        }
    }

    func testV1OperationsStillWork() async throws {
        try await forEachVersion { simulator, client in
            let alice = try simulator.connect(hub: "chat", userId: "alice")
            let hub = try client.hub("chat")
            try await hub.addUserToGroup("room", userId: "alice")
            try await hub.sendToGroup("room", "hello")
            let member = try await hub.userInGroup("room", userId: "alice")
            XCTAssertTrue(member)
            try await client.health()
            XCTAssertEqual(alice.received().map(\.target), ["hello"])
        }
    }

    func testClosingAtThreeScopesKeepsTheExcludedAndTellsTheRestWhy() async throws {
        try await forEachVersion { simulator, client in
            let ann1 = try simulator.connect(hub: "chat", userId: "ann")
            let ann2 = try simulator.connect(hub: "chat", userId: "ann")
            let member = try simulator.connect(hub: "chat")
            let kept = try simulator.connect(hub: "chat")
            let hub = try client.hub("chat")
            try await hub.addConnectionToGroup("room", connectionId: member.connectionId)

            try await hub.closeUserConnections("ann", excluded: [ann2.connectionId], reason: "user")
            try await hub.closeGroupConnections("room", reason: "group")
            XCTAssertEqual(ann1.closeReason, "user")
            XCTAssertFalse(ann2.isClosed)
            XCTAssertEqual(member.closeReason, "group")

            try await hub.closeAllConnections(excluded: [kept.connectionId], reason: "all")
            XCTAssertEqual(ann2.closeReason, "all")
            XCTAssertFalse(kept.isClosed)
            XCTAssertEqual(simulator.connections(hub: "chat").map(\.connectionId), [kept.connectionId])
        }
    }

    func testAConnectionLeavesAllItsGroups() async throws {
        try await forEachVersion { simulator, client in
            let ann = try simulator.connect(hub: "chat")
            let hub = try client.hub("chat")
            try await hub.addConnectionToGroup("a", connectionId: ann.connectionId)
            try await hub.addConnectionToGroup("b", connectionId: ann.connectionId)
            try await hub.removeConnectionFromAllGroups(ann.connectionId)
            try await hub.removeConnectionFromAllGroups("unknown")
            XCTAssertTrue(simulator.groups(hub: "chat").isEmpty)
        }
    }

    func testNegotiateWithServiceGivesATokenTheClientEndpointAccepts() async throws {
        try await forEachVersion { simulator, client in
            let answer = try await client.negotiateWithService(hub: "Chat", userId: "alice", lifetime: 90)
            XCTAssertEqual(answer.url, "\(simulator.url)/client/?hub=chat")
            let payload = try claims(answer.accessToken)
            XCTAssertEqual(payload["nameid"] as? String, "alice")
            let exp = try XCTUnwrap(payload["exp"] as? Int), iat = try XCTUnwrap(payload["iat"] as? Int)
            XCTAssertEqual(exp - iat, 120, "90 s rounds up to whole minutes")
            let status = try await clientNegotiateStatus(url: answer.url, token: answer.accessToken)
            XCTAssertEqual(status, 200)
        }
    }

    func testGenerateClientTokenMakesATokenForTheHubAndUser() async throws {
        try await forEachVersion { simulator, client in
            let token = try await client.hub("chat").generateClientToken(userId: "bob")
            XCTAssertEqual(try claims(token)["nameid"] as? String, "bob")
            let status = try await clientNegotiateStatus(url: "\(simulator.url)/client/?hub=chat", token: token)
            XCTAssertEqual(status, 200)
        }
    }

    func testTheNewerOperationsCheckTheirArguments() async throws {
        let simulator = try await Simulator.start()
        let hub = try ServiceClient(connectionString: simulator.connectionString).hub("chat")
        do {
            try await hub.closeGroupConnections("")
            XCTFail("an empty group name was accepted")
        } catch SignalRError.invalidArgument(let field, _) {
            XCTAssertEqual(field, "group")
        }
        do {
            _ = try await hub.generateClientToken(lifetime: -1)
            XCTFail("a negative lifetime was accepted")
        } catch SignalRError.invalidArgument(let field, _) {
            XCTAssertEqual(field, "lifetimeSeconds")
        }
    }
}
