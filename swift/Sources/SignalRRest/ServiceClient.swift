import Foundation
import SignalRRestBindings

/// Client settings; nil keeps the default (30 s timeout, 3 retries, no application name).
public struct ClientOptions: Sendable, Equatable {
    /// Seconds one HTTP request may take.
    public var timeout: TimeInterval?
    /// Attempts after the first one; 0 disables retries.
    public var maxRetries: Int?
    /// Seconds before the first retry; doubles each time.
    public var retryInitialDelay: TimeInterval?
    /// Upper bound in seconds of any wait between retries.
    public var retryMaxDelay: TimeInterval?
    /// Prefix hub names with `{name}_`, to share one service between applications.
    public var applicationName: String?

    /// Settings; every one left out keeps its default.
    public init(
        timeout: TimeInterval? = nil,
        maxRetries: Int? = nil,
        retryInitialDelay: TimeInterval? = nil,
        retryMaxDelay: TimeInterval? = nil,
        applicationName: String? = nil
    ) {
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryInitialDelay = retryInitialDelay
        self.retryMaxDelay = retryMaxDelay
        self.applicationName = applicationName
    }

    var native: SignalRRestBindings.ClientOptions {
        SignalRRestBindings.ClientOptions(
            timeoutSeconds: timeout,
            maxRetries: maxRetries.map(Int64.init),
            retryInitialDelaySeconds: retryInitialDelay,
            retryMaxDelaySeconds: retryMaxDelay,
            applicationName: applicationName
        )
    }
}

/// The `{url, accessToken}` an app's negotiate endpoint returns to a SignalR client.
public struct NegotiateResponse: Sendable, Equatable, Codable {
    /// Where the client connects: `{endpoint}/client/?hub={hub}`.
    public let url: String
    /// The client's token for that URL.
    public let accessToken: String
}

/// A client of one service endpoint; hub clients made from it share its connection pool.
///
/// ```swift
/// let client = try ServiceClient(connectionString: connectionString)
/// try await client.hub("chat").sendToAll("newMessage", ["hello"])
/// ```
public final class ServiceClient: Sendable {
    private let client: SignalRRestBindings.ServiceClient

    /// A client from `Endpoint=...;AccessKey=...;Version=1.0;`.
    public init(connectionString: String, options: ClientOptions = ClientOptions()) throws {
        client = try native { try .fromConnectionString(connectionString: connectionString, options: options.native) }
    }

    /// A client of `endpoint` that asks `tokenProvider` for every request's token instead of holding the key.
    public init(endpoint: String, tokenProvider: any TokenProvider, options: ClientOptions = ClientOptions()) throws {
        client = try native {
            try .withTokenProvider(endpoint: endpoint, provider: NativeTokenProvider(tokenProvider), options: options.native)
        }
    }

    /// The REST endpoint, without trailing slash.
    public var endpoint: String { client.endpoint() }

    /// A client for hub `name`; throws `invalidArgument` if the name breaks the hub rules.
    public func hub(_ name: String) throws -> HubClient {
        HubClient(try native { try client.hub(name: name) })
    }

    /// Returns when the service answers its health check.
    public func health() async throws {
        try await cancellable { try await client.health(cancel: $0) }
    }

    /// The URL a SignalR client connects to for `hub`.
    public func clientURL(hub: String) throws -> String {
        try native { try client.clientUrl(hub: hub) }
    }

    /// The negotiate answer for a SignalR client of `hub` as `userId`; needs the access key.
    /// `lifetime` is in seconds (default one hour); `claims`, extra claims, must encode to a JSON
    /// object (a `[String: String]` or a struct).
    public func negotiate(
        hub: String,
        userId: String? = nil,
        lifetime: TimeInterval? = nil,
        claims: (any Encodable)? = nil
    ) throws -> NegotiateResponse {
        let claimsJSON = try claims.map { try jsonText($0, field: "claims") }
        let options = NegotiateOptions(userId: userId, lifetimeSeconds: lifetime, claimsJson: claimsJSON)
        let answer = try native { try client.negotiate(hub: hub, options: options) }
        return NegotiateResponse(url: answer.url, accessToken: answer.accessToken)
    }
}
