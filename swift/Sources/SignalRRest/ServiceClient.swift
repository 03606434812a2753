import Foundation
import SignalRRestBindings

/// The REST API versions a client can speak. Operations only 2022-06-01 has (closing many
/// connections, removing a connection from all groups, service-generated client tokens) always
/// use it, whatever the client's version.
public enum APIVersion: String, Sendable, CaseIterable {
    /// `/api/v1/hubs/{app}_{hub}/...`: the default.
    case v1 = "1.0"
    /// `/api/hubs/{hub}/...?application={app}&api-version=2022-06-01`: what Microsoft's SDKs send.
    case v2022_06_01 = "2022-06-01"

    /// The version `text` names (`"1.0"` or `"2022-06-01"`, e.g. from configuration); throws
    /// `invalidArgument` naming it otherwise.
    public init(parsing text: String) throws {
        let canonical = try native { try parseApiVersion(text: text) }
        self.init(canonical: canonical)
    }

    /// The native layer's canonical text, always one of the cases.
    init(canonical: String) {
        guard let version = APIVersion(rawValue: canonical) else {
            preconditionFailure("the native library named an API version this package lacks: \(canonical)")
        }
        self = version
    }
}

/// Client settings; nil keeps the default (30 s timeout, 3 retries, no application name, API 1.0,
/// SignalR clients sent to the REST endpoint, one-hour request tokens).
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
    /// The REST API version to speak.
    public var apiVersion: APIVersion?
    /// The endpoint SignalR clients are sent to (`clientURL`, negotiate), when it differs from
    /// the REST one.
    public var clientEndpoint: String?
    /// Seconds the tokens signed with the access key for each request are valid.
    public var tokenLifetime: TimeInterval?

    /// Settings; every one left out keeps its default.
    public init(
        timeout: TimeInterval? = nil,
        maxRetries: Int? = nil,
        retryInitialDelay: TimeInterval? = nil,
        retryMaxDelay: TimeInterval? = nil,
        applicationName: String? = nil,
        apiVersion: APIVersion? = nil,
        clientEndpoint: String? = nil,
        tokenLifetime: TimeInterval? = nil
    ) {
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.retryInitialDelay = retryInitialDelay
        self.retryMaxDelay = retryMaxDelay
        self.applicationName = applicationName
        self.apiVersion = apiVersion
        self.clientEndpoint = clientEndpoint
        self.tokenLifetime = tokenLifetime
    }

    var native: SignalRRestBindings.ClientOptions {
        SignalRRestBindings.ClientOptions(
            timeoutSeconds: timeout,
            maxRetries: maxRetries.map(Int64.init),
            retryInitialDelaySeconds: retryInitialDelay,
            retryMaxDelaySeconds: retryMaxDelay,
            applicationName: applicationName,
            apiVersion: apiVersion?.rawValue,
            clientEndpoint: clientEndpoint,
            tokenLifetimeSeconds: tokenLifetime,
            // The User-Agent: signalr-rest-swift/{version} (Swift; {os} {arch}).
            sdkLanguage: "swift",
            sdkRuntime: "Swift"
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
        SignalRRest.installLogSink()
        client = try native { try .fromConnectionString(connectionString: connectionString, options: options.native) }
    }

    /// A client of `endpoint` (e.g. `https://name.service.signalr.net`) that signs each request
    /// with `accessKey`.
    public init(endpoint: String, accessKey: String, options: ClientOptions = ClientOptions()) throws {
        SignalRRest.installLogSink()
        client = try native { try .fromEndpoint(endpoint: endpoint, accessKey: accessKey, options: options.native) }
    }

    /// A client of `endpoint` that asks `tokenProvider` for every request's token instead of holding the key.
    public init(endpoint: String, tokenProvider: any TokenProvider, options: ClientOptions = ClientOptions()) throws {
        SignalRRest.installLogSink()
        client = try native {
            try .withTokenProvider(endpoint: endpoint, provider: NativeTokenProvider(tokenProvider), options: options.native)
        }
    }

    /// The REST endpoint, without trailing slash.
    public var endpoint: String { client.endpoint() }

    /// The REST API version this client speaks.
    public var apiVersion: APIVersion { APIVersion(canonical: client.apiVersion()) }

    /// The application name hub names are prefixed with (lower case), or nil.
    public var applicationName: String? { client.applicationName() }

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

    /// The negotiate answer for a SignalR client of `hub` as `userId`, with a token the service
    /// generates (`:generateToken`): how apps with a token provider instead of the key negotiate.
    /// `lifetime` is in seconds (default one hour), rounded up to whole minutes.
    public func negotiateWithService(
        hub: String,
        userId: String? = nil,
        lifetime: TimeInterval? = nil
    ) async throws -> NegotiateResponse {
        let options = NegotiateOptions(userId: userId, lifetimeSeconds: lifetime, claimsJson: nil)
        let answer = try await cancellable { try await client.negotiateWithService(hub: hub, options: options, cancel: $0) }
        return NegotiateResponse(url: answer.url, accessToken: answer.accessToken)
    }
}
