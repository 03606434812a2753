import Foundation
import SignalRRestBindings

/// The hub protocol a client speaks; an upstream invocation's completion must be written in it.
public enum HubProtocol: String, Sendable, Equatable, CaseIterable {
    /// JSON text.
    case json
    /// MessagePack.
    case messagePack = "messagepack"

    /// The content type of an upstream request or completion in this protocol.
    public var contentType: String {
        switch self {
        case .json: return "application/json"
        case .messagePack: return "application/x-msgpack"
        }
    }

    init(_ native: SignalRRestBindings.HubProtocol) {
        switch native {
        case .json: self = .json
        case .messagePack: self = .messagePack
        }
    }

    var native: SignalRRestBindings.HubProtocol {
        switch self {
        case .json: return .json
        case .messagePack: return .messagePack
        }
    }
}

/// What every upstream request tells about its client connection.
public struct UpstreamContext: Sendable, Equatable {
    /// `X-ASRS-Connection-Id`.
    public let connectionId: String
    /// `X-ASRS-Hub`.
    public let hub: String
    /// `X-ASRS-User-Id`, when the client has one.
    public let userId: String?
    /// `X-ASRS-User-Claims`: claim type to its first value.
    public let claims: [String: String]
    /// `X-ASRS-Client-Query`: key to value, repeated keys' values joined with `,`.
    public let query: [String: String]

    init(_ native: SignalRRestBindings.UpstreamContext) {
        connectionId = native.connectionId
        hub = native.hub
        userId = native.userId
        claims = Dictionary(native.claims.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        query = Dictionary(native.query.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}

/// A client's invocation of hub method `target`, as the upstream received it.
public struct UpstreamInvocation: Sendable, Equatable {
    /// Who invoked it.
    public let context: UpstreamContext
    /// The id the completion must carry; nil for a send, which waits for no completion.
    public let invocationId: String?
    /// The hub method.
    public let target: String
    /// The arguments as a JSON array text.
    public let argumentsJSON: String
    /// The client's hub protocol, which the completion must be written in.
    public let `protocol`: HubProtocol

    /// The argument list decoded as `type`, e.g. `[String].self`.
    public func arguments<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(argumentsJSON.utf8))
    }
}

/// A verified upstream request: a client connected, disconnected (with the error when it did not
/// close cleanly) or invoked a hub method.
public enum UpstreamEvent: Sendable, Equatable {
    /// A client connected.
    case connected(UpstreamContext)
    /// A client disconnected; `error` says why when it did not close cleanly.
    case disconnected(UpstreamContext, error: String?)
    /// A client invoked a hub method.
    case invocation(UpstreamInvocation)

    /// Who the request is about.
    public var context: UpstreamContext {
        switch self {
        case let .connected(context), let .disconnected(context, _): return context
        case let .invocation(invocation): return invocation.context
        }
    }

    init(_ native: SignalRRestBindings.UpstreamEvent) {
        switch native {
        case let .connected(context):
            self = .connected(UpstreamContext(context))
        case let .disconnected(context, error):
            self = .disconnected(UpstreamContext(context), error: error)
        case let .invocation(context, invocationId, target, argumentsJson, hubProtocol):
            self = .invocation(UpstreamInvocation(
                context: UpstreamContext(context),
                invocationId: invocationId,
                target: target,
                argumentsJSON: argumentsJson,
                protocol: HubProtocol(hubProtocol)
            ))
        }
    }
}

/// Receiving serverless upstream requests: in serverless mode the service (or the `Simulator`)
/// POSTs each client's connected and disconnected events and every hub method a client invokes
/// to the app's upstream URL. `parseRequest` verifies and reads one; `completionBody` builds the
/// answer to an invocation, which the service hands the client as its result.
public enum Upstream {
    /// Verifies an upstream request's `X-ASRS-Signature` with `accessKeys` (primary and
    /// secondary) and reads it; `headers` in any case. Throws `unauthorized` when the signature
    /// signs the connection with none of the keys, `invalidArgument` when the request is not one
    /// the service sends.
    public static func parseRequest(headers: [String: String], body: Data, accessKeys: [String]) throws -> UpstreamEvent {
        UpstreamEvent(try native { try parseUpstreamRequest(headers: headers, body: body, accessKeys: accessKeys) })
    }

    /// The answer to an invocation: its completion framed in the client's `protocol`. With a
    /// `result` (any `Encodable`; `RawJSON` is sent as written, `RawJSON("null")` for null) the
    /// client's call returns it; with an `error` the call fails with that message; with neither
    /// it completes empty. Serve it with content type `protocol.contentType`. Both is an
    /// `invalidArgument`.
    public static func completionBody(
        protocol hubProtocol: HubProtocol,
        invocationId: String,
        result: (any Encodable)? = nil,
        error: String? = nil
    ) throws -> Data {
        let resultJSON: String?
        switch result {
        case nil: resultJSON = nil
        case let raw as RawJSON: resultJSON = raw.text
        case let .some(value): resultJSON = try jsonText(value, field: "result")
        }
        return try native {
            try upstreamCompletionBody(protocol: hubProtocol.native, invocationId: invocationId, resultJson: resultJSON, error: error)
        }
    }
}
