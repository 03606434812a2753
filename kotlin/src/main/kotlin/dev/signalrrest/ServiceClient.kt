package dev.signalrrest

import java.util.concurrent.CompletableFuture
import kotlin.time.Duration
import kotlin.time.toKotlinDuration
import kotlinx.serialization.json.JsonObject
import dev.signalrrest.ffi.ClientOptions as NativeClientOptions
import dev.signalrrest.ffi.NegotiateOptions
import dev.signalrrest.ffi.ServiceClient as NativeServiceClient
import dev.signalrrest.ffi.parseApiVersion

/**
 * The REST API versions a client can speak. Operations only 2022-06-01 has (closing many
 * connections, removing a connection from all groups, service-generated client tokens) always
 * use it, whatever the client's version.
 */
enum class ApiVersion(
    /** The version as the service writes it: `1.0` or `2022-06-01`. */
    val text: String,
) {
    /** `/api/v1/hubs/{app}_{hub}/...`: the default. */
    V1("1.0"),

    /** `/api/hubs/{hub}/...?application={app}&api-version=2022-06-01`: what Microsoft's SDKs send. */
    V2022_06_01("2022-06-01"),
    ;

    override fun toString() = text

    companion object {
        /**
         * The version [text] names (`"1.0"` or `"2022-06-01"`, e.g. from configuration);
         * [SignalRException.InvalidArgument] naming it otherwise.
         */
        @JvmStatic
        fun parse(text: String): ApiVersion = ofText(native { parseApiVersion(text) })

        internal fun ofText(text: String): ApiVersion = entries.first { it.text == text }
    }
}

/**
 * Client settings; null keeps the default (30 s timeout, 3 retries, no application name, API 1.0,
 * SignalR clients sent to the REST endpoint, one-hour request tokens).
 * Java builds them with [builder]: `ClientOptions.builder().timeout(Duration.ofSeconds(5)).build()`.
 */
data class ClientOptions(
    /** Time one HTTP request may take. */
    val timeout: Duration? = null,
    /** Attempts after the first one; 0 disables retries. */
    val maxRetries: Int? = null,
    /** Wait before the first retry; doubles each time. */
    val retryInitialDelay: Duration? = null,
    /** Upper bound of any wait between retries. */
    val retryMaxDelay: Duration? = null,
    /** Prefix hub names with `{name}_`, to share one service between applications. */
    val applicationName: String? = null,
    /** The REST API version to speak. */
    val apiVersion: ApiVersion? = null,
    /** The endpoint SignalR clients are sent to ([ServiceClient.clientUrl], negotiate), when it differs from the REST one. */
    val clientEndpoint: String? = null,
    /** Lifetime of the tokens signed with the access key for each request. */
    val tokenLifetime: Duration? = null,
) {
    internal fun toNative() = NativeClientOptions(
        timeoutSeconds = timeout?.inSeconds,
        maxRetries = maxRetries?.toLong(),
        retryInitialDelaySeconds = retryInitialDelay?.inSeconds,
        retryMaxDelaySeconds = retryMaxDelay?.inSeconds,
        applicationName = applicationName,
        apiVersion = apiVersion?.text,
        clientEndpoint = clientEndpoint,
        tokenLifetimeSeconds = tokenLifetime?.inSeconds,
        // The User-Agent: signalr-rest-kotlin/{version} (JVM {java.version}; {os} {arch}).
        sdkLanguage = "kotlin",
        sdkRuntime = "JVM ${System.getProperty("java.version")}",
    )

    /** Client settings one at a time, with `java.time.Duration`s: how Java makes [ClientOptions]. */
    class Builder {
        private var options = ClientOptions()

        /** Time one HTTP request may take. */
        fun timeout(timeout: java.time.Duration) = apply { options = options.copy(timeout = timeout.toKotlinDuration()) }

        /** Attempts after the first one; 0 disables retries. */
        fun maxRetries(maxRetries: Int) = apply { options = options.copy(maxRetries = maxRetries) }

        /** Wait before the first retry; doubles each time. */
        fun retryInitialDelay(delay: java.time.Duration) =
            apply { options = options.copy(retryInitialDelay = delay.toKotlinDuration()) }

        /** Upper bound of any wait between retries. */
        fun retryMaxDelay(delay: java.time.Duration) = apply { options = options.copy(retryMaxDelay = delay.toKotlinDuration()) }

        /** Prefix hub names with `{name}_`, to share one service between applications. */
        fun applicationName(name: String) = apply { options = options.copy(applicationName = name) }

        /** The REST API version to speak. */
        fun apiVersion(version: ApiVersion) = apply { options = options.copy(apiVersion = version) }

        /** The endpoint SignalR clients are sent to, when it differs from the REST one. */
        fun clientEndpoint(endpoint: String) = apply { options = options.copy(clientEndpoint = endpoint) }

        /** Lifetime of the tokens signed with the access key for each request. */
        fun tokenLifetime(lifetime: java.time.Duration) =
            apply { options = options.copy(tokenLifetime = lifetime.toKotlinDuration()) }

        /** The settings given so far; the others keep their defaults. */
        fun build(): ClientOptions = options
    }

    companion object {
        /** A [Builder] with every setting at its default. */
        @JvmStatic
        fun builder() = Builder()
    }
}

/** The `{url, accessToken}` an app's negotiate endpoint returns to a SignalR client. */
data class NegotiateResponse(val url: String, val accessToken: String)

/**
 * A client of one service endpoint; hub clients made from it share its connection pool.
 *
 * ```
 * ServiceClient.fromConnectionString(System.getenv("AZURE_SIGNALR_CONNECTION_STRING")).use { client ->
 *     client.hub("chat").sendToAll("newMessage", listOf(JsonPrimitive("hello")))
 * }
 * ```
 */
class ServiceClient private constructor(private val client: NativeServiceClient) : AutoCloseable {
    init {
        Slf4jLogSink.installed
    }

    companion object {
        /** A client from `Endpoint=...;AccessKey=...;Version=1.0;`. */
        @JvmStatic
        @JvmOverloads
        fun fromConnectionString(connectionString: String, options: ClientOptions = ClientOptions()) =
            ServiceClient(native { NativeServiceClient.fromConnectionString(connectionString, options.toNative()) })

        /** A client of [endpoint] (e.g. `https://name.service.signalr.net`) that signs each request with [accessKey]. */
        @JvmStatic
        @JvmOverloads
        fun fromEndpoint(endpoint: String, accessKey: String, options: ClientOptions = ClientOptions()) =
            ServiceClient(native { NativeServiceClient.fromEndpoint(endpoint, accessKey, options.toNative()) })

        /** A client of [endpoint] that asks [provider] for every request's token instead of holding the key. */
        @JvmStatic
        @JvmOverloads
        fun withTokenProvider(endpoint: String, provider: TokenProvider, options: ClientOptions = ClientOptions()) =
            ServiceClient(
                native {
                    NativeServiceClient.withTokenProvider(endpoint, NativeTokenProvider(provider), options.toNative())
                },
            )
    }

    /** The REST endpoint, without trailing slash. */
    val endpoint: String get() = client.endpoint()

    /** The REST API version this client speaks. */
    val apiVersion: ApiVersion get() = ApiVersion.ofText(client.apiVersion())

    /** The application name hub names are prefixed with (lower case), or null. */
    val applicationName: String? get() = client.applicationName()

    /** A client for hub [name]; throws [SignalRException.InvalidArgument] if the name breaks the hub rules. */
    fun hub(name: String): HubClient = HubClient(native { client.hub(name) })

    /** Returns when the service answers its health check. */
    suspend fun health() = native { client.health(null) }

    /** The URL a SignalR client connects to for [hub]. */
    fun clientUrl(hub: String): String = native { client.clientUrl(hub) }

    /** The negotiate answer for a SignalR client of [hub] as [userId]; needs the access key. */
    fun negotiate(
        hub: String,
        userId: String? = null,
        lifetime: Duration? = null,
        claims: JsonObject? = null,
    ): NegotiateResponse = negotiateJson(hub, NegotiateOptions(userId, lifetime?.inSeconds, claims?.toString()))

    private fun negotiateJson(hub: String, options: NegotiateOptions): NegotiateResponse {
        val answer = native { client.negotiate(hub, options) }
        return NegotiateResponse(answer.url, answer.accessToken)
    }

    /**
     * The negotiate answer for a SignalR client of [hub] as [userId], with a token the service
     * generates (`:generateToken`): how apps with a token provider instead of the key negotiate.
     * [lifetime] (default one hour) is rounded up to whole minutes.
     */
    suspend fun negotiateWithService(hub: String, userId: String? = null, lifetime: Duration? = null): NegotiateResponse {
        val options = NegotiateOptions(userId, lifetime?.inSeconds, null)
        val answer = native { client.negotiateWithService(hub, options, null) }
        return NegotiateResponse(answer.url, answer.accessToken)
    }

    // For Java: the calls above, blocking and as a CompletableFuture (see HubClient), with
    // java.time.Duration lifetimes and claims as JSON object text.

    /** [health], blocking. */
    fun healthBlocking() = blockingCall { health() }

    /** [health] as a future. */
    fun healthAsync(): CompletableFuture<Void?> = voidFutureCall { health() }

    /**
     * [negotiate] with [claimsJson] a JSON object text; it signs the token here, so the
     * "blocking" variant never waits on the network.
     */
    @JvmOverloads
    fun negotiateBlocking(
        hub: String,
        userId: String? = null,
        lifetime: java.time.Duration? = null,
        claimsJson: String? = null,
    ): NegotiateResponse = negotiateJson(hub, NegotiateOptions(userId, lifetime.toKotlin()?.inSeconds, claimsJson))

    /** [negotiateBlocking] as a future, already complete, for code that composes futures. */
    @JvmOverloads
    fun negotiateAsync(
        hub: String,
        userId: String? = null,
        lifetime: java.time.Duration? = null,
        claimsJson: String? = null,
    ): CompletableFuture<NegotiateResponse> = futureCall { negotiateBlocking(hub, userId, lifetime, claimsJson) }

    /** [negotiateWithService] ([lifetime] null: one hour), blocking. */
    @JvmOverloads
    fun negotiateWithServiceBlocking(hub: String, userId: String? = null, lifetime: java.time.Duration? = null) =
        blockingCall { negotiateWithService(hub, userId, lifetime.toKotlin()) }

    /** [negotiateWithService] ([lifetime] null: one hour) as a future. */
    @JvmOverloads
    fun negotiateWithServiceAsync(
        hub: String,
        userId: String? = null,
        lifetime: java.time.Duration? = null,
    ): CompletableFuture<NegotiateResponse> = futureCall { negotiateWithService(hub, userId, lifetime.toKotlin()) }

    /** Frees the native client; hub clients made from it keep working until closed themselves. */
    override fun close() = client.close()
}
