// The Swift examples of swift/README.md, each word for word (scripts/lib/readme_blocks.py checks
// them): "Use" as it is, the others in a function that gives them the names they use.
// ReadmeExamplesTests runs those that need nothing but the simulator; the others are compiled.
import Foundation

import SignalRRest

struct Chat: Codable { let author: String; let text: String }

func sendMessages(connectionString: String) async throws -> NegotiateResponse {
    let service = try ServiceClient(connectionString: connectionString)
    let chat = try service.hub("chat")
    try await chat.sendToAll("newMessage", [Chat(author: "bob", text: "hello")])
    try await chat.sendToUser("alice", "ping")
    try await chat.addUserToGroup("room-1", userId: "alice", ttl: 3600)
    if try await chat.userInGroup("room-1", userId: "alice") {
        try await chat.sendToGroup("room-1", "joined", ["alice"])
    }

    // JSON text sent exactly as written (key order, every digit), which JSONEncoder cannot promise:
    try await chat.sendToAll("exact", [RawJSON(#"{"z":1,"a":12345678901234567890}"#)])

    // What your /negotiate endpoint returns to a SignalR client (Codable):
    return try service.negotiate(hub: "chat", userId: "alice")
}

/// "Errors": `chat` and `id` as the README's surrounding text has them.
func removeFromGroup(chat: HubClient, id: String) async throws {
    do {
        try await chat.removeConnectionFromGroup("room-1", connectionId: id)
    } catch SignalRError.notFound(let errorCode, let message) {
        print(errorCode, message)
    } catch let error as SignalRError {
        print(error.kind, error.message)   // kind: "invalid_argument", "unauthorized", "timeout", ...
    }
}

/// Your app's authenticated calls to its backend.
struct MyBackend: Sendable {
    func signalRToken(audience: String) async throws -> String { throw URLError(.userAuthenticationRequired) }
}

/// "iOS apps: a token provider instead of the access key".
func backendTokensExample(api: MyBackend) async throws {
    struct BackendTokens: TokenProvider {
        let api: MyBackend
        func token(audience: String) async throws -> String {
            try await api.signalRToken(audience: audience)   // your authenticated request
        }
    }

    let client = try ServiceClient(endpoint: "https://example.service.signalr.net",
                                   tokenProvider: BackendTokens(api: api))
    try await client.hub("chat").sendToUser("bob", "newMessage", ["hi"])
}

/// An upstream request and its answer, as a web framework hands them over.
struct UpstreamHTTPRequest {
    let headers: [String: String]
    let body: Data
}
struct UpstreamHTTPResponse {
    func send(status: Int, body: Data, contentType: String) {}
}

/// "Serverless apps (upstream)".
func upstreamExample(request: UpstreamHTTPRequest, response: UpstreamHTTPResponse, primaryKey: String) throws {
    let event = try Upstream.parseRequest(headers: request.headers, body: request.body, accessKeys: [primaryKey])
    if case let .invocation(call) = event, let id = call.invocationId {
        let numbers = try call.arguments(as: [Int].self)
        let body = try Upstream.completionBody(protocol: call.protocol, invocationId: id, result: numbers.reduce(0, +))
        response.send(status: 200, body: body, contentType: call.protocol.contentType)   // the caller's invoke returns the sum
    }
}

/// "Tests with the simulator".
func simulatorExample() async throws {
    let simulator = try await Simulator.start()
    let alice = try simulator.connect(hub: "chat", userId: "alice")
    let service = try ServiceClient(connectionString: simulator.connectionString)
    try await service.hub("chat").sendToUser("alice", "hello", [Chat(author: "bob", text: "hi")])
    let message = try await alice.waitFor("hello")
    let chats = try message.arguments(as: [Chat].self)      // Chat from the example above
    let groups = simulator.groups(hub: "chat")           // also connections, userGroups, hubs
    print(chats, groups)
    try simulator.advanceClock(by: 3600)                    // user-group TTLs expire
}
