package dev.signalrrest

import java.util.concurrent.CompletableFuture
import kotlin.time.Duration
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.seconds
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.jsonArray
import dev.signalrrest.ffi.ReceivedMessage as NativeReceivedMessage
import dev.signalrrest.ffi.Simulator as NativeSimulator
import dev.signalrrest.ffi.SimulatorOptions
import dev.signalrrest.ffi.VirtualClient as NativeVirtualClient

/** A live connection of a hub: its id and the user it connected as. */
typealias ConnectionInfo = dev.signalrrest.ffi.ConnectionInfo

/** A group with at least one connection, and its members' connection ids. */
typealias GroupInfo = dev.signalrrest.ffi.GroupInfo

/** A user mapped to a group until `expiresAt` (simulator time). */
typealias UserGroupMapping = dev.signalrrest.ffi.UserGroupMapping

/** An invocation a virtual client received: the client method [target] and its [arguments]. */
data class ReceivedMessage(val target: String, val arguments: JsonArray) {
    /** [arguments] as JSON array text, e.g. `["bob","hi"]`. */
    val argumentsJson: String get() = arguments.toString()

    internal constructor(message: NativeReceivedMessage) :
        this(message.target, Json.parseToJsonElement(message.argumentsJson).jsonArray)
}

/**
 * A local stand-in for the service, for tests: the REST API on a loopback port, in-process
 * virtual clients and inspection of hubs, groups and mappings. Closing it stops it.
 *
 * From Java: `try (Simulator simulator = Simulator.startBlocking()) { ... }`; calls that
 * suspend come blocking (`...Blocking`) and as a CompletableFuture (`...Async`) too.
 */
class Simulator private constructor(private val simulator: NativeSimulator) : AutoCloseable {
    companion object {
        /** Starts a simulator on [host] (default 127.0.0.1) and [port] (default: a free one). */
        suspend fun start(host: String? = null, port: Int? = null, accessKey: String? = null) =
            Simulator(native { NativeSimulator.start(SimulatorOptions(host, port?.toLong(), accessKey)) })

        /** [start], blocking. */
        @JvmStatic
        @JvmOverloads
        fun startBlocking(host: String? = null, port: Int? = null, accessKey: String? = null): Simulator =
            blockingCall { start(host, port, accessKey) }

        /** [start] as a future. */
        @JvmStatic
        @JvmOverloads
        fun startAsync(host: String? = null, port: Int? = null, accessKey: String? = null): CompletableFuture<Simulator> =
            futureCall { start(host, port, accessKey) }
    }

    /** `http://127.0.0.1:{port}`. */
    val url: String get() = simulator.url()

    /** The connection string clients of this simulator use. */
    val connectionString: String get() = simulator.connectionString()

    /** The access key tokens must be signed with. */
    val accessKey: String get() = simulator.accessKey()

    /**
     * A REST token for [audience] signed with the simulator's key, valid for [lifetime]: what an
     * app's backend hands to a [TokenProvider].
     */
    fun accessToken(audience: String, lifetime: Duration = 1.hours): String =
        native { simulator.accessToken(audience, lifetime.inSeconds) }

    /** [accessToken] with a Java [lifetime]. */
    fun accessToken(audience: String, lifetime: java.time.Duration): String = accessToken(audience, lifetime.toKotlinDuration())

    /** Connects an in-process client to [hub], as [userId] if given. */
    @JvmOverloads
    fun connect(hub: String, userId: String? = null) = VirtualClient(native { simulator.connect(hub, userId) })

    /** Hubs any call has used, lower case, sorted. */
    fun hubs(): List<String> = native { simulator.hubs() }

    /** The hub's live connections. */
    fun connections(hub: String): List<ConnectionInfo> = native { simulator.connections(hub) }

    /** The hub's groups that have connections. */
    fun groups(hub: String): List<GroupInfo> = native { simulator.groups(hub) }

    /** The hub's unexpired user-group mappings. */
    fun userGroups(hub: String): List<UserGroupMapping> = native { simulator.userGroups(hub) }

    /** Moves the simulator's clock forward (TTLs expire; tokens keep wall time). */
    fun advanceClock(by: Duration) = native { simulator.advanceClock(by.inSeconds) }

    /** [advanceClock] by a Java duration. */
    fun advanceClock(by: java.time.Duration) = advanceClock(by.toKotlinDuration())

    /** Stops serving and waits for the server to end; later calls fail. */
    suspend fun shutdown() = simulator.shutdown()

    /** [shutdown], blocking. */
    fun shutdownBlocking() = blockingCall { shutdown() }

    /** [shutdown] as a future. */
    fun shutdownAsync(): CompletableFuture<Void?> = voidFutureCall { shutdown() }

    /** Stops the simulator without waiting and frees it. */
    override fun close() = simulator.close()
}

/** An in-process client connected to a hub of the [Simulator]; closing it disconnects. */
class VirtualClient internal constructor(private val client: NativeVirtualClient) : AutoCloseable {
    /** The connection id REST calls address it by. */
    val connectionId: String = client.connectionId()

    /** The user id it connected as. */
    val userId: String? = client.userId()

    /** Whether the service closed this connection. */
    val isClosed: Boolean get() = client.isClosed()

    /** The reason the service gave when it closed the connection. */
    val closeReason: String? get() = client.closeReason()

    /** Every invocation received so far, in order. */
    fun received(): List<ReceivedMessage> = client.received().map(::ReceivedMessage)

    /** The first invocation of [target], waiting up to [timeout] ([SignalRException.Timeout] after). */
    suspend fun waitFor(target: String, timeout: Duration = 5.seconds) =
        ReceivedMessage(native { client.waitFor(target, timeout.inSeconds, null) })

    /** [waitFor] with a Java [timeout] (default 5 s), blocking. */
    @JvmOverloads
    fun waitForBlocking(target: String, timeout: java.time.Duration = java.time.Duration.ofSeconds(5)): ReceivedMessage =
        blockingCall { waitFor(target, timeout.toKotlinDuration()) }

    /** [waitFor] with a Java [timeout] (default 5 s) as a future. */
    @JvmOverloads
    fun waitForAsync(
        target: String,
        timeout: java.time.Duration = java.time.Duration.ofSeconds(5),
    ): CompletableFuture<ReceivedMessage> = futureCall { waitFor(target, timeout.toKotlinDuration()) }

    /** Disconnects from the hub, leaving every group. */
    fun disconnect() = client.disconnect()

    /** Disconnects and frees the native client. */
    override fun close() = client.close()
}
