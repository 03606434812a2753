import SignalRRestBindings

/// Supplies the bearer token of each REST call, so an app never holds the access key: fetch a
/// token for `audience` (the request URL without its query) from your backend. Whatever it
/// throws fails the call with `SignalRError.unauthorized(status: nil, ...)`.
public protocol TokenProvider: Sendable {
    /// A token whose `aud` is `audience`.
    func token(audience: String) async throws -> String
}

/// A `TokenProvider` made from a closure.
public struct TokenProviderFunction: TokenProvider {
    private let fetch: @Sendable (String) async throws -> String

    /// A provider that calls `fetch` with each request's audience.
    public init(_ fetch: @escaping @Sendable (String) async throws -> String) {
        self.fetch = fetch
    }

    public func token(audience: String) async throws -> String {
        try await fetch(audience)
    }
}

/// A `TokenProvider` as the generated foreign trait; what it throws reaches Rust as a failure.
final class NativeTokenProvider: SignalRRestBindings.TokenProvider {
    private let provider: any TokenProvider

    init(_ provider: any TokenProvider) {
        self.provider = provider
    }

    func token(audience: String) async throws -> String {
        try await provider.token(audience: audience)
    }
}
