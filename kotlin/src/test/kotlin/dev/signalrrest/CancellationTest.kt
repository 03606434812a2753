package dev.signalrrest

import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.measureTime
import org.junit.jupiter.api.Test

class CancellationTest {
    @Test
    fun `cancelling the coroutine abandons the HTTP request`() = runBlocking<Unit> {
        SilentServer().use { server ->
            ServiceClient.fromConnectionString(server.connectionString).use { client ->
                val elapsed = measureTime {
                    assertFailsWith<TimeoutCancellationException> {
                        withTimeout(300.milliseconds) { client.hub("chat").sendToAll("t") }
                    }
                }
                assertTrue(elapsed < 5.seconds, "cancelled after $elapsed, the client timeout is 30 s")
                assertTrue(server.awaitRequest(5), "the request never reached the server")
                assertTrue(server.awaitHangUp(5), "the connection stayed open after cancellation")
            }
        }
    }

    @Test
    fun `cancelling a wait for a message returns at once`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            simulator.connect("chat").use { client ->
                val waiting = async { client.waitFor("never", timeout = 60.seconds) }
                delay(100.milliseconds) // let the wait reach Rust
                val elapsed = measureTime {
                    waiting.cancel()
                    waiting.join()
                }
                assertTrue(waiting.isCancelled)
                assertTrue(elapsed < 5.seconds, "the wait ended after $elapsed")
            }
        }
    }

    @Test
    fun `a wait that runs out is a Timeout`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            simulator.connect("chat").use { client ->
                assertFailsWith<SignalRException.Timeout> { client.waitFor("never", timeout = 50.milliseconds) }
            }
        }
    }
}
