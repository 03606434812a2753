package dev.signalrrest

import java.time.Instant
import kotlinx.coroutines.runBlocking
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test

class SimulatorTest {
    @Test
    fun `connections, groups and user mappings can be inspected`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val hub = service.hub("Chat")
                val alice = simulator.connect("chat", "alice")
                hub.addConnectionToGroup("room", alice.connectionId)
                hub.addUserToGroup("vip", "alice", ttl = 1.hours)

                assertEquals(listOf("chat"), simulator.hubs())
                assertEquals(listOf(ConnectionInfo(alice.connectionId, "alice")), simulator.connections("chat"))
                assertEquals(
                    setOf("room", "vip"),
                    simulator.groups("chat").filter { alice.connectionId in it.connectionIds }.map { it.name }.toSet(),
                )
                val mapping = simulator.userGroups("chat").single()
                assertEquals("vip", mapping.group)
                assertTrue(mapping.expiresAt.isAfter(Instant.now().plusSeconds(59 * 60)), "expires ${mapping.expiresAt}")
            }
        }
    }

    @Test
    fun `advancing the clock expires mappings`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val hub = service.hub("chat")
                hub.addUserToGroup("g", "bob", ttl = 30.seconds)
                simulator.advanceClock(1.minutes)
                assertFalse(hub.userInGroup("g", "bob"))
            }
        }
    }

    @Test
    fun `closing a connection tells the client why`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val client = simulator.connect("chat")
                service.hub("chat").closeConnection(client.connectionId, reason = "bye")
                assertTrue(client.isClosed)
                assertEquals("bye", client.closeReason)
                assertFalse(service.hub("chat").connectionExists(client.connectionId))
            }
        }
    }

    @Test
    fun `negotiate answers a client url and a token for the user`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            ServiceClient.fromConnectionString(simulator.connectionString).use { service ->
                val answer = service.negotiate("chat", userId = "alice")
                assertEquals("${simulator.url}/client/?hub=chat", answer.url)
                assertEquals(answer.url, service.clientUrl("chat"))
                assertEquals(3, answer.accessToken.split('.').size)
                service.health()
            }
        }
    }
}
