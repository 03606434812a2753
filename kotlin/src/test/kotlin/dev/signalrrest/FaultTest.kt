package dev.signalrrest

import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds
import kotlin.time.TimeSource
import org.junit.jupiter.api.Test

/** Fault injection through the public API: rules from options and calls, seeds, delays, drops and pauses. */
class FaultTest {
    private val noRetries = ClientOptions(maxRetries = 0)

    @Test
    fun `a rule given in the options applies from the start and ends after its times`() = runBlocking<Unit> {
        Simulator.start(SimulatorOptions(faults = listOf("500;route=send;times=1"))).use { simulator ->
            val rule = simulator.faults().single()
            assertEquals("500;route=send;times=1", rule.fault)
            assertEquals(0, rule.injected)
            val client = simulator.connect("chat")
            ServiceClient.fromConnectionString(simulator.connectionString, noRetries).use { service ->
                val hub = service.hub("chat")
                val error = assertFailsWith<SignalRException.ServiceError> { hub.sendToAll("t") }
                assertEquals(500, error.status)
                assertTrue(hub.groupExists("g").not(), "a group call is not a send")
                hub.sendToAll("t")
            }
            assertEquals(1, client.received().size)
            assertEquals(emptyList(), simulator.faults(), "the rule ran out")
            val injected = simulator.injectedFaults().single()
            assertEquals(InjectedFault(rule.id, "500;route=send;times=1", injected.target, "chat"), injected)
            assertTrue(injected.target.startsWith("POST /api/"), injected.target)
        }
    }

    @Test
    fun `a bad rule is refused naming the bad part, in the options and when added`() = runBlocking<Unit> {
        val refused = assertFailsWith<SignalRException.InvalidArgument> {
            Simulator.start(SimulatorOptions(faults = listOf("503;route=sends")))
        }
        assertTrue("sends" in refused.message.orEmpty(), refused.message)
        Simulator.start().use { simulator ->
            for ((rule, part) in listOf("600" to "600", "500;retry-after=1" to "retry-after", "503;times=0" to "times")) {
                val error = assertFailsWith<SignalRException.InvalidArgument>(rule) { simulator.addFault(rule) }
                assertTrue(part in error.message.orEmpty(), "$rule: ${error.message}")
            }
            assertEquals(emptyList(), simulator.faults())
        }
    }

    @Test
    fun `rules are listed, removed by id and cleared`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val first = simulator.addFault("429;retry-after=2;hub=Chat")
            val second = simulator.addFault("reset;route=negotiate")
            assertNotEquals(first, second)
            assertEquals(
                listOf(FaultRule(first, "429;hub=chat;retry-after=2", 0), FaultRule(second, "reset;route=negotiate", 0)),
                simulator.faults(),
            )
            assertTrue(simulator.removeFault(first))
            assertFalse(simulator.removeFault(first))
            assertEquals(listOf(second), simulator.faults().map { it.id })
            simulator.clearFaults()
            assertEquals(emptyList(), simulator.faults())
        }
    }

    /** Which of 40 group checks a `fraction=0.5` rule turned away, with retries off. */
    private suspend fun pattern(seed: Long): List<Boolean> {
        val options = SimulatorOptions(faults = listOf("503;route=group;fraction=0.5"), faultSeed = seed)
        return Simulator.start(options).use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString, noRetries).use { service ->
                val hub = service.hub("chat")
                val hits = (1..40).map {
                    try {
                        hub.groupExists("g")
                        false
                    } catch (e: SignalRException.ServiceError) {
                        true
                    }
                }
                assertEquals(hits.count { it }, simulator.injectedFaults().size)
                hits
            }
        }
    }

    @Test
    fun `the fault seed repeats the fraction draws`() = runBlocking<Unit> {
        val first = pattern(42)
        assertEquals(first, pattern(42), "the same seed hits the same calls")
        assertTrue(first.any { it } && !first.all { it }, "a half fraction hits some of 40 calls: $first")
        assertNotEquals(first, pattern(-42), "another seed, another pattern")
    }

    @Test
    fun `a delay rule delays the call it hits`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            simulator.addFault("delay=300ms;hub=chat;route=send")
            ServiceClient.fromConnectionString(simulator.connectionString, noRetries).use { service ->
                val started = TimeSource.Monotonic.markNow()
                service.hub("chat").sendToAll("t")
                val took = started.elapsedNow()
                assertTrue(took >= 300.milliseconds, "took $took")
            }
            assertEquals("delay=300ms;hub=chat;route=send", simulator.injectedFaults().single().fault)
        }
    }

    @Test
    fun `pausing is refused for a negative or too long duration and skips virtual clients`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val client = simulator.connect("chat")
            val negative = assertFailsWith<SignalRException.InvalidArgument> { simulator.pauseClients("chat", (-1).seconds) }
            assertEquals("duration", negative.field)
            assertTrue("-1" in negative.message.orEmpty(), negative.message)
            val long = assertFailsWith<SignalRException.InvalidArgument> { simulator.pauseClients("chat", 2.hours) }
            assertEquals("duration", long.field)
            assertEquals(emptyList(), simulator.pauseClients("chat", 100.milliseconds, client.connectionId))
            assertEquals(emptyList(), simulator.pauseClients("chat", java.time.Duration.ofMillis(100)))
            assertFalse(client.isClosed)
            assertFailsWith<SignalRException.InvalidArgument> { simulator.pauseClients("bad hub!", 1.seconds) }
        }
    }

    @Test
    fun `dropping a virtual client closes it, with the fault reason or without one`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val a = simulator.connect("chat")
            val b = simulator.connect("chat")
            val other = simulator.connect("other")
            assertEquals(listOf(a.connectionId), simulator.dropClients("chat", a.connectionId))
            assertTrue(a.isClosed)
            assertEquals("the simulator dropped the connection (fault injection)", a.closeReason)
            assertFalse(b.isClosed)
            assertEquals(listOf(b.connectionId), simulator.dropClients("chat", close = false))
            assertTrue(b.isClosed)
            assertNull(b.closeReason)
            assertFalse(other.isClosed)
            assertEquals(emptyList(), simulator.connections("chat"))
            assertEquals(listOf("drop;close", "drop"), simulator.injectedFaults().map { it.fault })
            assertEquals(listOf("", ""), simulator.injectedFaults().map { it.faultId })
            assertFailsWith<SignalRException.InvalidArgument> { simulator.dropClients("bad hub!") }
        }
    }

    @Test
    fun `the README example runs`() = runBlocking<Unit> {
        // kotlin/README.md, "Fault injection": keep the two alike.
        val options = SimulatorOptions(faults = listOf("503;route=send;times=1"), faultSeed = 7)
        Simulator.start(options).use { simulator ->
            val client = simulator.connect("chat")
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                service.hub("chat").sendToAll("hello") // turned away once with a 503, retried, delivered once
            }
            check(client.received().size == 1)
            check(simulator.injectedFaults().map { it.fault } == listOf("503;route=send;times=1"))
            val slow = simulator.addFault("delay=250ms;hub=chat")
            simulator.removeFault(slow)
            simulator.dropClients("chat", close = true) // a Close that allows reconnecting
            check(client.isClosed)
        }
    }
}
