package dev.signalrrest

import java.util.concurrent.CompletableFuture
import kotlin.coroutines.cancellation.CancellationException
import kotlin.time.Duration
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import dev.signalrrest.ffi.HubClient as NativeHubClient
import dev.signalrrest.ffi.NegotiateOptions
import dev.signalrrest.ffi.Outgoing
import dev.signalrrest.ffi.Recipients

/**
 * The operations on one hub (v1's 14 and those 2022-06-01 added, which always use that version);
 * each suspends until the service has answered, and cancelling
 * the coroutine abandons the HTTP request. Arguments are JSON values: encode your own types with
 * `Json.encodeToJsonElement(value)`.
 *
 * From Java, every operation also comes blocking (`sendToAllBlocking`: the calling thread waits,
 * interrupting it cancels the call) and as a `CompletableFuture` (`sendToAllAsync`: cancelling
 * the future cancels the call); the send operations take their arguments as one JSON array text
 * too. Failures are [SignalRException]s, inside a `CompletionException` for the futures.
 */
class HubClient internal constructor(private val hub: NativeHubClient) : AutoCloseable {
    /** The hub name as used in request paths (lower case, application prefix applied). */
    val name: String get() = hub.name()

    /** Sends `target(arguments)` to every connection except the [excluded] connection ids. */
    suspend fun sendToAll(target: String, arguments: List<JsonElement> = emptyList(), excluded: List<String> = emptyList()) =
        sendToAllJson(target, JsonArray(arguments).toString(), excluded)

    /** Sends `target(arguments)` to every connection of user [userId]. */
    suspend fun sendToUser(userId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        sendToUserJson(userId, target, JsonArray(arguments).toString())

    /** Sends `target(arguments)` to one connection. */
    suspend fun sendToConnection(connectionId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        sendToConnectionJson(connectionId, target, JsonArray(arguments).toString())

    /** Sends `target(arguments)` to every connection in [group] except the [excluded] connection ids. */
    suspend fun sendToGroup(
        group: String,
        target: String,
        arguments: List<JsonElement> = emptyList(),
        excluded: List<String> = emptyList(),
    ) = sendToGroupJson(group, target, JsonArray(arguments).toString(), excluded)

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

    // The sends with their arguments as JSON array text: what the Kotlin sends encode to and the
    // Java variants take as is (the core refuses text that is not a JSON array, naming `arguments`).

    private suspend fun sendToAllJson(target: String, argumentsJson: String, excluded: List<String>) =
        send(Outgoing(Recipients.All, target, argumentsJson, excluded))

    private suspend fun sendToUserJson(userId: String, target: String, argumentsJson: String) =
        send(Outgoing(Recipients.User(userId), target, argumentsJson))

    private suspend fun sendToConnectionJson(connectionId: String, target: String, argumentsJson: String) =
        send(Outgoing(Recipients.Connection(connectionId), target, argumentsJson))

    private suspend fun sendToGroupJson(group: String, target: String, argumentsJson: String, excluded: List<String>) =
        send(Outgoing(Recipients.Group(group), target, argumentsJson, excluded))

    private suspend fun send(outgoing: Outgoing) = native { hub.send(outgoing) }

    /**
     * Sends on the calling thread, for the `send...Blocking` methods: usually one native call,
     * which does the send's I/O on this thread while few threads send at once, with no coroutine
     * or thread hand-off. Native code cannot see an interrupt, so the wait comes in turns of
     * [INTERRUPT_CHECK_MILLIS]; an interrupt cancels the send (its HTTP request closes) and throws
     * [CancellationException] with the interrupt flag still set, as [blockingCall] does.
     */
    private fun sendBlocking(outgoing: Outgoing): Unit = native {
        val running = hub.sendBlocking(outgoing, INTERRUPT_CHECK_MILLIS) ?: return@native
        running.use { send ->
            while (!send.wait(INTERRUPT_CHECK_MILLIS)) {
                if (Thread.currentThread().isInterrupted) {
                    send.cancel()
                    throw CancellationException("the thread was interrupted; the call was cancelled")
                }
            }
        }
    }

    // For Java: each operation above, blocking and as a CompletableFuture.

    /** [sendToAll], blocking. */
    @JvmOverloads
    fun sendToAllBlocking(target: String, arguments: List<JsonElement> = emptyList(), excluded: List<String> = emptyList()) =
        sendBlocking(Outgoing(Recipients.All, target, JsonArray(arguments).toString(), excluded))

    /** [sendToAll] with [argumentsJson] a JSON array text, blocking. */
    @JvmOverloads
    fun sendToAllBlocking(target: String, argumentsJson: String, excluded: List<String> = emptyList()) =
        sendBlocking(Outgoing(Recipients.All, target, argumentsJson, excluded))

    /** [sendToAll] as a future. */
    @JvmOverloads
    fun sendToAllAsync(
        target: String,
        arguments: List<JsonElement> = emptyList(),
        excluded: List<String> = emptyList(),
    ): CompletableFuture<Void?> = voidFutureCall { sendToAll(target, arguments, excluded) }

    /** [sendToAll] with [argumentsJson] a JSON array text, as a future. */
    @JvmOverloads
    fun sendToAllAsync(target: String, argumentsJson: String, excluded: List<String> = emptyList()): CompletableFuture<Void?> =
        voidFutureCall { sendToAllJson(target, argumentsJson, excluded) }

    /** [sendToUser], blocking. */
    @JvmOverloads
    fun sendToUserBlocking(userId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        sendBlocking(Outgoing(Recipients.User(userId), target, JsonArray(arguments).toString()))

    /** [sendToUser] with [argumentsJson] a JSON array text, blocking. */
    fun sendToUserBlocking(userId: String, target: String, argumentsJson: String) =
        sendBlocking(Outgoing(Recipients.User(userId), target, argumentsJson))

    /** [sendToUser] as a future. */
    @JvmOverloads
    fun sendToUserAsync(userId: String, target: String, arguments: List<JsonElement> = emptyList()): CompletableFuture<Void?> =
        voidFutureCall { sendToUser(userId, target, arguments) }

    /** [sendToUser] with [argumentsJson] a JSON array text, as a future. */
    fun sendToUserAsync(userId: String, target: String, argumentsJson: String): CompletableFuture<Void?> =
        voidFutureCall { sendToUserJson(userId, target, argumentsJson) }

    /** [sendToConnection], blocking. */
    @JvmOverloads
    fun sendToConnectionBlocking(connectionId: String, target: String, arguments: List<JsonElement> = emptyList()) =
        sendBlocking(Outgoing(Recipients.Connection(connectionId), target, JsonArray(arguments).toString()))

    /** [sendToConnection] with [argumentsJson] a JSON array text, blocking. */
    fun sendToConnectionBlocking(connectionId: String, target: String, argumentsJson: String) =
        sendBlocking(Outgoing(Recipients.Connection(connectionId), target, argumentsJson))

    /** [sendToConnection] as a future. */
    @JvmOverloads
    fun sendToConnectionAsync(
        connectionId: String,
        target: String,
        arguments: List<JsonElement> = emptyList(),
    ): CompletableFuture<Void?> = voidFutureCall { sendToConnection(connectionId, target, arguments) }

    /** [sendToConnection] with [argumentsJson] a JSON array text, as a future. */
    fun sendToConnectionAsync(connectionId: String, target: String, argumentsJson: String): CompletableFuture<Void?> =
        voidFutureCall { sendToConnectionJson(connectionId, target, argumentsJson) }

    /** [sendToGroup], blocking. */
    @JvmOverloads
    fun sendToGroupBlocking(
        group: String,
        target: String,
        arguments: List<JsonElement> = emptyList(),
        excluded: List<String> = emptyList(),
    ) = sendBlocking(Outgoing(Recipients.Group(group), target, JsonArray(arguments).toString(), excluded))

    /** [sendToGroup] with [argumentsJson] a JSON array text, blocking. */
    @JvmOverloads
    fun sendToGroupBlocking(group: String, target: String, argumentsJson: String, excluded: List<String> = emptyList()) =
        sendBlocking(Outgoing(Recipients.Group(group), target, argumentsJson, excluded))

    /** [sendToGroup] as a future. */
    @JvmOverloads
    fun sendToGroupAsync(
        group: String,
        target: String,
        arguments: List<JsonElement> = emptyList(),
        excluded: List<String> = emptyList(),
    ): CompletableFuture<Void?> = voidFutureCall { sendToGroup(group, target, arguments, excluded) }

    /** [sendToGroup] with [argumentsJson] a JSON array text, as a future. */
    @JvmOverloads
    fun sendToGroupAsync(
        group: String,
        target: String,
        argumentsJson: String,
        excluded: List<String> = emptyList(),
    ): CompletableFuture<Void?> = voidFutureCall { sendToGroupJson(group, target, argumentsJson, excluded) }

    /** [connectionExists], blocking. */
    fun connectionExistsBlocking(connectionId: String): Boolean = blockingCall { connectionExists(connectionId) }

    /** [connectionExists] as a future. */
    fun connectionExistsAsync(connectionId: String): CompletableFuture<Boolean> = futureCall { connectionExists(connectionId) }

    /** [closeConnection], blocking. */
    @JvmOverloads
    fun closeConnectionBlocking(connectionId: String, reason: String? = null) =
        blockingCall { closeConnection(connectionId, reason) }

    /** [closeConnection] as a future. */
    @JvmOverloads
    fun closeConnectionAsync(connectionId: String, reason: String? = null): CompletableFuture<Void?> =
        voidFutureCall { closeConnection(connectionId, reason) }

    /** [groupExists], blocking. */
    fun groupExistsBlocking(group: String): Boolean = blockingCall { groupExists(group) }

    /** [groupExists] as a future. */
    fun groupExistsAsync(group: String): CompletableFuture<Boolean> = futureCall { groupExists(group) }

    /** [userExists], blocking. */
    fun userExistsBlocking(userId: String): Boolean = blockingCall { userExists(userId) }

    /** [userExists] as a future. */
    fun userExistsAsync(userId: String): CompletableFuture<Boolean> = futureCall { userExists(userId) }

    /** [addConnectionToGroup], blocking. */
    fun addConnectionToGroupBlocking(group: String, connectionId: String) =
        blockingCall { addConnectionToGroup(group, connectionId) }

    /** [addConnectionToGroup] as a future. */
    fun addConnectionToGroupAsync(group: String, connectionId: String): CompletableFuture<Void?> =
        voidFutureCall { addConnectionToGroup(group, connectionId) }

    /** [removeConnectionFromGroup], blocking. */
    fun removeConnectionFromGroupBlocking(group: String, connectionId: String) =
        blockingCall { removeConnectionFromGroup(group, connectionId) }

    /** [removeConnectionFromGroup] as a future. */
    fun removeConnectionFromGroupAsync(group: String, connectionId: String): CompletableFuture<Void?> =
        voidFutureCall { removeConnectionFromGroup(group, connectionId) }

    /** [userInGroup], blocking. */
    fun userInGroupBlocking(group: String, userId: String): Boolean = blockingCall { userInGroup(group, userId) }

    /** [userInGroup] as a future. */
    fun userInGroupAsync(group: String, userId: String): CompletableFuture<Boolean> = futureCall { userInGroup(group, userId) }

    /** [addUserToGroup] with a [ttl] of whole seconds (null: at most a year), blocking. */
    @JvmOverloads
    fun addUserToGroupBlocking(group: String, userId: String, ttl: java.time.Duration? = null) =
        blockingCall { addUserToGroup(group, userId, ttl.toKotlin()) }

    /** [addUserToGroup] with a [ttl] of whole seconds (null: at most a year), as a future. */
    @JvmOverloads
    fun addUserToGroupAsync(group: String, userId: String, ttl: java.time.Duration? = null): CompletableFuture<Void?> =
        voidFutureCall { addUserToGroup(group, userId, ttl.toKotlin()) }

    /** [removeUserFromGroup], blocking. */
    fun removeUserFromGroupBlocking(group: String, userId: String) = blockingCall { removeUserFromGroup(group, userId) }

    /** [removeUserFromGroup] as a future. */
    fun removeUserFromGroupAsync(group: String, userId: String): CompletableFuture<Void?> =
        voidFutureCall { removeUserFromGroup(group, userId) }

    /** [removeUserFromAllGroups], blocking. */
    fun removeUserFromAllGroupsBlocking(userId: String) = blockingCall { removeUserFromAllGroups(userId) }

    /** [removeUserFromAllGroups] as a future. */
    fun removeUserFromAllGroupsAsync(userId: String): CompletableFuture<Void?> = voidFutureCall { removeUserFromAllGroups(userId) }

    /** [closeAllConnections], blocking. */
    @JvmOverloads
    fun closeAllConnectionsBlocking(excluded: List<String> = emptyList(), reason: String? = null) =
        blockingCall { closeAllConnections(excluded, reason) }

    /** [closeAllConnections] as a future. */
    @JvmOverloads
    fun closeAllConnectionsAsync(excluded: List<String> = emptyList(), reason: String? = null): CompletableFuture<Void?> =
        voidFutureCall { closeAllConnections(excluded, reason) }

    /** [closeGroupConnections], blocking. */
    @JvmOverloads
    fun closeGroupConnectionsBlocking(group: String, excluded: List<String> = emptyList(), reason: String? = null) =
        blockingCall { closeGroupConnections(group, excluded, reason) }

    /** [closeGroupConnections] as a future. */
    @JvmOverloads
    fun closeGroupConnectionsAsync(
        group: String,
        excluded: List<String> = emptyList(),
        reason: String? = null,
    ): CompletableFuture<Void?> = voidFutureCall { closeGroupConnections(group, excluded, reason) }

    /** [closeUserConnections], blocking. */
    @JvmOverloads
    fun closeUserConnectionsBlocking(userId: String, excluded: List<String> = emptyList(), reason: String? = null) =
        blockingCall { closeUserConnections(userId, excluded, reason) }

    /** [closeUserConnections] as a future. */
    @JvmOverloads
    fun closeUserConnectionsAsync(
        userId: String,
        excluded: List<String> = emptyList(),
        reason: String? = null,
    ): CompletableFuture<Void?> = voidFutureCall { closeUserConnections(userId, excluded, reason) }

    /** [removeConnectionFromAllGroups], blocking. */
    fun removeConnectionFromAllGroupsBlocking(connectionId: String) =
        blockingCall { removeConnectionFromAllGroups(connectionId) }

    /** [removeConnectionFromAllGroups] as a future. */
    fun removeConnectionFromAllGroupsAsync(connectionId: String): CompletableFuture<Void?> =
        voidFutureCall { removeConnectionFromAllGroups(connectionId) }

    /** [generateClientToken] ([lifetime] null: one hour), blocking. */
    @JvmOverloads
    fun generateClientTokenBlocking(userId: String? = null, lifetime: java.time.Duration? = null): String =
        blockingCall { generateClientToken(userId, lifetime.toKotlin()) }

    /** [generateClientToken] ([lifetime] null: one hour) as a future. */
    @JvmOverloads
    fun generateClientTokenAsync(userId: String? = null, lifetime: java.time.Duration? = null): CompletableFuture<String> =
        futureCall { generateClientToken(userId, lifetime.toKotlin()) }

    /** Frees the native hub client. */
    override fun close() = hub.close()
}

/** How often a blocking send looks at its thread's interrupt flag. */
private const val INTERRUPT_CHECK_MILLIS = 50u
