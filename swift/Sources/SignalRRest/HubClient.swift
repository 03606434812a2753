import Foundation
import SignalRRestBindings

/// The operations on one hub: v1's 14 and those 2022-06-01 added, which always use that version.
/// Each returns when the service has answered; cancelling the
/// calling Task abandons the HTTP request and throws `CancellationError`. Arguments are any
/// `Encodable` values, sent as JSON.
public final class HubClient: Sendable {
    private let hub: SignalRRestBindings.HubClient

    init(_ hub: SignalRRestBindings.HubClient) {
        self.hub = hub
    }

    /// The hub name as used in request paths (lower case, application prefix applied).
    public var name: String { hub.name() }

    /// Sends `target(arguments)` to every connection except the `excluded` connection ids.
    public func sendToAll(_ target: String, _ arguments: [any Encodable] = [], excluded: [String] = []) async throws {
        let json = try argumentsJSON(arguments)
        try await send(.all, target, json, excluded: excluded)
    }

    /// Sends `target(arguments)` to every connection of user `userId`.
    public func sendToUser(_ userId: String, _ target: String, _ arguments: [any Encodable] = []) async throws {
        let json = try argumentsJSON(arguments)
        try await send(.user(userId: userId), target, json)
    }

    /// Sends `target(arguments)` to one connection.
    public func sendToConnection(_ connectionId: String, _ target: String, _ arguments: [any Encodable] = []) async throws {
        let json = try argumentsJSON(arguments)
        try await send(.connection(connectionId: connectionId), target, json)
    }

    /// Sends `target(arguments)` to every connection in `group` except the `excluded` connection ids.
    public func sendToGroup(
        _ group: String,
        _ target: String,
        _ arguments: [any Encodable] = [],
        excluded: [String] = []
    ) async throws {
        let json = try argumentsJSON(arguments)
        try await send(.group(group: group), target, json, excluded: excluded)
    }

    /// One native send, which cancelling the calling Task stops.
    private func send(
        _ recipients: SignalRRestBindings.Recipients,
        _ target: String,
        _ argumentsJson: String,
        excluded: [String] = []
    ) async throws {
        try await cancellable {
            try await hub.send(outgoing: SignalRRestBindings.Outgoing(
                recipients: recipients, target: target, argumentsJson: argumentsJson, excluded: excluded, cancel: $0))
        }
    }

    /// Whether the connection is connected.
    public func connectionExists(_ connectionId: String) async throws -> Bool {
        try await cancellable { try await hub.connectionExists(connectionId: connectionId, cancel: $0) }
    }

    /// Closes a connection, giving the client `reason`; closing one already gone succeeds.
    public func closeConnection(_ connectionId: String, reason: String? = nil) async throws {
        try await cancellable { try await hub.closeConnection(connectionId: connectionId, reason: reason, cancel: $0) }
    }

    /// Whether at least one connection is in `group`.
    public func groupExists(_ group: String) async throws -> Bool {
        try await cancellable { try await hub.groupExists(group: group, cancel: $0) }
    }

    /// Whether user `userId` has at least one connection.
    public func userExists(_ userId: String) async throws -> Bool {
        try await cancellable { try await hub.userExists(userId: userId, cancel: $0) }
    }

    /// Adds a connection to `group`; `notFound` if the connection does not exist.
    public func addConnectionToGroup(_ group: String, connectionId: String) async throws {
        try await cancellable { try await hub.addConnectionToGroup(group: group, connectionId: connectionId, cancel: $0) }
    }

    /// Removes a connection from `group`; `notFound` if it was not in it.
    public func removeConnectionFromGroup(_ group: String, connectionId: String) async throws {
        try await cancellable {
            try await hub.removeConnectionFromGroup(group: group, connectionId: connectionId, cancel: $0)
        }
    }

    /// Whether user `userId` is mapped to `group`.
    public func userInGroup(_ group: String, userId: String) async throws -> Bool {
        try await cancellable { try await hub.userInGroup(group: group, userId: userId, cancel: $0) }
    }

    /// Maps user `userId` to `group`: its current and future connections join. `ttl` (whole
    /// seconds) limits the mapping, zero adds only the current connections; without it the
    /// mapping lasts at most a year.
    public func addUserToGroup(_ group: String, userId: String, ttl: TimeInterval? = nil) async throws {
        try await cancellable { try await hub.addUserToGroup(group: group, userId: userId, ttlSeconds: ttl, cancel: $0) }
    }

    /// Removes user `userId` from `group`.
    public func removeUserFromGroup(_ group: String, userId: String) async throws {
        try await cancellable { try await hub.removeUserFromGroup(group: group, userId: userId, cancel: $0) }
    }

    /// Removes user `userId` from every group.
    public func removeUserFromAllGroups(_ userId: String) async throws {
        try await cancellable { try await hub.removeUserFromAllGroups(userId: userId, cancel: $0) }
    }

    /// Closes every connection of the hub but the `excluded` connection ids; each client gets `reason`.
    public func closeAllConnections(excluded: [String] = [], reason: String? = nil) async throws {
        try await cancellable { try await hub.closeAllConnections(excluded: excluded, reason: reason, cancel: $0) }
    }

    /// Closes every connection in `group` but the `excluded` connection ids; each client gets `reason`.
    public func closeGroupConnections(_ group: String, excluded: [String] = [], reason: String? = nil) async throws {
        try await cancellable {
            try await hub.closeGroupConnections(group: group, excluded: excluded, reason: reason, cancel: $0)
        }
    }

    /// Closes every connection of user `userId` but the `excluded` connection ids; each client gets `reason`.
    public func closeUserConnections(_ userId: String, excluded: [String] = [], reason: String? = nil) async throws {
        try await cancellable {
            try await hub.closeUserConnections(userId: userId, excluded: excluded, reason: reason, cancel: $0)
        }
    }

    /// Takes connection `connectionId` out of every group it is in (an unknown id is fine).
    public func removeConnectionFromAllGroups(_ connectionId: String) async throws {
        try await cancellable { try await hub.removeConnectionFromAllGroups(connectionId: connectionId, cancel: $0) }
    }

    /// A client access token for this hub as `userId`, generated by the service (`:generateToken`).
    /// `lifetime` is in seconds (default one hour), rounded up to whole minutes; the token carries
    /// no custom claims.
    public func generateClientToken(userId: String? = nil, lifetime: TimeInterval? = nil) async throws -> String {
        let options = NegotiateOptions(userId: userId, lifetimeSeconds: lifetime, claimsJson: nil)
        return try await cancellable { try await hub.generateClientToken(options: options, cancel: $0) }
    }
}
