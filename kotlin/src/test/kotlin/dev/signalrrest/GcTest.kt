package dev.signalrrest

import java.lang.ref.WeakReference
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertNull
import org.junit.jupiter.api.Test

/**
 * A running simulator lives until it is shut down or the process exits: dropping the only
 * reference and forcing garbage collection (which frees the native handle) does not stop it.
 */
class GcTest {
    /** Starts a simulator and keeps no strong reference to it: its connection string and a weak reference. */
    private fun startUnreferenced(): Pair<String, WeakReference<Simulator>> {
        val simulator = Simulator.startBlocking()
        return simulator.connectionString to WeakReference(simulator)
    }

    @Test
    fun `a simulator nobody references keeps serving through forced garbage collection`() = runBlocking<Unit> {
        val (connectionString, weak) = startUnreferenced()
        repeat(20) {
            if (weak.get() == null) return@repeat
            System.gc()
            Thread.sleep(50)
        }
        assertNull(weak.get(), "the Simulator object was not collected; the test proves nothing")
        // Give the native handle's cleaner time to run, then collect again.
        repeat(3) {
            System.gc()
            Thread.sleep(100)
        }
        ServiceClient.fromConnectionString(connectionString, ClientOptions(maxRetries = 0)).use { client ->
            client.health()
            client.hub("chat").sendToAll("t")
            assertEquals(false, client.hub("chat").userExists("nobody"))
        }
        // Nothing refers to it any more, so it serves until the test JVM exits.
    }
}
