package dev.signalrrest

/**
 * Supplies the bearer token of each REST call, so an app (a phone, say) never holds the access
 * key: fetch a token from your backend for [audience], the request URL without its query.
 * Anything it throws fails the call with [SignalRException.Unauthorized] (status null).
 */
fun interface TokenProvider {
    /** A token whose `aud` is [audience]. */
    suspend fun token(audience: String): String
}

/** [TokenProvider] as the generated foreign trait; what it throws reaches Rust as a failure. */
internal class NativeTokenProvider(private val provider: TokenProvider) : dev.signalrrest.ffi.TokenProvider {
    override suspend fun token(audience: String): String = provider.token(audience)
}
