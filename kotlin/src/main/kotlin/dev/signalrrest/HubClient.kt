package dev.signalrrest

import kotlin.time.Duration
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import dev.signalrrest.ffi.HubClient as NativeHubClient
import dev.signalrrest.ffi.NegotiateOptions

/**
 * The operations on one hub (v1's 14 and those 2022-06-01 added, which always use that version);
 * each suspends until the service has answered, and cancelling
 * the coroutine abandons the HTTP request. Arguments are JSON values: encode your own types with
 * `Json.encodeToJsonElement(value)`.
 */
class HubClient internal constructor(private val hub: NativeHubClient) : AutoCloseable {
    /** The hub name as used in request paths (lower case, application prefix applied). */
    val name: String get() = hub.name()

    /** Sends `target(arguments)` to every connection except the [excluded] connection ids. */
    suspend fun sendToAll(target: String, arguments: List<JsonElement> = emptyList(), excluded: List<String> = emptyList()) =
        native { hub.sendToAll(target, JsonArray(arguments).toString(), excluded, null) }

    /** Sends `target(arguments)` to every connection of user [userId]. */
    suspend fun sendToUser(userId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        native { hub.sendToUser(userId, target, JsonArray(arguments).toString(), null) }

    /** Sends `target(arguments)` to one connection. */
    suspend fun sendToConnection(connectionId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        native { hub.sendToConnection(connectionId, target, JsonArray(arguments).toString(), null) }

    /** Sends `target(arguments)` to every connection in [group] except the [excluded] connection ids. */
    suspend fun sendToGroup(
        group: String,
        target: String,
        arguments: List<JsonElement> = emptyList(),
        excluded: List<String> = emptyList(),
    ) = native { hub.sendToGroup(group, target, JsonArray(arguments).toString(), excluded, null) }

    /** Whether the connection is connected. */
    suspend fun connectionExists(connectionId: String): Boolean = native { hub.connectionExists(connectionId, null) }

    /** Closes a connection, giving the client [reason]; closing one already gone succeeds. */
    suspend fun closeConnection(connectionId: String, reason: String? = null) =
        native { hub.closeConnection(connectionId, reason, null) }

    /** Whether at least one connection is in [group]. */
    suspend fun groupExists(group: String): Boolean = native { hub.groupExists(group, null) }

    /** Whether user [userId] has at least one connection. */
    suspend fun userExists(userId: String): Boolean = native { hub.userExists(userId, null) }

    /** Adds a connection to [group]; [SignalRException.NotFound] if the connection does not exist. */
    suspend fun addConnectionToGroup(group: String, connectionId: String) =
        native { hub.addConnectionToGroup(group, connectionId, null) }

    /** Removes a connection from [group]; [SignalRException.NotFound] if it was not in it. */
    suspend fun removeConnectionFromGroup(group: String, connectionId: String) =
        native { hub.removeConnectionFromGroup(group, connectionId, null) }

    /** Whether user [userId] is mapped to [group]. */
    suspend fun userInGroup(group: String, userId: String): Boolean = native { hub.userInGroup(group, userId, null) }

    /**
     * Maps user [userId] to [group]: its current and future connections join. [ttl] (whole
     * seconds) limits the mapping, zero adds only the current connections; without it the mapping
     * lasts at most a year.
     */
    suspend fun addUserToGroup(group: String, userId: String, ttl: Duration? = null) =
        native { hub.addUserToGroup(group, userId, ttl?.inSeconds, null) }

    /** Removes user [userId] from [group]. */
    suspend fun removeUserFromGroup(group: String, userId: String) =
        native { hub.removeUserFromGroup(group, userId, null) }

    /** Removes user [userId] from every group. */
    suspend fun removeUserFromAllGroups(userId: String) = native { hub.removeUserFromAllGroups(userId, null) }

    /** Closes every connection of the hub but the [excluded] connection ids; each client gets [reason]. */
    suspend fun closeAllConnections(excluded: List<String> = emptyList(), reason: String? = null) =
        native { hub.closeAllConnections(excluded, reason, null) }

    /** Closes every connection in [group] but the [excluded] connection ids; each client gets [reason]. */
    suspend fun closeGroupConnections(group: String, excluded: List<String> = emptyList(), reason: String? = null) =
        native { hub.closeGroupConnections(group, excluded, reason, null) }

    /** Closes every connection of user [userId] but the [excluded] connection ids; each client gets [reason]. */
    suspend fun closeUserConnections(userId: String, excluded: List<String> = emptyList(), reason: String? = null) =
        native { hub.closeUserConnections(userId, excluded, reason, null) }

    /** Takes connection [connectionId] out of every group it is in (an unknown id is fine). */
    suspend fun removeConnectionFromAllGroups(connectionId: String) =
        native { hub.removeConnectionFromAllGroups(connectionId, null) }

    /**
     * A client access token for this hub as [userId], generated by the service (`:generateToken`);
     * [lifetime] (default one hour) is rounded up to whole minutes. It carries no custom claims.
     */
    suspend fun generateClientToken(userId: String? = null, lifetime: Duration? = null): String =
        native { hub.generateClientToken(NegotiateOptions(userId, lifetime?.inSeconds, null), null) }

    /** Frees the native hub client. */
    override fun close() = hub.close()
}
