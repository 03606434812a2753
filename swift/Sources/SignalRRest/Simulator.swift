import Foundation
import SignalRRestBindings

/// A live connection of a hub: its id and the user it connected as.
public struct ConnectionInfo: Sendable, Equatable {
    /// The id REST calls address it by.
    public let connectionId: String
    /// The user it connected as.
    public let userId: String?
}

/// A group with at least one connection, and its members' connection ids.
public struct GroupInfo: Sendable, Equatable {
    /// The group name.
    public let name: String
    /// Its members.
    public let connectionIds: [String]
}

/// A user mapped to a group until `expiresAt` (simulator time).
public struct UserGroupMapping: Sendable, Equatable {
    /// The mapped user.
    public let userId: String
    /// The group it is mapped to.
    public let group: String
    /// When the mapping ends, in simulator time.
    public let expiresAt: Date
}

/// One upstream call the simulator made.
public struct UpstreamCall: Sendable, Equatable {
    /// The client connection it was about.
    public let connectionId: String
    /// The hub.
    public let hub: String
    /// `connections` or `messages`.
    public let category: String
    /// `connected`, `disconnected` or the hub method.
    public let event: String
    /// The URL called.
    public let url: String
    /// The app's HTTP status; nil when no answer came.
    public let status: Int?
    /// Why no answer came (refused, timed out).
    public let error: String?

    init(_ call: SignalRRestBindings.UpstreamCall) {
        (connectionId, hub, category, event) = (call.connectionId, call.hub, call.category, call.event)
        (url, status, error) = (call.url, call.status.map(Int.init), call.error)
    }
}

/// An invocation a virtual client received: the client method `target` and its arguments as JSON.
public struct ReceivedMessage: Sendable, Equatable {
    /// The client method invoked.
    public let target: String
    /// The arguments as a JSON array text.
    public let argumentsJSON: String

    /// The argument list decoded as `type`, e.g. `[String].self` or `[ChatMessage].self`.
    public func arguments<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(argumentsJSON.utf8))
    }
}

/// A local stand-in for the service, for tests: the REST API on a loopback port, in-process
/// virtual clients and inspection of hubs, groups and mappings. It serves until `shutdown()` or
/// the process exits: releasing the last reference does not stop it (like a server, it keeps
/// serving however its object is held). A shut-down simulator refuses `connect` and
/// `accessToken` with `invalidArgument` and still answers the inspection calls from its final
/// state.
public final class Simulator: Sendable {
    private let simulator: SignalRRestBindings.Simulator

    private init(_ simulator: SignalRRestBindings.Simulator) {
        self.simulator = simulator
    }

    /// Starts a simulator on `host` (default 127.0.0.1) and `port` (default: a free one).
    /// `upstreams` make it call a serverless app: templates in the CLI's form
    /// `URL[;hub=PATTERN][;category=PATTERN][;event=PATTERN]`, first match wins; each call may
    /// take `upstreamTimeout` seconds (default 30) and is signed with `accessKey` and
    /// `secondaryAccessKey` (which tokens may be signed with too). A WebSocket client gets a
    /// ping after `pingInterval` seconds of silence (default: the core's). `dashboard` serves the
    /// live dashboard at `dashboardUrl`; nil serves it only when `host` is a loopback address,
    /// since the page has no login.
    public static func start(
        host: String? = nil,
        port: Int? = nil,
        accessKey: String? = nil,
        upstreams: [String] = [],
        upstreamTimeout: TimeInterval? = nil,
        secondaryAccessKey: String? = nil,
        pingInterval: TimeInterval? = nil,
        dashboard: Bool? = nil
    ) async throws -> Simulator {
        let options = SimulatorOptions(
            host: host,
            port: port.map(Int64.init),
            accessKey: accessKey,
            upstreams: upstreams,
            upstreamTimeoutSeconds: upstreamTimeout,
            secondaryAccessKey: secondaryAccessKey,
            pingIntervalSeconds: pingInterval,
            dashboard: dashboard
        )
        SignalRRest.installLogSink()
        do {
            return Simulator(try await SignalRRestBindings.Simulator.start(options: options))
        } catch let error as SignalRRestBindings.SignalRError {
            throw error.converted
        } catch {
            throw internalError(error)
        }
    }

    /// `http://127.0.0.1:{port}`.
    public var url: String { simulator.url() }

    /// The connection string clients of this simulator use.
    public var connectionString: String { simulator.connectionString() }

    /// The access key tokens must be signed with.
    public var accessKey: String { simulator.accessKey() }

    /// The live dashboard's URL (`{url}/dashboard/`), or nil when it is not served.
    public var dashboardUrl: String? { simulator.dashboardUrl() }

    /// A REST token for `audience` signed with the simulator's key, valid `lifetime` seconds:
    /// what an app's backend hands to a `TokenProvider`.
    public func accessToken(audience: String, lifetime: TimeInterval = 3600) throws -> String {
        try native { try simulator.accessToken(audience: audience, lifetimeSeconds: lifetime) }
    }

    /// Connects an in-process client to `hub`, as `userId` if given.
    public func connect(hub: String, userId: String? = nil) throws -> VirtualClient {
        VirtualClient(try native { try simulator.connect(hub: hub, userId: userId) })
    }

    /// Hubs any call has used, lower case, sorted.
    public func hubs() -> [String] {
        simulator.hubs()
    }

    /// The hub's live connections.
    public func connections(hub: String) -> [ConnectionInfo] {
        simulator.connections(hub: hub).map {
            ConnectionInfo(connectionId: $0.connectionId, userId: $0.userId)
        }
    }

    /// The hub's groups that have connections.
    public func groups(hub: String) -> [GroupInfo] {
        simulator.groups(hub: hub).map {
            GroupInfo(name: $0.name, connectionIds: $0.connectionIds)
        }
    }

    /// The hub's unexpired user-group mappings.
    public func userGroups(hub: String) -> [UserGroupMapping] {
        simulator.userGroups(hub: hub).map {
            UserGroupMapping(userId: $0.userId, group: $0.group, expiresAt: $0.expiresAt)
        }
    }

    /// The serverless upstream calls made so far (the last 1000), oldest first.
    public func upstreamCalls() -> [UpstreamCall] {
        simulator.upstreamCalls().map(UpstreamCall.init)
    }

    /// Moves the simulator's clock forward by `seconds` (TTLs expire; tokens keep wall time).
    public func advanceClock(by seconds: TimeInterval) throws {
        try native { try simulator.advanceClock(seconds: seconds) }
    }

    /// Stops serving, closes every client and waits for the server to end; again does nothing.
    public func shutdown() async {
        await simulator.shutdown()
    }
}

/// An in-process client connected to a hub of the `Simulator`; releasing it disconnects.
public final class VirtualClient: Sendable {
    private let client: SignalRRestBindings.VirtualClient

    init(_ client: SignalRRestBindings.VirtualClient) {
        self.client = client
    }

    /// The connection id REST calls address it by.
    public var connectionId: String { client.connectionId() }

    /// The user id it connected as.
    public var userId: String? { client.userId() }

    /// Whether the service closed this connection.
    public var isClosed: Bool { client.isClosed() }

    /// The reason the service gave when it closed the connection.
    public var closeReason: String? { client.closeReason() }

    /// Every invocation received so far, in order.
    public func received() -> [ReceivedMessage] {
        client.received().map(ReceivedMessage.init)
    }

    /// The first invocation of `target`, waiting up to `timeout` seconds (then `SignalRError.timeout`).
    public func waitFor(_ target: String, timeout: TimeInterval = 5) async throws -> ReceivedMessage {
        let message = try await cancellable { try await client.waitFor(target: target, timeoutSeconds: timeout, cancel: $0) }
        return ReceivedMessage(message)
    }

    /// Disconnects from the hub, leaving every group.
    public func disconnect() {
        client.disconnect()
    }
}

extension ReceivedMessage {
    init(_ message: SignalRRestBindings.ReceivedMessage) {
        self.init(target: message.target, argumentsJSON: message.argumentsJson)
    }
}
