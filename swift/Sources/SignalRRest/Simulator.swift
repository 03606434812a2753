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

/// A fault rule in force: its `id` (for `removeFault(id:)`), its rule text and how many times it
/// has been injected.
public struct FaultRule: Sendable, Equatable {
    /// The id `removeFault(id:)` takes.
    public let id: String
    /// The rule text, e.g. `503;route=send;times=2`; `addFault` reads it back to the same rule.
    public let fault: String
    /// How many times it has been injected.
    public let injected: Int

    public init(id: String, fault: String, injected: Int) {
        (self.id, self.fault, self.injected) = (id, fault, injected)
    }
}

/// One fault the simulator injected.
public struct InjectedFault: Sendable, Equatable {
    /// The id of the rule that injected it; empty for a drop or pause asked for directly.
    public let faultId: String
    /// The rule text, or `drop`, `drop;close` or `pause=...ms` for a socket fault.
    public let fault: String
    /// What it hit: `METHOD /path` of a request, or `connection ID`.
    public let target: String
    /// The hub of the request or connection, lower case; nil when not known.
    public let hub: String?

    public init(faultId: String, fault: String, target: String, hub: String?) {
        (self.faultId, self.fault, self.target, self.hub) = (faultId, fault, target, hub)
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
    /// since the page has no login. `faults` are fault rules in force from the start (the text
    /// form `addFault` takes; a bad one fails the start with `invalidArgument`), and `faultSeed`
    /// seeds the draws of rules with a `fraction`, so the same seed hits the same requests
    /// (random when nil).
    public static func start(
        host: String? = nil,
        port: Int? = nil,
        accessKey: String? = nil,
        upstreams: [String] = [],
        upstreamTimeout: TimeInterval? = nil,
        secondaryAccessKey: String? = nil,
        pingInterval: TimeInterval? = nil,
        dashboard: Bool? = nil,
        faults: [String] = [],
        faultSeed: UInt64? = nil
    ) async throws -> Simulator {
        let options = SimulatorOptions(
            host: host,
            port: port.map(Int64.init),
            accessKey: accessKey,
            upstreams: upstreams,
            upstreamTimeoutSeconds: upstreamTimeout,
            secondaryAccessKey: secondaryAccessKey,
            pingIntervalSeconds: pingInterval,
            dashboard: dashboard,
            faults: faults,
            faultSeed: faultSeed
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

    /// Adds a fault rule, given in its text form
    /// `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]` (e.g.
    /// `503;route=send;times=2`, `429;retry-after=1`, `delay=250ms;hub=chat`, `reset;times=1`),
    /// and returns its id. A bad rule is refused with `invalidArgument` naming the bad part.
    @discardableResult
    public func addFault(_ rule: String) throws -> String {
        try native { try simulator.addFault(rule: rule) }
    }

    /// Removes the rule with this `id`; false if there is none (it may have run out).
    @discardableResult
    public func removeFault(id: String) -> Bool {
        simulator.removeFault(id: id)
    }

    /// Removes every fault rule.
    public func clearFaults() {
        simulator.clearFaults()
    }

    /// The fault rules in force, in order; a rule whose `times` ran out is gone.
    public func faults() -> [FaultRule] {
        simulator.faults().map { FaultRule(id: $0.id, fault: $0.fault, injected: Int($0.injected)) }
    }

    /// The faults injected so far (the last 1000), oldest first.
    public func injectedFaults() -> [InjectedFault] {
        simulator.injectedFaults().map {
            InjectedFault(faultId: $0.faultId, fault: $0.fault, target: $0.target, hub: $0.hub)
        }
    }

    /// Drops the `hub`'s client connections (or only `connectionId`) as a failing network would:
    /// with a Close that allows reconnecting when `close`, else without any. Returns the ids
    /// dropped; a dropped virtual client is closed.
    @discardableResult
    public func dropClients(hub: String, connectionId: String? = nil, close: Bool = true) throws -> [String] {
        try native { try simulator.dropClients(hub: hub, connectionId: connectionId, close: close) }
    }

    /// Stalls the `hub`'s WebSocket clients (or only `connectionId`) for `duration` seconds (at
    /// most an hour; a negative one is refused with `invalidArgument`): nothing is written to or
    /// read from them meanwhile. Returns the ids paused; virtual clients have no socket and are
    /// not paused.
    @discardableResult
    public func pauseClients(hub: String, duration: TimeInterval, connectionId: String? = nil) throws -> [String] {
        try native {
            try simulator.pauseClients(hub: hub, connectionId: connectionId, durationSeconds: duration)
        }
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
