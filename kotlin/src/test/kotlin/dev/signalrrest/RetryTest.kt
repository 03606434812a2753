package dev.signalrrest

import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.time.Duration.Companion.milliseconds
import org.junit.jupiter.api.Test

class RetryTest {
    /** [maxRetries] retries after short waits, so a test of three attempts takes milliseconds. */
    private fun quickRetries(maxRetries: Int) =
        ClientOptions(maxRetries = maxRetries, retryInitialDelay = 10.milliseconds, retryMaxDelay = 20.milliseconds)

    @Test
    fun `maxRetries 2 makes three attempts at a send answered 503 with an empty body`() = runBlocking<Unit> {
        CannedServer(503, "").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, quickRetries(2)).use { client ->
                val error = assertFailsWith<SignalRException.ServiceError> { client.hub("chat").sendToAll("t") }
                assertEquals(503, error.status)
                assertEquals(3, server.requests)
            }
        }
    }

    @Test
    fun `maxRetries 2 makes three attempts at an idempotent call answered 500`() = runBlocking<Unit> {
        CannedServer(500, "busy").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, quickRetries(2)).use { client ->
                val error = assertFailsWith<SignalRException.ServiceError> {
                    client.hub("chat").addUserToGroup("room", "alice")
                }
                assertEquals(500, error.status)
                assertEquals(3, server.requests)
            }
        }
    }

    @Test
    fun `maxRetries 0 makes one attempt`() = runBlocking<Unit> {
        CannedServer(500, "busy").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, quickRetries(0)).use { client ->
                assertFailsWith<SignalRException.ServiceError> { client.hub("chat").addUserToGroup("room", "alice") }
                assertEquals(1, server.requests)
            }
        }
    }

    @Test
    fun `a send answered 500 is not retried, since the message may have gone out`() = runBlocking<Unit> {
        CannedServer(500, "half done").use { server ->
            ServiceClient.fromConnectionString(server.connectionString, quickRetries(3)).use { client ->
                assertFailsWith<SignalRException.ServiceError> { client.hub("chat").sendToAll("t") }
                assertEquals(1, server.requests)
            }
        }
    }
}
