package dev.signalrrest

import com.auth0.jwt.JWT
import kotlinx.coroutines.runBlocking
import kotlinx.serialization.json.JsonPrimitive
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds
import org.junit.jupiter.api.Test

/** The client made from an endpoint and key, its client endpoint and token lifetime, the version. */
class ClientOptionsTest {
    @Test
    fun `a client from endpoint and access key sends to the simulator`() = runBlocking<Unit> {
        Simulator.start().use { simulator ->
            val alice = simulator.connect("chat", "alice")
            ServiceClient.fromEndpoint(simulator.url, simulator.accessKey, ClientOptions(maxRetries = 0)).use { client ->
                assertEquals(simulator.url, client.endpoint)
                client.hub("chat").sendToAll("t", listOf(JsonPrimitive("keyed")))
            }
            assertEquals("[\"keyed\"]", alice.received().single().argumentsJson)
        }
    }

    @Test
    fun `the client endpoint is where SignalR clients are sent`() {
        val options = ClientOptions(clientEndpoint = "https://clients.example")
        ServiceClient.fromEndpoint("http://127.0.0.1:1", "key", options).use { client ->
            assertEquals("https://clients.example/client/?hub=chat", client.clientUrl("chat"))
            assertTrue(client.negotiate("chat").url.startsWith("https://clients.example/client/"))
        }
    }

    @Test
    fun `the token lifetime sets each request token's expiry and a bad one is refused naming it`() = runBlocking<Unit> {
        CannedServer(200, "").use { server ->
            ServiceClient.fromEndpoint(server.url, "k".repeat(32), ClientOptions(tokenLifetime = 2.minutes)).use {
                it.hub("chat").sendToAll("t")
            }
            val token = JWT.decode(server.header("Authorization")!!.removePrefix("Bearer "))
            val lifetime = token.expiresAtAsInstant.epochSecond - java.time.Instant.now().epochSecond
            assertTrue(lifetime in 100..120, "token lives $lifetime s")
        }
        val error = assertFailsWith<SignalRException.InvalidArgument> {
            ServiceClient.fromEndpoint("http://127.0.0.1:1", "key", ClientOptions(tokenLifetime = (-1).seconds))
        }
        assertEquals("tokenLifetime", error.field)
        assertContains(error.message!!, "-1")
    }

    @Test
    fun `a simulator takes a ping interval and refuses a negative one naming it`() = runBlocking<Unit> {
        Simulator.start(SimulatorOptions(pingInterval = 5.seconds)).use { assertTrue(it.url.startsWith("http://")) }
        val error = assertFailsWith<SignalRException.InvalidArgument> {
            Simulator.start(SimulatorOptions(pingInterval = (-1).seconds))
        }
        assertEquals("pingInterval", error.field)
    }

    @Test
    fun `the version is the core's`() {
        assertTrue(Regex("""\d+\.\d+\.\d+.*""").matches(SignalRRest.VERSION), SignalRRest.VERSION)
    }

    @Test
    fun `the User-Agent names the Kotlin package, the JVM and the platform, after the application`() = runBlocking<Unit> {
        CannedServer(200, "").use { server ->
            ServiceClient.fromEndpoint(server.url, "key").use { it.hub("chat").sendToAll("t") }
            val agent = server.header("User-Agent")!!
            val java = System.getProperty("java.version")
            assertTrue(
                Regex("""signalr-rest-kotlin/${Regex.escape(SignalRRest.VERSION)} \(JVM ${Regex.escape(java)}; \S+ \S+\)""")
                    .matches(agent),
                agent,
            )
            ServiceClient.fromEndpoint(server.url, "key", ClientOptions(applicationName = "shop")).use {
                it.hub("chat").sendToAll("t")
            }
            assertEquals("shop $agent", server.header("User-Agent"))
        }
    }
}
