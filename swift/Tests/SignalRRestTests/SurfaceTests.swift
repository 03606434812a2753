import Foundation
import SignalRRest
import XCTest

/// One entry of the compiled list: a manifest section, the Swift name, and code touching the API
/// it stands for (never run: it only has to compile, so a missing API fails the build).
private struct Item {
    let section: String
    let name: String
    let touch: Any

    init(_ section: String, _ name: String, _ touch: Any) {
        (self.section, self.name, self.touch) = (section, name, touch)
    }
}

private let swiftSurface: [Item] = [
    Item("client_options", "ServiceClient.init(connectionString:options:)", ServiceClient.init(connectionString:options:)),
    Item("client_options", "ServiceClient.init(endpoint:accessKey:options:)", ServiceClient.init(endpoint:accessKey:options:)),
    Item("client_options", "clientEndpoint", \ClientOptions.clientEndpoint),
    Item("client_options", "ServiceClient.init(endpoint:tokenProvider:options:)", ServiceClient.init(endpoint:tokenProvider:options:)),
    Item("client_options", "applicationName", \ClientOptions.applicationName),
    Item("client_options", "apiVersion", \ClientOptions.apiVersion),
    Item("client_options", "timeout", \ClientOptions.timeout),
    Item("client_options", "maxRetries", \ClientOptions.maxRetries),
    Item("client_options", "tokenLifetime", \ClientOptions.tokenLifetime),
    Item("client_methods", "endpoint", \ServiceClient.endpoint),
    Item("client_methods", "apiVersion", \ServiceClient.apiVersion),
    Item("client_methods", "applicationName", \ServiceClient.applicationName),
    Item("client_methods", "hub", ServiceClient.hub),
    Item("client_methods", "health", { (c: ServiceClient) in try await c.health() }),
    Item("client_methods", "clientURL", ServiceClient.clientURL(hub:)),
    Item("client_methods", "negotiate", { (c: ServiceClient) in try c.negotiate(hub: "") }),
    Item("client_methods", "negotiateWithService", { (c: ServiceClient) in try await c.negotiateWithService(hub: "") }),
    Item("hub_methods", "name", \HubClient.name),
    Item("hub_methods", "sendToAll", { (h: HubClient) in try await h.sendToAll("") }),
    Item("hub_methods", "sendToUser", { (h: HubClient) in try await h.sendToUser("", "") }),
    Item("hub_methods", "sendToConnection", { (h: HubClient) in try await h.sendToConnection("", "") }),
    Item("hub_methods", "sendToGroup", { (h: HubClient) in try await h.sendToGroup("", "") }),
    Item("hub_methods", "connectionExists", { (h: HubClient) in try await h.connectionExists("") }),
    Item("hub_methods", "closeConnection", { (h: HubClient) in try await h.closeConnection("") }),
    Item("hub_methods", "groupExists", { (h: HubClient) in try await h.groupExists("") }),
    Item("hub_methods", "userExists", { (h: HubClient) in try await h.userExists("") }),
    Item("hub_methods", "addConnectionToGroup", { (h: HubClient) in try await h.addConnectionToGroup("", connectionId: "") }),
    Item("hub_methods", "removeConnectionFromGroup", { (h: HubClient) in try await h.removeConnectionFromGroup("", connectionId: "") }),
    Item("hub_methods", "userInGroup", { (h: HubClient) in try await h.userInGroup("", userId: "") }),
    Item("hub_methods", "addUserToGroup", { (h: HubClient) in try await h.addUserToGroup("", userId: "") }),
    Item("hub_methods", "removeUserFromGroup", { (h: HubClient) in try await h.removeUserFromGroup("", userId: "") }),
    Item("hub_methods", "removeUserFromAllGroups", { (h: HubClient) in try await h.removeUserFromAllGroups("") }),
    Item("hub_methods", "closeAllConnections", { (h: HubClient) in try await h.closeAllConnections() }),
    Item("hub_methods", "closeGroupConnections", { (h: HubClient) in try await h.closeGroupConnections("") }),
    Item("hub_methods", "closeUserConnections", { (h: HubClient) in try await h.closeUserConnections("") }),
    Item("hub_methods", "removeConnectionFromAllGroups", { (h: HubClient) in try await h.removeConnectionFromAllGroups("") }),
    Item("hub_methods", "generateClientToken", { (h: HubClient) in try await h.generateClientToken() }),
    Item("simulator_options", "host", { try await Simulator.start(host: "") }),
    Item("simulator_options", "port", { try await Simulator.start(port: 0) }),
    Item("simulator_options", "accessKey", { try await Simulator.start(accessKey: "") }),
    Item("simulator_options", "pingInterval", { try await Simulator.start(pingInterval: 1) }),
    Item("simulator_options", "secondaryAccessKey", { try await Simulator.start(secondaryAccessKey: "") }),
    Item("simulator_options", "upstreams", { try await Simulator.start(upstreams: []) }),
    Item("simulator_options", "upstreamTimeout", { try await Simulator.start(upstreamTimeout: 1) }),
    Item("simulator_options", "dashboard", { try await Simulator.start(dashboard: false) }),
    Item("simulator_options", "faults", { try await Simulator.start(faults: []) }),
    Item("simulator_options", "faultSeed", { try await Simulator.start(faultSeed: 1) }),
    Item("simulator_methods", "url", \Simulator.url),
    Item("simulator_methods", "connectionString", \Simulator.connectionString),
    Item("simulator_methods", "accessKey", \Simulator.accessKey),
    Item("simulator_methods", "dashboardUrl", \Simulator.dashboardUrl),
    Item("simulator_methods", "accessToken", { (s: Simulator) in try s.accessToken(audience: "") }),
    Item("simulator_methods", "connect", { (s: Simulator) in try s.connect(hub: "") }),
    Item("simulator_methods", "hubs", Simulator.hubs),
    Item("simulator_methods", "connections", Simulator.connections(hub:)),
    Item("simulator_methods", "groups", Simulator.groups(hub:)),
    Item("simulator_methods", "userGroups", Simulator.userGroups(hub:)),
    Item("simulator_methods", "upstreamCalls", Simulator.upstreamCalls),
    Item("simulator_methods", "advanceClock", Simulator.advanceClock(by:)),
    Item("simulator_methods", "addFault", Simulator.addFault),
    Item("simulator_methods", "removeFault", Simulator.removeFault(id:)),
    Item("simulator_methods", "clearFaults", Simulator.clearFaults),
    Item("simulator_methods", "faults", Simulator.faults),
    Item("simulator_methods", "injectedFaults", Simulator.injectedFaults),
    Item("simulator_methods", "dropClients", { (s: Simulator) in try s.dropClients(hub: "") }),
    Item("simulator_methods", "pauseClients", { (s: Simulator) in try s.pauseClients(hub: "", duration: 1) }),
    Item("simulator_methods", "shutdown", { (s: Simulator) in await s.shutdown() }),
    Item("virtual_client_methods", "connectionId", \VirtualClient.connectionId),
    Item("virtual_client_methods", "userId", \VirtualClient.userId),
    Item("virtual_client_methods", "received", VirtualClient.received),
    Item("virtual_client_methods", "waitFor", { (v: VirtualClient) in try await v.waitFor("") }),
    Item("virtual_client_methods", "isClosed", \VirtualClient.isClosed),
    Item("virtual_client_methods", "closeReason", \VirtualClient.closeReason),
    Item("virtual_client_methods", "disconnect", VirtualClient.disconnect),
    Item("helpers", "SignalRRest.version", SignalRRest.version),
    Item("helpers", "upstream.parseRequest", Upstream.parseRequest(headers:body:accessKeys:)),
    Item("helpers", "upstream.completionBody", { try Upstream.completionBody(protocol: .json, invocationId: "", result: 1) }),
] + [
    SignalRError.invalidArgument(field: "", message: ""), .unauthorized(status: nil, message: ""),
    .notFound(errorCode: "", message: ""), .badRequest(message: ""), .serviceError(status: 500, body: "", message: ""),
    .timeout(after: 0, message: ""), .transport(message: ""),
].map { Item("error_kinds", $0.kind, $0) }

final class SurfaceTests: XCTestCase {
    /// The manifest's entries as (section, Swift name): the entry's "swift" name, else each
    /// dotted part of the name in lowerCamelCase (error kinds as written); and its Swift gaps.
    private func manifest() throws -> (expected: Set<String>, gaps: Set<String>) {
        let file = ScenarioTests.directory.appendingPathComponent("surface.json")
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        let sections = try XCTUnwrap(root["sections"] as? [String: [[String: Any]]])
        var expected: Set<String> = []
        var gaps: Set<String> = []
        for (section, entries) in sections {
            for entry in entries {
                let name = try XCTUnwrap(entry["name"] as? String)
                if let gap = entry["swift"] as? [String: Any] {
                    XCTAssertNotNil(gap["gap"] as? String, "\(section).\(name): a gap needs its reason")
                    gaps.insert("\(section) \(name)")
                } else {
                    let swift = entry["swift"] as? String ?? (section == "error_kinds" ? name : Self.camel(name))
                    expected.insert("\(section) \(swift)")
                }
            }
        }
        return (expected, gaps)
    }

    static func camel(_ snake: String) -> String {
        snake.split(separator: ".").map { segment in
            segment.split(separator: "_").enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.capitalized }
                .joined()
        }.joined(separator: ".")
    }

    func testThePackageHasEveryManifestEntryAndNothingUnlisted() throws {
        let (expected, gaps) = try manifest()
        let have = Set(swiftSurface.map { "\($0.section) \($0.name)" })
        XCTAssertEqual(have.count, swiftSurface.count, "an entry is listed twice")
        XCTAssertEqual(expected.subtracting(have).sorted(), [], "surface.json lists what the Swift package lacks")
        XCTAssertEqual(have.subtracting(expected).sorted(), [], "entries surface.json does not list for Swift")
        // A gap's Swift name would be its derived one; none may be in the compiled list.
        let gapNames = Set(gaps.map { $0.split(separator: " ").map(String.init) }.map { "\($0[0]) \(Self.camel($0[1]))" })
        XCTAssertTrue(gapNames.isDisjoint(with: have), "surface.json lists as Swift gaps what the package has")
        XCTAssertGreaterThan(expected.count, 60)
    }

    func testNamesAreDerivedAsTheManifestSays() {
        XCTAssertEqual(Self.camel("negotiate_with_service"), "negotiateWithService")
        XCTAssertEqual(Self.camel("upstream.parse_request"), "upstream.parseRequest")
    }
}
