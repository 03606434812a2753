package dev.signalrrest

import java.util.concurrent.CancellationException
import java.util.concurrent.atomic.AtomicReference
import kotlin.concurrent.thread
import kotlin.test.assertIs
import kotlin.test.assertTrue
import org.junit.jupiter.api.Test

/** The Java variants cancel like the suspend calls: the HTTP request is abandoned, not left running. */
class JavaCancellationTest {
    @Test
    fun `cancelling a future abandons the HTTP request`() {
        SilentServer().use { server ->
            ServiceClient.fromConnectionString(server.connectionString).use { client ->
                val sending = client.hub("chat").sendToAllAsync("t")
                assertTrue(server.awaitRequest(5), "the request never reached the server")
                sending.cancel(true)
                assertTrue(sending.isCancelled)
                assertTrue(server.awaitHangUp(5), "the connection stayed open after cancellation")
            }
        }
    }

    @Test
    fun `interrupting a blocking call abandons the request and keeps the interrupt flag`() {
        SilentServer().use { server ->
            ServiceClient.fromConnectionString(server.connectionString).use { client ->
                val thrown = AtomicReference<Throwable>()
                val interruptedAfter = AtomicReference<Boolean>()
                val caller = thread {
                    try {
                        client.hub("chat").sendToAllBlocking("t")
                    } catch (e: Throwable) {
                        thrown.set(e)
                        interruptedAfter.set(Thread.currentThread().isInterrupted)
                    }
                }
                assertTrue(server.awaitRequest(5), "the request never reached the server")
                caller.interrupt()
                caller.join(5_000)
                assertIs<CancellationException>(thrown.get())
                assertTrue(interruptedAfter.get(), "the interrupt flag was cleared")
                assertTrue(server.awaitHangUp(5), "the connection stayed open after the interrupt")
            }
        }
    }
}
