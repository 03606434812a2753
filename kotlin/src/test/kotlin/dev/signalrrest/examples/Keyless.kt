package dev.signalrrest.examples

import dev.signalrrest.ServiceClient
import dev.signalrrest.TokenProvider
import kotlinx.serialization.json.JsonPrimitive

// README begin: kotlin/README.md shows the lines from here to "README end" verbatim.
/**
 * Sends `newMessage("hello")` to every client of hub `chat` without holding the access key:
 * [fetchToken] gets each request's token for its audience from your backend (or Microsoft
 * Entra ID), which checks who is asking.
 */
suspend fun sendWithoutKey(endpoint: String, fetchToken: suspend (audience: String) -> String) {
    ServiceClient.withTokenProvider(endpoint, TokenProvider { audience -> fetchToken(audience) }).use { client ->
        client.hub("chat").sendToAll("newMessage", listOf(JsonPrimitive("hello")))
    }
}
// README end
