package dev.signalrrest

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.jsonArray
import dev.signalrrest.ffi.HubProtocol as NativeHubProtocol
import dev.signalrrest.ffi.NameValue
import dev.signalrrest.ffi.UpstreamContext as NativeUpstreamContext
import dev.signalrrest.ffi.UpstreamEvent as NativeUpstreamEvent
import dev.signalrrest.ffi.parseUpstreamRequest
import dev.signalrrest.ffi.upstreamCompletionBody

/** The hub protocol a client speaks; an upstream invocation's completion must be written in it. */
enum class HubProtocol(
    /** The content type of an upstream request or completion in this protocol. */
    val contentType: String,
) {
    /** JSON text. */
    JSON("application/json"),

    /** MessagePack. */
    MESSAGEPACK("application/x-msgpack"),
    ;

    internal fun toNative() = when (this) {
        JSON -> NativeHubProtocol.JSON
        MESSAGEPACK -> NativeHubProtocol.MESSAGE_PACK
    }

    internal companion object {
        fun of(protocol: NativeHubProtocol) = when (protocol) {
            NativeHubProtocol.JSON -> JSON
            NativeHubProtocol.MESSAGE_PACK -> MESSAGEPACK
        }
    }
}

/** What every upstream request tells about its client connection. */
data class UpstreamContext(
    /** `X-ASRS-Connection-Id`. */
    val connectionId: String,
    /** `X-ASRS-Hub`. */
    val hub: String,
    /** `X-ASRS-User-Id`, when the client has one. */
    val userId: String?,
    /** `X-ASRS-User-Claims`: claim type to its first value, in the order the request gave them. */
    val claims: Map<String, String>,
    /** `X-ASRS-Client-Query`: key to value (repeated keys' values joined with `,`), in order. */
    val query: Map<String, String>,
)

/**
 * A verified upstream request: a client [Connected], [Disconnected] or made an [Invocation].
 * Every event tells who in its [context]; [connectionId], [hub], [userId], [claims] and [query]
 * read it.
 */
sealed class UpstreamEvent {
    /** The client connection the request is about. */
    abstract val context: UpstreamContext

    /** `X-ASRS-Connection-Id`. */
    val connectionId: String get() = context.connectionId

    /** `X-ASRS-Hub`. */
    val hub: String get() = context.hub

    /** `X-ASRS-User-Id`, when the client has one. */
    val userId: String? get() = context.userId

    /** `X-ASRS-User-Claims`: claim type to its first value, in the order the request gave them. */
    val claims: Map<String, String> get() = context.claims

    /** `X-ASRS-Client-Query`: key to value (repeated keys' values joined with `,`), in order. */
    val query: Map<String, String> get() = context.query

    /** A client connected. */
    data class Connected(override val context: UpstreamContext) : UpstreamEvent()

    /** A client disconnected; [error] says why when it did not close cleanly. */
    data class Disconnected(
        override val context: UpstreamContext,
        /** Why, when not a clean close. */
        val error: String?,
    ) : UpstreamEvent()

    /**
     * A client invoked hub method [target] with [arguments]. [invocationId] is null for a send,
     * which waits for no completion; otherwise answer with
     * `Upstream.completionBody(event.protocol, event.invocationId, result)`.
     */
    data class Invocation(
        override val context: UpstreamContext,
        /** The id the completion must carry; null for a fire-and-forget send. */
        val invocationId: String?,
        /** The hub method. */
        val target: String,
        /** Its arguments. */
        val arguments: JsonArray,
        /** The client's hub protocol, which the completion must be written in. */
        val protocol: HubProtocol,
    ) : UpstreamEvent() {
        /** [arguments] as JSON array text, e.g. `["bob","hi"]`. */
        val argumentsJson: String get() = arguments.toString()
    }
}

/**
 * Receiving serverless upstream requests: in serverless mode the service (or the [Simulator])
 * POSTs each client's connected and disconnected events and every hub method a client invokes to
 * the app's upstream URL. [parseRequest] verifies and reads one; [completionBody] builds the
 * answer to an invocation, which the service hands the client as its result.
 */
object Upstream {
    /**
     * Verifies an upstream request's `X-ASRS-Signature` with [accessKeys] (primary and secondary)
     * and reads it; [headers] in any case. [SignalRException.Unauthorized] when the signature
     * signs the connection with none of the keys, [SignalRException.InvalidArgument] when the
     * request is not one the service sends.
     */
    @JvmStatic
    fun parseRequest(headers: Map<String, String>, body: ByteArray, accessKeys: List<String>): UpstreamEvent =
        when (val event = native { parseUpstreamRequest(headers, body, accessKeys) }) {
            is NativeUpstreamEvent.Connected -> UpstreamEvent.Connected(event.context.toPublic())
            is NativeUpstreamEvent.Disconnected -> UpstreamEvent.Disconnected(event.context.toPublic(), event.error)
            is NativeUpstreamEvent.Invocation -> UpstreamEvent.Invocation(
                event.context.toPublic(),
                event.invocationId,
                event.target,
                Json.parseToJsonElement(event.argumentsJson).jsonArray,
                HubProtocol.of(event.protocol),
            )
        }

    /**
     * [parseRequest] with headers that may repeat, as the JDK's `HttpExchange.getRequestHeaders()`
     * and most servlet-style APIs give them: a repeated header's values are joined with `,`.
     */
    @JvmStatic
    @JvmName("parseRequestMultiValued")
    fun parseRequest(headers: Map<String, List<String>>, body: ByteArray, accessKeys: List<String>): UpstreamEvent {
        val joined: Map<String, String> = headers.mapValues { (_, values) -> values.joinToString(",") }
        return parseRequest(joined, body, accessKeys)
    }

    /**
     * The answer to an invocation: its completion framed in the client's [protocol]. With a
     * [result] (use `JsonNull` for null) the client's call returns it; with an [error] the call
     * fails with that message; with neither it completes empty. Serve it with content type
     * [HubProtocol.contentType]. Both is [SignalRException.InvalidArgument].
     */
    @JvmStatic
    @JvmOverloads
    fun completionBody(protocol: HubProtocol, invocationId: String, result: JsonElement? = null, error: String? = null): ByteArray =
        completionBodyJson(protocol, invocationId, result?.toString(), error)

    /**
     * [completionBody] with [resultJson] as JSON text (one value), for Java; null for no result.
     * Text that is not JSON is [SignalRException.InvalidArgument].
     */
    @JvmStatic
    @JvmOverloads
    fun completionBodyJson(protocol: HubProtocol, invocationId: String, resultJson: String?, error: String? = null): ByteArray =
        native { upstreamCompletionBody(protocol.toNative(), invocationId, resultJson, error) }

    private fun NativeUpstreamContext.toPublic() =
        UpstreamContext(connectionId, hub, userId, claims.toMap(), query.toMap())

    private fun List<NameValue>.toMap(): Map<String, String> = associate { it.name to it.value }
}
