package dev.signalrrest

import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.Test

/** The blocking sends run on the calling thread while few threads send, on the runtime past that. */
class BlockingSendTest {
    /** Runs [test] with a hub of a new simulator and a client connected to it. */
    private fun withReceiver(test: (HubClient, VirtualClient) -> Unit) {
        Simulator.startBlocking().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                test(service.hub("chat"), simulator.connect("chat"))
            }
        }
    }

    @Test
    fun `blocking sends from more threads than cores each arrive once`() = withReceiver { hub, receiver ->
        val threads = List(THREADS) { t ->
            thread {
                repeat(SENDS) { i ->
                    hub.sendToConnectionBlocking(receiver.connectionId, "n", listOf(JsonPrimitive(t * 1000 + i)))
                }
            }
        }
        threads.forEach { it.join() }
        val received = receiver.received().map { it.arguments.single().jsonPrimitive.int }.sorted()
        val sent = (0 until THREADS).flatMap { t -> (0 until SENDS).map { t * 1000 + it } }
        assertEquals(sent, received)
    }

    @Test
    fun `a blocking send after an idle spell reaches the simulator`() = withReceiver { hub, receiver ->
        hub.sendToAllBlocking("first")
        // Longer than a lane may stay undriven before a call lets its connections catch up.
        Thread.sleep(50)
        hub.sendToAllBlocking("second")
        assertEquals(listOf("first", "second"), receiver.received().map { it.target })
    }

    private companion object {
        const val THREADS = 8
        const val SENDS = 25
    }
}
