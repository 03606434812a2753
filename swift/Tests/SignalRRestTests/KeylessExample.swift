import SignalRRest

// README begin: swift/README.md shows the lines from here to "README end" verbatim.
/// Sends `newMessage("hello")` to every client of hub `chat` without holding the access key:
/// `fetchToken` gets each request's token for its audience from your backend (or Microsoft
/// Entra ID), which checks who is asking.
func sendWithoutKey(endpoint: String, fetchToken: @escaping @Sendable (String) async throws -> String) async throws {
    let client = try ServiceClient(endpoint: endpoint, tokenProvider: TokenProviderFunction(fetchToken))
    try await client.hub("chat").sendToAll("newMessage", ["hello"])
}
// README end
