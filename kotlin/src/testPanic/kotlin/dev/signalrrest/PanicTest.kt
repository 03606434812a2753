package dev.signalrrest

import dev.signalrrest.ffi.debugPanic
import dev.signalrrest.ffi.debugPanicAsync
import kotlinx.coroutines.runBlocking
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import org.junit.jupiter.api.Test

/**
 * A Rust panic fails the one call as [SignalRException.Internal] and the library keeps working.
 * Compiled only with `-Ptest-panic`, against a library built with the binding's `test-panic`
 * feature (scripts/lib/test-uniffi does both); the panicking calls exist only there.
 */
class PanicTest {
    @Test
    fun `a panic in a synchronous call is an Internal error and later calls work`() = runBlocking<Unit> {
        val error = assertFailsWith<SignalRException.Internal> { native { debugPanic("sync boom") } }
        assertEquals("internal", error.kind)
        assertContains(error.message!!, "sync boom")
        assertCallsStillWork()
    }

    @Test
    fun `a panic inside an async call is an Internal error and later calls work`() = runBlocking<Unit> {
        val error = assertFailsWith<SignalRException.Internal> { native { debugPanicAsync("async boom") } }
        assertEquals("internal", error.kind)
        assertContains(error.message!!, "async boom")
        assertCallsStillWork()
    }

    private suspend fun assertCallsStillWork() {
        Simulator.start().use { simulator ->
            val alice = simulator.connect("chat", userId = "alice")
            ServiceClient.fromConnectionString(simulator.connectionString).use { client ->
                client.hub("chat").sendToUser("alice", "after-panic")
            }
            assertEquals(listOf("after-panic"), alice.received().map { it.target })
        }
    }
}
