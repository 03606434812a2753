package dev.signalrrest

import java.util.concurrent.CompletableFuture
import java.util.function.Function
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.future.await
import kotlinx.coroutines.withContext

/**
 * Supplies the bearer token of each REST call, so an app (a phone, say) never holds the access
 * key: fetch a token from your backend for the `audience` [token] receives, the request URL without its query.
 * Anything it throws fails the call with [SignalRException.Unauthorized] (status null).
 */
fun interface TokenProvider {
    /** A token whose `aud` is [audience]. */
    suspend fun token(audience: String): String

    /** Providers Java can write: `ServiceClient.withTokenProvider(endpoint, TokenProvider.fromBlocking(backend::token))`. */
    companion object {
        /** A provider calling [fetch], which may block: it runs on [Dispatchers.IO], never on a client's thread. */
        @JvmStatic
        fun fromBlocking(fetch: Function<String, String>) =
            TokenProvider { audience -> withContext(Dispatchers.IO) { fetch.apply(audience) } }

        /** A provider awaiting the future [fetch] returns; cancelling the call cancels that future. */
        @JvmStatic
        fun fromFuture(fetch: Function<String, CompletableFuture<String>>) =
            TokenProvider { audience -> fetch.apply(audience).await() }
    }
}

/** [TokenProvider] as the generated foreign trait; what it throws reaches Rust as a failure. */
internal class NativeTokenProvider(private val provider: TokenProvider) : dev.signalrrest.ffi.TokenProvider {
    override suspend fun token(audience: String): String = provider.token(audience)
}
