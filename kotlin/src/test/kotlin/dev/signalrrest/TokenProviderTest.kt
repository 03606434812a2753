package dev.signalrrest

import java.util.Collections
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonPrimitive
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.coroutines.cancellation.CancellationException
import kotlin.test.assertIs
import kotlin.test.assertNull
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test

class TokenProviderTest {
    @Test
    fun `calls carry the provider's token for the request url`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val audiences = Collections.synchronizedList(mutableListOf<String>())
            val provider = TokenProvider { audience ->
                audiences += audience
                simulator.accessToken(audience)
            }
            ServiceClient.withTokenProvider(simulator.url, provider).use { client ->
                val alice = simulator.connect("chat", "alice")
                client.hub("chat").sendToUser("alice", "hello", listOf(JsonPrimitive(1)))
                assertEquals(listOf(ReceivedMessage("hello", JsonArray(listOf(JsonPrimitive(1))))), alice.received())
                assertEquals(listOf("${simulator.url}/api/v1/hubs/chat/users/alice"), audiences)
            }
        }
    }

    @Test
    fun `a provider that throws fails the call as Unauthorized without a status`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val provider = TokenProvider { throw IllegalStateException("backend said no") }
            ServiceClient.withTokenProvider(simulator.url, provider).use { client ->
                val error = assertFailsWith<SignalRException.Unauthorized> { client.hub("chat").sendToAll("t") }
                assertNull(error.status)
                assertContains(error.message!!, "backend said no")
            }
        }
    }

    @Test
    fun `a token the service rejects is Unauthorized with its status`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val provider = TokenProvider { audience -> signToken("some-other-key", audience) }
            ServiceClient.withTokenProvider(simulator.url, provider, ClientOptions(maxRetries = 0)).use { client ->
                val error = assertFailsWith<SignalRException.Unauthorized> { client.hub("chat").sendToAll("t") }
                assertEquals(401, error.status)
            }
        }
    }

    @Test
    fun `cancelling the call cancels the provider's coroutine`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val providerEnded = CompletableDeferred<Throwable?>()
            val provider = TokenProvider {
                try {
                    awaitCancellation()
                } catch (e: Throwable) {
                    providerEnded.complete(e)
                    throw e
                }
            }
            ServiceClient.withTokenProvider(simulator.url, provider).use { client ->
                assertFailsWith<TimeoutCancellationException> {
                    withTimeout(300.milliseconds) { client.hub("chat").sendToAll("t") }
                }
                val ended = withTimeout(5.seconds) { providerEnded.await() }
                assertIs<CancellationException>(ended)
            }
        }
    }
}

