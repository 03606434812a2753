package dev.signalrrest

import java.util.concurrent.CompletableFuture
import kotlin.time.Duration
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.seconds
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.jsonArray
import dev.signalrrest.ffi.FaultRule as NativeFaultRule
import dev.signalrrest.ffi.InjectedFault as NativeInjectedFault
import dev.signalrrest.ffi.ReceivedMessage as NativeReceivedMessage
import dev.signalrrest.ffi.Simulator as NativeSimulator
import dev.signalrrest.ffi.SimulatorOptions as NativeSimulatorOptions
import dev.signalrrest.ffi.UpstreamCall as NativeUpstreamCall
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
 * Simulator settings; null keeps the default (127.0.0.1, a free port, a random key, no upstream,
 * a 30 s upstream timeout, the core's ping interval, the dashboard only on a loopback host, no
 * fault rules, a random fault seed). Java builds them with [builder]:
 * `SimulatorOptions.builder().upstream("http://127.0.0.1:7071/api/{hub}/{category}/{event}").build()`.
 */
data class SimulatorOptions(
    /** IP address to listen on. */
    val host: String? = null,
    /** Port to listen on; null or 0 lets the OS choose. */
    val port: Int? = null,
    /** Access key tokens must be signed with. */
    val accessKey: String? = null,
    /**
     * Serverless upstream templates in the CLI's form
     * `URL[;hub=PATTERN][;category=PATTERN][;event=PATTERN]`, first match wins; the URL may hold
     * `{hub}`, `{category}` and `{event}`. Without one, client invocations are refused.
     */
    val upstreams: List<String> = emptyList(),
    /** Time one upstream call may take. */
    val upstreamTimeout: Duration? = null,
    /** A second key tokens may be signed with; upstream requests carry a signature for each key. */
    val secondaryAccessKey: String? = null,
    /** Silence after which a WebSocket client gets a ping. */
    val pingInterval: Duration? = null,
    /**
     * Serve the live dashboard at [Simulator.dashboardUrl]; null serves it only when [host] is a
     * loopback address, since the page has no login.
     */
    val dashboard: Boolean? = null,
    /**
     * Fault rules in force from the start, in the rule text form
     * `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]`, e.g.
     * `503;route=send;times=2` (see [Simulator.addFault]); a bad rule fails [Simulator.start].
     */
    val faults: List<String> = emptyList(),
    /**
     * Seed for the draws of rules with a `fraction`, so the same seed hits the same requests;
     * random when null. Any 64-bit value: its bits are the seed (a negative one too).
     */
    val faultSeed: Long? = null,
) {
    internal fun toNative() = NativeSimulatorOptions(
        host,
        port?.toLong(),
        accessKey,
        upstreams,
        upstreamTimeout?.inSeconds,
        secondaryAccessKey,
        pingInterval?.inSeconds,
        dashboard,
        faults,
        faultSeed?.toULong(),
    )

    /** Simulator settings one at a time, with `java.time.Duration`s: how Java makes [SimulatorOptions]. */
    class Builder {
        private var options = SimulatorOptions()

        /** IP address to listen on. */
        fun host(host: String) = apply { options = options.copy(host = host) }

        /** Port to listen on; 0 lets the OS choose. */
        fun port(port: Int) = apply { options = options.copy(port = port) }

        /** Access key tokens must be signed with. */
        fun accessKey(key: String) = apply { options = options.copy(accessKey = key) }

        /** Adds an upstream template (CLI form); the first added that matches an event serves it. */
        fun upstream(template: String) = apply { options = options.copy(upstreams = options.upstreams + template) }

        /** Time one upstream call may take. */
        fun upstreamTimeout(timeout: java.time.Duration) =
            apply { options = options.copy(upstreamTimeout = timeout.toKotlinDuration()) }

        /** A second key tokens may be signed with. */
        fun secondaryAccessKey(key: String) = apply { options = options.copy(secondaryAccessKey = key) }

        /** Silence after which a WebSocket client gets a ping. */
        fun pingInterval(interval: java.time.Duration) =
            apply { options = options.copy(pingInterval = interval.toKotlinDuration()) }

        /** Serve the live dashboard (true) or not (false); by default only on a loopback host. */
        fun dashboard(serve: Boolean) = apply { options = options.copy(dashboard = serve) }

        /** Adds a fault rule in force from the start (rule text, e.g. `503;route=send;times=2`). */
        fun fault(rule: String) = apply { options = options.copy(faults = options.faults + rule) }

        /** Seed for the draws of rules with a `fraction`: the same seed hits the same requests. */
        fun faultSeed(seed: Long) = apply { options = options.copy(faultSeed = seed) }

        /** The settings so far. */
        fun build(): SimulatorOptions = options
    }

    companion object {
        /** A [Builder] for Java. */
        @JvmStatic
        fun builder() = Builder()
    }
}

/**
 * One upstream call the simulator made: about connection [connectionId] of [hub], the
 * [category] (`connections` or `messages`) and [event] (`connected`, `disconnected` or the hub
 * method), to [url]; the app's HTTP [status], or the [error] when no answer came.
 */
data class UpstreamCall(
    /** The client connection it was about. */
    val connectionId: String,
    /** The hub. */
    val hub: String,
    /** `connections` or `messages`. */
    val category: String,
    /** `connected`, `disconnected` or the hub method. */
    val event: String,
    /** The URL called. */
    val url: String,
    /** The app's HTTP status; null when no answer came. */
    val status: Int?,
    /** Why no answer came (refused, timed out). */
    val error: String?,
) {
    internal constructor(call: NativeUpstreamCall) :
        this(call.connectionId, call.hub, call.category, call.event, call.url, call.status?.toInt(), call.error)
}

/** A fault rule in force: its [id] (for [Simulator.removeFault]), its rule text and how often it was [injected]. */
data class FaultRule(
    /** The id [Simulator.removeFault] takes. */
    val id: String,
    /** The rule text, e.g. `503;route=send;times=2`; [Simulator.addFault] reads it back to the same rule. */
    val fault: String,
    /** How many times it has been injected. */
    val injected: Int,
) {
    internal constructor(rule: NativeFaultRule) : this(rule.id, rule.fault, rule.injected.toInt())
}

/** One fault the simulator injected. */
data class InjectedFault(
    /** The id of the rule that injected it; empty for a drop or pause asked for directly. */
    val faultId: String,
    /** The rule text, or `drop`, `drop;close` or `pause=...ms` for a socket fault. */
    val fault: String,
    /** What it hit: `METHOD /path` of a request, or `connection ID`. */
    val target: String,
    /** The hub of the request or connection, lower case; null when not known. */
    val hub: String?,
) {
    internal constructor(injected: NativeInjectedFault) :
        this(injected.faultId, injected.fault, injected.target, injected.hub)
}

/**
 * A local stand-in for the service, for tests: the REST API on a loopback port, in-process
 * virtual clients and inspection of hubs, groups and mappings. It serves until [shutdown] or
 * [close] (which shuts it down) or the process exits: dropping every reference does not stop
 * it. A shut-down simulator refuses [connect] and [accessToken] with
 * [SignalRException.InvalidArgument] and still answers the inspection calls from its final state.
 *
 * From Java: `try (Simulator simulator = Simulator.startBlocking()) { ... }`; calls that
 * suspend come blocking (`...Blocking`) and as a CompletableFuture (`...Async`) too.
 */
class Simulator private constructor(private val simulator: NativeSimulator) : AutoCloseable {
    init {
        Slf4jLogSink.installed
    }

    companion object {
        /** Starts a simulator on [host] (default 127.0.0.1) and [port] (default: a free one). */
        suspend fun start(host: String? = null, port: Int? = null, accessKey: String? = null) =
            start(SimulatorOptions(host, port, accessKey))

        /** Starts a simulator with [options], e.g. an upstream to call a serverless app. */
        suspend fun start(options: SimulatorOptions) = Simulator(native { NativeSimulator.start(options.toNative()) })

        /** [start], blocking. */
        @JvmStatic
        @JvmOverloads
        fun startBlocking(host: String? = null, port: Int? = null, accessKey: String? = null): Simulator =
            startBlocking(SimulatorOptions(host, port, accessKey))

        /** [start] with [options], blocking. */
        @JvmStatic
        fun startBlocking(options: SimulatorOptions): Simulator = blockingCall { start(options) }

        /** [start] as a future. */
        @JvmStatic
        @JvmOverloads
        fun startAsync(host: String? = null, port: Int? = null, accessKey: String? = null): CompletableFuture<Simulator> =
            startAsync(SimulatorOptions(host, port, accessKey))

        /** [start] with [options], as a future. */
        @JvmStatic
        fun startAsync(options: SimulatorOptions): CompletableFuture<Simulator> = futureCall { start(options) }
    }

    /** `http://127.0.0.1:{port}`. */
    val url: String get() = simulator.url()

    /** The connection string clients of this simulator use. */
    val connectionString: String get() = simulator.connectionString()

    /** The access key tokens must be signed with. */
    val accessKey: String get() = simulator.accessKey()

    /** The live dashboard's URL (`{url}/dashboard/`), or null when it is not served. */
    val dashboardUrl: String? get() = simulator.dashboardUrl()

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

    /** The serverless upstream calls made so far (the last 1000), oldest first. */
    fun upstreamCalls(): List<UpstreamCall> = native { simulator.upstreamCalls() }.map(::UpstreamCall)

    /** Moves the simulator's clock forward (TTLs expire; tokens keep wall time). */
    fun advanceClock(by: Duration) = native { simulator.advanceClock(by.inSeconds) }

    /** [advanceClock] by a Java duration. */
    fun advanceClock(by: java.time.Duration) = advanceClock(by.toKotlinDuration())

    /**
     * Adds a fault rule, given in its text form
     * `ACTION[;hub=NAME][;route=ROUTE][;times=N][;fraction=F][;retry-after=SECS]` (e.g.
     * `503;route=send;times=2`, `429;retry-after=1`, `delay=250ms;hub=chat`, `reset;times=1`),
     * and returns its id. A bad rule is refused with [SignalRException.InvalidArgument] naming
     * the bad part.
     */
    fun addFault(rule: String): String = native { simulator.addFault(rule) }

    /** Removes the rule with this [id]; false if there is none (it may have run out). */
    fun removeFault(id: String): Boolean = native { simulator.removeFault(id) }

    /** Removes every fault rule. */
    fun clearFaults() = native { simulator.clearFaults() }

    /** The fault rules in force, in order; a rule whose `times` ran out is gone. */
    fun faults(): List<FaultRule> = native { simulator.faults() }.map(::FaultRule)

    /** The faults injected so far (the last 1000), oldest first. */
    fun injectedFaults(): List<InjectedFault> = native { simulator.injectedFaults() }.map(::InjectedFault)

    /**
     * Drops the [hub]'s client connections (or only [connectionId]) as a failing network would:
     * with a Close that allows reconnecting when [close], else without any. Returns the ids
     * dropped; a dropped virtual client is closed.
     */
    @JvmOverloads
    fun dropClients(hub: String, connectionId: String? = null, close: Boolean = true): List<String> =
        native { simulator.dropClients(hub, connectionId, close) }

    /**
     * Stalls the [hub]'s WebSocket clients (or only [connectionId]) for [duration] (at most an
     * hour; a negative one is refused with [SignalRException.InvalidArgument]): nothing is
     * written to or read from them meanwhile. Returns the ids paused; virtual clients have no
     * socket and are not paused.
     */
    fun pauseClients(hub: String, duration: Duration, connectionId: String? = null): List<String> =
        native { simulator.pauseClients(hub, connectionId, duration.inSeconds) }

    /** [pauseClients] for a Java [duration]. */
    @JvmOverloads
    fun pauseClients(hub: String, duration: java.time.Duration, connectionId: String? = null): List<String> =
        pauseClients(hub, duration.toKotlinDuration(), connectionId)

    /** Stops serving, closes every client and waits for the server to end; again does nothing. */
    suspend fun shutdown() = simulator.shutdown()

    /** [shutdown], blocking. */
    fun shutdownBlocking() = blockingCall { shutdown() }

    /** [shutdown] as a future. */
    fun shutdownAsync(): CompletableFuture<Void?> = voidFutureCall { shutdown() }

    /** Shuts the simulator down (see [shutdown]), then frees the native handle. */
    override fun close() {
        shutdownBlocking()
        simulator.close()
    }
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
